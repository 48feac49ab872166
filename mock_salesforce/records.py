"""Records: create/read/update/delete, upsert by external id and sObject Collections."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import func, select

from mock_salesforce import errors as E
from mock_salesforce.coercion import UNIQUE_CACHE, CoercionMixin
from mock_salesforce.describe import (
    FieldDef,
    SObjectSchema,
)
from mock_salesforce.ids import to18
from mock_salesforce.models import Task as TaskRow
from mock_salesforce.models import User as UserRow
from mock_salesforce.replication import ReplicationMixin
from mock_salesforce.unit import Unit, by_id
from mock_salesforce.wire import attributes, format_value

COLLECTION_MAX = 200
MATCH_CACHE = "sf.match"  # the Unit.info key of a collection's prefetched matches (see _prefetch)


def _safe18(value: Any) -> str | None:
    try:
        return to18(value)
    except (ValueError, TypeError):
        return None


class RecordsMixin(CoercionMixin, ReplicationMixin):
    """The record verbs (a part of `Org`); collections write up to 200 records in one transaction."""

    @contextlib.contextmanager
    def unit(self) -> Iterator[Unit]:
        """One transaction under the org's lock, its writes flushed at the end (issue 9: Core statements
        and plain rows - mock_salesforce.unit - instead of the ORM's Session)."""
        with self.core() as conn:
            work = Unit(conn)
            yield work
            work.flush()

    # -- record verbs (inside a transaction) --------------------------------------------------------
    def _create(
        self,
        s: Unit,
        schema: SObjectSchema,
        data: dict[str, Any],
        actor: str,
        batch_seen: dict[Any, str] | None = None,
        extra: dict[FieldDef, Any] | None = None,
        *,
        add: bool = True,
    ) -> TaskRow:
        if not schema.writable:
            raise E.InsufficientAccess(f"You do not have permission to create {schema.name} records")
        if any(k.lower() == "id" for k in data):
            raise E.InvalidFieldForInsertUpdate(
                "Record ID: cannot specify Id in an insert call", fields=["Id"]
            )
        values = self._values(s, schema, data, creating=True)
        values.update(extra or {})
        now = self.now()
        table = schema.model.__table__
        row = s.new_row(  # SF-ORG-2: the create defaults
            table,
            {
                "Id": self.ids.new(schema.key_prefix),
                "Status": self.picklists["Status"]["default"],
                "Priority": self.picklists["Priority"]["default"],
                "OwnerId": actor,
                "TaskSubtype": "Task",
                "IsReminderSet": False,
                "IsArchived": False,
                "IsDeleted": False,
                "CreatedDate": now,
                "CreatedById": actor,
                "LastModifiedDate": now,
                "LastModifiedById": actor,
                "SystemModstamp": now,
            },
        )
        self._apply(s, schema, row, values, batch_seen)  # type: ignore[arg-type]
        if add:
            s.add(table, row)
        return row  # type: ignore[return-value]

    def _update(
        self,
        s: Unit,
        schema: SObjectSchema,
        row: TaskRow,
        data: dict[str, Any],
        actor: str,
        batch_seen: dict[Any, str] | None = None,
        skip: tuple[str, ...] = (),
    ) -> TaskRow:
        if not schema.writable:
            raise E.InsufficientAccess(f"You do not have permission to edit {schema.name} records")
        body_id = next((v for k, v in data.items() if k.lower() == "id"), None)
        if body_id is not None and _safe18(body_id) != row.Id:
            raise E.InvalidFieldForInsertUpdate(
                "Record ID: id value in the body does not match the URL", fields=["Id"]
            )
        values = self._values(s, schema, data, creating=False, skip=("id", *skip))
        self._apply(s, schema, row, values, batch_seen)
        now = self.now()
        row.LastModifiedDate = row.SystemModstamp = now  # SF-ORG-4: every write bumps both (ms precision)
        row.LastModifiedById = actor
        return row

    def _delete(self, s: Unit, row: TaskRow, actor: str) -> None:
        now = self.now()
        row.IsDeleted = True
        row.DeletedDate = now
        row.SystemModstamp = now  # SF-ORG-4: a delete bumps SystemModstamp too
        row.LastModifiedById = actor

    @staticmethod
    def _path_id(schema: SObjectSchema, record_id: str) -> str:
        """SF-ORG-8: a path id as an 18-character id of this object (404 if malformed or foreign)."""
        try:
            rid = to18(record_id)
        except ValueError as exc:
            raise E.ExternalIdNotFound(record_id) from exc
        if not rid.startswith(schema.key_prefix):
            raise E.ExternalIdNotFound(record_id)
        return rid

    def _live_row(self, s: Unit, schema: SObjectSchema, record_id: str, *, for_write: bool) -> Any:
        """SF-ORG-8: the row for a path id (404 NOT_FOUND if malformed or foreign; ENTITY_IS_DELETED)."""
        row = s.get(schema.model, self._path_id(schema, record_id))
        if row is None:
            raise E.EntityIsDeleted() if for_write else E.NotFound()
        if getattr(row, "IsDeleted", False):
            raise E.EntityIsDeleted() if for_write else E.NotFound()
        return row

    def to_record(
        self, schema: SObjectSchema, row: Any, version: str, fields: list[FieldDef] | None = None
    ) -> dict[str, Any]:
        out: dict = {"attributes": attributes(version, schema.name, row.Id)}
        for fdef in fields or schema.fields:
            out[fdef.name] = format_value(fdef.type, getattr(row, fdef.attr))
        return out

    def _select_fields(self, schema: SObjectSchema, names: str | list[str] | None) -> list[FieldDef] | None:
        if not names:
            return None
        parts = names.split(",") if isinstance(names, str) else list(names)
        out = []
        for part in (p.strip() for p in parts):
            if not part:
                continue
            fdef = schema.get(part)
            if fdef is None:
                raise E.InvalidField(
                    f"No such column '{part}' on entity '{schema.name}'. If you are attempting "
                    "to use a custom field, be sure to append the '__c' after the custom field "
                    "name. Please reference your WSDL or the describe call for the appropriate "
                    "names."
                )
            out.append(fdef)
        return out

    # -- REST verbs ------------------------------------------------------------------------------
    def create_record(self, sobject: str, data: dict[str, Any], actor: str) -> str:
        schema = self.schema(sobject)
        with self.unit() as s:  # one Core INSERT of the new row (issue 9)
            return self._create(s, schema, data, actor).Id

    def get_record(
        self, sobject: str, record_id: str, version: str, fields: str | None = None
    ) -> dict[str, Any]:
        schema = self.schema(sobject)
        selected = self._select_fields(schema, fields)
        rid = self._path_id(schema, record_id)
        with self._lock:  # a read: no ORM identity map - one Core SELECT (issue 9)
            self._purge_if_due()
            with self.core() as conn:
                row = conn.execute(by_id(schema.model.__table__), {"rid": rid}).first()
        if row is None or getattr(row, "IsDeleted", False):
            raise E.NotFound()
        return self.to_record(schema, row, version, selected)

    def update_record(self, sobject: str, record_id: str, data: dict[str, Any], actor: str) -> None:
        """SF-ORG-8 path id; one Core SELECT and one Core UPDATE of the columns that changed (issue 9:
        the ORM's identity map and unit of work cost more than the two statements)."""
        schema = self.schema(sobject)
        with self.unit() as s:
            row = self._live_row(s, schema, record_id, for_write=True)
            self._update(s, schema, row, data, actor)

    def delete_record(self, sobject: str, record_id: str, actor: str) -> None:
        schema = self.schema(sobject)
        if not schema.writable:
            raise E.InsufficientAccess(f"You do not have permission to delete {schema.name} records")
        with self.unit() as s:
            row = self._live_row(s, schema, record_id, for_write=True)
            self._delete(s, row, actor)

    def external_field(self, schema: SObjectSchema, name: str) -> FieldDef:
        fdef = schema.get(name)
        if fdef is None or not (fdef.external_id or fdef.name == "Id"):
            raise E.ExternalIdNotFound(name)
        return fdef

    def _match(self, s: Unit, schema: SObjectSchema, fdef: FieldDef, value: str) -> list[Any]:
        if fdef.name == "Id":
            try:
                rid = to18(value)
            except ValueError as exc:
                raise E.MalformedId(value) from exc
            row = s.get(schema.model, rid)
            return [row] if row is not None and not row.IsDeleted else []
        if "\x00" in value:
            return []  # no stored value holds NUL (see _coerce); PostgreSQL could not even compare it
        cached = s.info.get(MATCH_CACHE)
        if cached is not None and cached[0] == fdef.name:
            key = value if fdef.case_sensitive else value.lower()
            if key in cached[1]:
                return [row for row in cached[2].get(key, []) if not row.IsDeleted]
        column = schema.column(fdef)
        cond = column == value if fdef.case_sensitive else func.lower(column) == value.lower()
        table = schema.model.__table__
        return s.rows(table, select(table).where(cond, table.c.IsDeleted.is_(False)).order_by(table.c.Id))

    def _one_match(self, s: Unit, schema: SObjectSchema, fdef: FieldDef, value: str, version: str) -> Any:
        """The one live row matching an external id, or the matches' URLs when several (the 300 answer)."""
        rows = self._match(s, schema, fdef, value)
        if not rows:
            raise E.NotFound()
        if len(rows) > 1:
            return [attributes(version, schema.name, r.Id)["url"] for r in rows]
        return rows[0]

    def get_by_external(
        self, sobject: str, field_name: str, value: str, version: str, fields: str | None = None
    ) -> dict | list[str]:
        """One record, or a list of record URLs when several match (the 300 answer)."""
        schema = self.schema(sobject)
        fdef = self.external_field(schema, field_name)
        selected = self._select_fields(schema, fields)
        with self.unit() as s:
            row = self._one_match(s, schema, fdef, value, version)
            return row if isinstance(row, list) else self.to_record(schema, row, version, selected)

    def upsert(
        self, sobject: str, field_name: str, value: str, data: dict[str, Any], actor: str, version: str
    ) -> tuple[str, bool] | list[str]:
        """Upsert by external id: (id, created) or the matching record URLs when several match.

        SF-ORG-9 matching (case-insensitive, live rows); SF-ORG-10 the body may repeat the URL value only."""
        schema = self.schema(sobject)
        fdef = self.external_field(schema, field_name)
        body_value = next((v for k, v in data.items() if k.lower() == fdef.name.lower()), None)
        if body_value is not None and fdef.name != "Id" and str(body_value).lower() != value.lower():
            raise E.InvalidField(
                f"The value of the external ID field {fdef.name} in the body must match the value in the URL",
                fields=[fdef.name],
            )
        with self.unit() as s:
            if fdef.name == "Id" and not value:
                return self._create(s, schema, data, actor).Id, True
            rows = self._match(s, schema, fdef, value)
            if len(rows) > 1:
                return [attributes(version, schema.name, r.Id)["url"] for r in rows]
            if rows:
                return self._update(s, schema, rows[0], data, actor, skip=(fdef.name.lower(),)).Id, False
            if fdef.name == "Id":
                raise E.NotFound()
            body = {k: v for k, v in data.items() if k.lower() != fdef.name.lower()}
            return self._create(s, schema, body, actor, extra={fdef: self._coerce(s, fdef, value)}).Id, True

    def delete_by_external(
        self, sobject: str, field_name: str, value: str, actor: str, version: str
    ) -> list[str] | None:
        schema = self.schema(sobject)
        fdef = self.external_field(schema, field_name)
        with self.unit() as s:
            row = self._one_match(s, schema, fdef, value, version)
            if isinstance(row, list):
                return row
            self._delete(s, row, actor)
        return None

    # -- sObject Collections (one transaction for up to 200 records) -----------------------------
    def _collection_size(self, n: int) -> None:
        if n > COLLECTION_MAX:
            raise E.ExceededIdLimit(
                "record limit reached. cannot submit more than 200 records into this call"
            )

    def _prefetch(
        self,
        s: Unit,
        schema: SObjectSchema,
        records: list[Any],
        actor: str,
        *,
        ids: Iterable[str] = (),
        match: FieldDef | None = None,
        match_values: Iterable[Any] = (),
    ) -> None:
        """Issue 9, set-based collections: read up front, in one SELECT each, what the items would
        otherwise read one by one - the users they reference (then `s.get` finds them in the identity
        map), the rows they name by Id, the rows their external ids match, and the rows already
        holding their unique values. With autoflush off the per-item reads saw the database as it was
        before the batch too, so the answers are the same."""
        refs = {actor}
        for rec in records:
            if not isinstance(rec, dict):
                continue
            for key, value in rec.items():
                fdef = schema.get(key) if key != "attributes" else None
                if fdef is not None and fdef.type == "reference" and isinstance(value, str):
                    with contextlib.suppress(ValueError, TypeError):
                        refs.add(to18(value))
        users = UserRow.__table__
        s.rows(users, select(users).where(users.c.Id.in_(refs)), absent=refs)
        table = schema.model.__table__
        wanted = [i for i in ids if i]
        if wanted:
            s.rows(table, select(table).where(table.c.Id.in_(wanted)), absent=wanted)
        if match is not None and match.name != "Id":
            keys = {self._key(match, str(v)) for v in match_values if v is not None and v != ""}
            keys = {k for k in keys if "\x00" not in k}
            expr = self._key_expr(schema, match)
            found: dict[str, list] = {}
            if keys:
                stmt = select(table, expr).where(expr.in_(keys), table.c.IsDeleted.is_(False))
                for row, key in s.rows_with(table, stmt.order_by(table.c.Id)):
                    found.setdefault(key, []).append(row)
            s.info[MATCH_CACHE] = (match.name, keys, found)
        unique: dict[str, tuple[set, dict]] = {}
        for fdef in schema.fields:
            if not (fdef.unique and fdef.custom):
                continue
            keys = set()
            for rec in records:
                raw = (
                    next((v for k, v in rec.items() if k.lower() == fdef.name.lower()), None)
                    if isinstance(rec, dict)
                    else None
                )
                if raw is None:
                    continue
                with contextlib.suppress(E.SalesforceError):
                    value = self._coerce(s, fdef, raw)
                    if isinstance(value, str) and "\x00" not in value:
                        keys.add(self._key(fdef, value))
            holders: dict[str, list[str]] = {}
            if keys:
                expr = self._key_expr(schema, fdef)
                stmt = select(TaskRow.Id, expr).where(expr.in_(keys), TaskRow.IsDeleted.is_(False))
                for rid, key in s.execute(stmt):
                    holders.setdefault(key, []).append(rid)
            unique[fdef.name] = (keys, holders)
        s.info[UNIQUE_CACHE] = unique

    @staticmethod
    def _key(fdef: FieldDef, value: str) -> str:
        return value if fdef.case_sensitive else value.lower()

    @staticmethod
    def _key_expr(schema: SObjectSchema, fdef: FieldDef) -> Any:
        column = schema.column(fdef)
        return column if fdef.case_sensitive else func.lower(column)

    def _run_collection(
        self, items: list[Any], all_or_none: bool, work, prefetch=None
    ) -> list[dict[str, Any]]:
        """SF-ORG-11: run `work(s, item, batch_seen) -> result dict` per item in one transaction.

        With allOrNone, one failure rolls all back: failures keep their errors, the others report
        ALL_OR_NONE_OPERATION_ROLLED_BACK.
        """
        results: list[dict] = []
        failed = False
        # The rows go to the database in one flush at the end (fast); duplicates inside the batch are
        # caught by batch_seen, and no row is touched before its checks pass.
        with self.core() as conn:
            s = Unit(conn)
            if prefetch is not None:
                prefetch(s)
            batch_seen: dict = {}
            for item in items:
                try:
                    results.append(work(s, item, batch_seen))
                except E.SalesforceError as exc:
                    failed = True
                    results.append({"id": None, "success": False, "errors": [exc.to_record_error()]})
            if all_or_none and failed:
                conn.rollback()
                rolled = E.RolledBack().to_record_error()
                return [
                    r if not r["success"] else {"id": None, "success": False, "errors": [rolled]}
                    for r in results
                ]
            s.flush()
        return results

    def collection_create(self, records: list[Any], all_or_none: bool, actor: str) -> list[dict[str, Any]]:
        self._collection_size(len(records))

        def work(s, rec, seen):
            schema = self._record_schema(rec)
            row = self._create(s, schema, rec, actor, seen)
            return {"id": row.Id, "success": True, "errors": []}

        def prefetch(s):
            self._prefetch(s, self.schemas["task"], records, actor)

        return self._run_collection(records, all_or_none, work, prefetch)

    def collection_update(self, records: list[Any], all_or_none: bool, actor: str) -> list[dict[str, Any]]:
        self._collection_size(len(records))

        def work(s, rec, seen):
            schema = self._record_schema(rec)
            rid = next((v for k, v in rec.items() if k.lower() == "id"), None)
            if not rid:
                raise E.MissingArgument("Id not specified in an update call", fields=[])
            try:
                rid18 = to18(rid)
            except (ValueError, TypeError) as exc:
                raise E.MalformedId(rid, fields=[]) from exc
            row = s.get(schema.model, rid18)
            if row is None or row.IsDeleted or not rid18.startswith(schema.key_prefix):
                raise E.EntityIsDeleted()
            self._update(s, schema, row, rec, actor, seen)
            return {"id": row.Id, "success": True, "errors": []}

        def prefetch(s):
            ids = []
            for rec in records:
                rid = (
                    next((v for k, v in rec.items() if k.lower() == "id"), None)
                    if isinstance(rec, dict)
                    else None
                )
                with contextlib.suppress(ValueError, TypeError):
                    ids.append(to18(rid))
            self._prefetch(s, self.schemas["task"], records, actor, ids=ids)

        return self._run_collection(records, all_or_none, work, prefetch)

    def collection_upsert(
        self, sobject: str, field_name: str, records: list[Any], all_or_none: bool, actor: str
    ) -> list[dict[str, Any]]:
        self._collection_size(len(records))
        schema = self.schema(sobject)
        fdef = self.external_field(schema, field_name)
        values = [
            next((v for k, v in r.items() if k.lower() == fdef.name.lower()), None)
            if isinstance(r, dict)
            else None
            for r in records
        ]
        counted = Counter(str(v).lower() for v in values if v is not None)
        duplicates = {k for k, n in counted.items() if n > 1}

        def work(s, item, seen):
            rec, value = item
            self._record_schema(rec, expect=schema.name)
            if value is None or value == "":
                raise E.MissingArgument(f"{fdef.name} not specified", fields=[fdef.name])
            if str(value).lower() in duplicates:
                raise E.DuplicateExternalId(f"Duplicate external id specified: {value}", fields=[fdef.name])
            rows = self._match(s, schema, fdef, str(value))
            if len(rows) > 1:
                raise E.DuplicateExternalId(
                    f"{fdef.name}: more than one record found for external id field: "
                    f"[{', '.join(r.Id for r in rows)}]",
                    fields=[fdef.name],
                )
            if rows:
                row = self._update(s, schema, rows[0], rec, actor, seen, skip=(fdef.name.lower(),))
                created = False
            else:
                body = {k: v for k, v in rec.items() if k.lower() != fdef.name.lower()}
                row = self._create(s, schema, body, actor, seen, extra={fdef: self._coerce(s, fdef, value)})
                created = True
            return {"id": row.Id, "success": True, "errors": [], "created": created}

        def prefetch(s):
            self._prefetch(s, schema, records, actor, match=fdef, match_values=values)

        return self._run_collection(list(zip(records, values, strict=True)), all_or_none, work, prefetch)

    def collection_delete(self, ids: list[str], all_or_none: bool, actor: str) -> list[dict[str, Any]]:
        self._collection_size(len(ids))

        def work(s, rid, seen):
            try:
                rid18 = to18(rid)
            except ValueError as exc:
                raise E.MalformedId(rid, fields=[]) from exc
            schema = next((sc for sc in self.schemas.values() if rid18.startswith(sc.key_prefix)), None)
            if schema is None:
                raise E.MalformedId(rid, fields=[])
            if not schema.writable:
                raise E.InsufficientAccess(f"You do not have permission to delete {schema.name} records")
            row = s.get(schema.model, rid18)
            if row is None or row.IsDeleted:
                raise E.EntityIsDeleted()
            self._delete(s, row, actor)
            return {"id": row.Id, "success": True, "errors": []}

        def prefetch(s):
            wanted = []
            for rid in ids:
                with contextlib.suppress(ValueError, TypeError):
                    wanted.append(to18(rid))
            if wanted:
                tasks = TaskRow.__table__
                s.rows(tasks, select(tasks).where(tasks.c.Id.in_(wanted)), absent=wanted)

        return self._run_collection(ids, all_or_none, work, prefetch)

    def collection_retrieve(
        self, sobject: str, ids: list[str], fields: list[str] | str, version: str
    ) -> list[Any]:
        schema = self.schema(sobject)
        selected = self._select_fields(schema, fields)
        if not selected:
            raise E.MissingArgument("fields is required", fields=[])
        if len(ids) > 2000:
            raise E.ExceededIdLimit("Too many ids: at most 2000")
        wanted = {}
        for rid in ids:
            with contextlib.suppress(ValueError, TypeError):
                wanted[rid] = to18(rid)
        table = schema.model.__table__
        with self.core() as conn:  # a read: Core rows, no ORM
            rows = {r.Id: r for r in conn.execute(select(table).where(table.c.Id.in_(set(wanted.values()))))}
        out = []
        for rid in ids:
            row = rows.get(wanted.get(rid, ""))
            deleted = getattr(row, "IsDeleted", False)
            out.append(None if row is None or deleted else self.to_record(schema, row, version, selected))
        return out

    def _record_schema(self, rec: Any, expect: str | None = None) -> SObjectSchema:
        if not isinstance(rec, dict):
            raise E.JsonParserError(
                "Cannot deserialize instance of SObject from a non-object record", fields=[]
            )
        attrs = rec.get("attributes")
        kind = attrs.get("type") if isinstance(attrs, dict) else None
        if not kind:
            if expect:
                return self.schema(expect)
            raise E.InvalidType("Must specify a type in attributes", fields=[])
        schema = self.schemas.get(str(kind).lower())
        if schema is None:
            raise E.InvalidType(f"sObject type '{kind}' is not supported.", fields=[])
        if expect and schema.name != expect:
            raise E.InvalidType(f"Expected {expect} but the record says {kind}", fields=[])
        return schema
