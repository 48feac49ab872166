"""SOQL execution with query locators (cursors); compiling is `soql.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mock_salesforce import errors as E
from mock_salesforce.describe import (
    SOQL_TYPES,
    SObjectSchema,
)
from mock_salesforce.models import Task as TaskRow
from mock_salesforce.models import User as UserRow
from mock_salesforce.replication import ReplicationMixin
from mock_salesforce.soql import FieldInfo, ObjectInfo, OrderKey, SoqlError, after_row, compile_soql
from mock_salesforce.wire import attributes, format_value

LOCATOR_TTL = timedelta(days=2)  # query cursors live 2 days (reference §2.10)
MAX_LOCATORS = 100
SNAPSHOT_MAX = 50_000  # larger result sets page by keyset (the last row's sort keys), not by offset


@dataclass
class QueryCursor:
    locator: str
    object_name: str
    fields: list  # soql FieldInfo
    total: int
    batch: int
    expires: datetime
    ids: list[str] | None = None  # the snapshot of matching ids in order
    conds: list = field(default_factory=list)  # for re-running when there is no snapshot
    order_by: list = field(default_factory=list)
    base_offset: int = 0
    keys: list[OrderKey] = field(default_factory=list)  # keyset paging: the order, the Id last
    position: int = 0  # where the next keyset page starts, and the keys of the row before it
    last: tuple | None = None


class QueryMixin(ReplicationMixin):
    """Query execution and cursors (SF-ORG-15; a part of `Org`)."""

    # -- SOQL query with cursors --------------------------------------------------------------------
    def soql_objects(self) -> dict[str, Any]:
        if self._soql_objects is None:
            objects = {}
            for key, schema in self.schemas.items():
                infos = {
                    f.name.lower(): FieldInfo(
                        name=f.name,
                        type=SOQL_TYPES.get(f.type, f.type),
                        column=schema.column(f),
                        filterable=f.filterable,
                        sortable=f.sortable,
                    )
                    for f in schema.fields
                }
                objects[key] = ObjectInfo(name=schema.name, fields=infos)
            self._soql_objects = objects
        return self._soql_objects

    def query(
        self, soql: str | None, *, include_deleted: bool, batch_size: int, user_id: str | None, version: str
    ) -> dict[str, Any]:
        if not soql:
            raise E.MalformedQuery("A query string has to be specified", fields=None)
        if "\x00" in soql:  # decided, as for stored text (see _coerce)
            raise E.MalformedQuery("the NUL character (\\u0000) is not allowed in a query", fields=None)
        tz = "UTC"
        with self.tx() as s:
            if user_id:
                tz = s.scalar(select(UserRow.TimeZoneSidKey).where(UserRow.Id == user_id)) or "UTC"
        try:
            cq = compile_soql(soql, self.soql_objects(), now=self.clock.now(), tz=tz)
        except SoqlError as exc:
            raise E.SalesforceError(exc.message, error_code=exc.error_code) from exc
        schema = self.schemas[cq.object.name.lower()]
        model = schema.model
        conds = [] if cq.where is None else [cq.where]
        if model is TaskRow and not include_deleted:
            conds.append(TaskRow.IsDeleted.is_(False))  # SF-ORG-16: query hides the bin; queryAll shows it
        with self.tx() as s:
            self._maybe_purge(s)
            limited = select(model.Id).where(*conds)
            if cq.limit is not None or cq.offset:
                limited = limited.order_by(*cq.order_by).limit(cq.limit).offset(cq.offset)
            total = s.scalar(select(func.count()).select_from(limited.subquery()))
            if cq.count_only:
                return {"totalSize": total, "done": True, "records": []}
            columns = [fi.column for fi in cq.fields]
            first = min(batch_size, total)
            cursor = None
            if total <= batch_size:
                rows = s.execute(
                    select(*columns, model.Id)
                    .where(*conds)
                    .order_by(*cq.order_by)
                    .limit(cq.limit)
                    .offset(cq.offset)
                ).all()
            else:
                cursor = QueryCursor(
                    self.ids.new("01g"),
                    schema.name,
                    cq.fields,
                    total,
                    batch_size,
                    self.clock.now() + LOCATOR_TTL,
                )
                if total <= SNAPSHOT_MAX:
                    cursor.ids = list(
                        s.scalars(
                            select(model.Id)
                            .where(*conds)
                            .order_by(*cq.order_by)
                            .limit(cq.limit)
                            .offset(cq.offset)
                        )
                    )
                    rows = self._rows_by_ids(s, model, columns, cursor.ids[:first])
                else:
                    # Keyset paging (issue 9): each page starts after the previous page's last row, so
                    # the order must be total - the Id breaks ties (PostgreSQL's bounded sorts order equal
                    # keys differently per LIMIT, and pages would repeat some rows and miss others).
                    keys = [*cq.order_keys, OrderKey(model.Id, nullable=False)]
                    cursor.keys, cursor.conds = keys, conds
                    cursor.order_by, cursor.base_offset = [k.clause() for k in keys], cq.offset or 0
                    rows = self._keyset_page(s, cursor, columns, None, first, cursor.base_offset)
                    cursor.position = first
        records = [self._row_record(schema, cq.fields, row, version) for row in rows]
        out: dict = {"totalSize": total, "done": cursor is None}
        if cursor is not None:
            with self._lock:
                self._cursors[cursor.locator] = cursor
                while len(self._cursors) > MAX_LOCATORS:
                    self._cursors.popitem(last=False)
            out["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor.locator}-{first}"
        out["records"] = records
        return out

    def query_more(self, locator: str, version: str) -> dict[str, Any]:
        """SF-ORG-15: the next page of `<locator>-<position>`; unknown or expired -> INVALID_QUERY_LOCATOR."""
        key, _, pos_text = locator.rpartition("-")
        with self._lock:
            cursor = self._cursors.get(key)
            if cursor is not None and self.clock.now() > cursor.expires:
                del self._cursors[key]
                cursor = None
        if cursor is None or not pos_text.isdigit() or int(pos_text) >= cursor.total:
            raise E.InvalidQueryLocator()
        position = int(pos_text)
        schema = self.schemas[cursor.object_name.lower()]
        model = schema.model
        columns = [fi.column for fi in cursor.fields]
        end = min(position + cursor.batch, cursor.total)
        with self.tx() as s:
            if cursor.ids is not None:
                rows = self._rows_by_ids(s, model, columns, cursor.ids[position:end])
            elif position == cursor.position and cursor.last is not None:
                rows = self._keyset_page(s, cursor, columns, cursor.last, end - position, 0)
            else:  # a page asked for again or out of turn: by offset, as before
                rows = self._keyset_page(
                    s, cursor, columns, None, end - position, cursor.base_offset + position
                )
            if cursor.ids is None:
                cursor.position = end  # the page's last row is the one the next page starts after
        out: dict = {"totalSize": cursor.total, "done": end >= cursor.total}
        if end < cursor.total:
            out["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor.locator}-{end}"
        out["records"] = [self._row_record(schema, cursor.fields, row, version) for row in rows]
        return out

    @staticmethod
    def _keyset_page(
        s: Session, cursor: QueryCursor, columns: list[Any], after: tuple | None, size: int, offset: int
    ) -> list[Any]:
        """`size` rows of the cursor's query after the row whose sort keys are `after` (or at `offset`);
        remembers the last row's keys for the next page. Rows come back as (fields..., Id)."""
        n = len(columns)
        extra = [k.expr for k in cursor.keys[:-1]]
        stmt = select(*columns, cursor.keys[-1].expr, *extra).where(*cursor.conds)
        if after is not None:
            stmt = stmt.where(after_row(cursor.keys, after))
        found = s.execute(stmt.order_by(*cursor.order_by).limit(size).offset(offset or None)).all()
        if found:
            tail = found[-1]
            cursor.last = (*tail[n + 1 :], tail[n])  # the sort keys in order, the Id last
        return [tuple(row[: n + 1]) for row in found]

    @staticmethod
    def _rows_by_ids(s: Session, model, columns: list[Any], ids: list[str]) -> list[Any]:
        found = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in s.execute(select(*columns, model.Id).where(model.Id.in_(chunk))):
                found[row[-1]] = row
        return [found[i] for i in ids if i in found]

    @staticmethod
    def _row_record(schema: SObjectSchema, fields: list[Any], row, version: str) -> dict[str, Any]:
        out: dict = {"attributes": attributes(version, schema.name, row[-1])}
        for fi, value in zip(fields, row[:-1], strict=False):
            out[fi.name] = format_value(fi.type, value)
        return out
