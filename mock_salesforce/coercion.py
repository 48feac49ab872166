"""Field values: a JSON value in, the stored value out, with Salesforce's errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mock_salesforce import errors as E
from mock_salesforce.describe import (
    FieldDef,
    SObjectSchema,
)
from mock_salesforce.ids import to18
from mock_salesforce.models import Task as TaskRow
from mock_salesforce.models import User as UserRow
from mock_salesforce.state import OrgBase
from mock_salesforce.wire import parse_date, parse_datetime

UNIQUE_CACHE = "sf.unique"  # the Session.info key of a collection's prefetched unique values

_TIME_PARSERS: dict[str, tuple[Callable[[str], Any], str]] = {
    "date": (parse_date, 'expected format "yyyy-MM-dd"'),
    "datetime": (parse_datetime, "not a valid representation"),
}


def _fail() -> Any:
    raise TypeError


class CoercionMixin(OrgBase):
    """Coercion, defaults and uniqueness of field values (a part of `Org`)."""

    # -- field values ------------------------------------------------------------------------------
    def _coerce(self, s: Session, fdef: FieldDef, value: Any) -> Any:
        """A JSON value -> the stored value, with Salesforce's errors."""
        name, label = fdef.name, fdef.label
        if value is None:
            return False if fdef.type == "boolean" else None
        if fdef.type in ("string", "combobox", "textarea", "picklist", "email"):
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, int | float):
                value = str(value)
            elif not isinstance(value, str):
                raise E.JsonParserError(
                    f"Cannot deserialize instance of string from "
                    f"{'START_ARRAY' if isinstance(value, list) else 'START_OBJECT'} "
                    f"value for field {name}",
                    fields=[name],
                )
            if value == "":
                return None  # SF-ORG-6: Salesforce stores empty text as null
            if "\x00" in value:  # decided: refused (PostgreSQL cannot store it; SQLite answers the same)
                raise E.JsonParserError(f"{label}: the NUL character (\\u0000) is not allowed", fields=[name])
            if fdef.length and len(value) > fdef.length:
                raise E.StringTooLong(
                    f"{label}: data value too large: {value} (max length={fdef.length})", fields=[name]
                )
            if fdef.restricted and value not in fdef.picklist:
                raise E.RestrictedPicklist(
                    f"{label}: bad value for restricted picklist field: {value}", fields=[name]
                )
            return value
        if fdef.type == "boolean":
            if not isinstance(value, bool):
                raise E.JsonParserError(
                    f"Cannot deserialize instance of boolean from value {value!r} for field {name}",
                    fields=[name],
                )
            return value
        if fdef.type in _TIME_PARSERS:
            parse, complaint = _TIME_PARSERS[fdef.type]
            try:
                return parse(value) if isinstance(value, str) else _fail()
            except (ValueError, TypeError) as exc:
                raise E.JsonParserError(
                    f'Cannot deserialize value of type `java.util.Date` from String "{value}": {complaint}',
                    fields=[name],
                ) from exc
        if fdef.type == "reference":
            if not isinstance(value, str):
                raise E.MalformedId(
                    value, fields=[name], message=f"{label}: id value of incorrect type: {value}"
                )
            try:
                ref = to18(value)
            except ValueError as exc:
                raise E.MalformedId(
                    value, fields=[name], message=f"{label}: id value of incorrect type: {value}"
                ) from exc
            if fdef.reference_to == ("User",):
                user = s.get(UserRow, ref)
                if user is None:
                    raise E.InvalidCrossReference(
                        f"{label}: id value of incorrect type: {value}"
                        if not ref.startswith("005")
                        else "invalid cross reference id",
                        fields=[name],
                    )
                if not user.IsActive and name == "OwnerId":
                    raise E.InactiveOwner(
                        f"operation performed with inactive user [{ref}] as owner of task", fields=[]
                    )
            return ref
        raise E.InvalidField(f"No such column '{name}' on sobject of type Task")

    def _values(
        self,
        s: Session,
        schema: SObjectSchema,
        data: dict[str, Any],
        *,
        creating: bool,
        skip: tuple[str, ...] = (),
    ) -> dict[FieldDef, Any]:
        """Validate a record body: unknown fields, read-only fields, then each value (SF-ORG-1, SF-ORG-5)."""
        out: dict[FieldDef, Any] = {}
        read_only: list[str] = []
        for key, value in data.items():
            if key == "attributes" or key.lower() in skip:
                continue
            fdef = schema.get(key)
            if fdef is None:
                raise E.InvalidField(f"No such column '{key}' on sobject of type {schema.name}")
            if not (fdef.createable if creating else fdef.updateable):
                read_only.append(fdef.name)
                continue
            out[fdef] = value
        if read_only:
            raise E.InvalidFieldForInsertUpdate.for_fields(read_only)
        return {fdef: self._coerce(s, fdef, value) for fdef, value in out.items()}

    def _apply(
        self,
        s: Session,
        schema: SObjectSchema,
        row: TaskRow,
        values: dict[FieldDef, Any],
        batch_seen: dict[Any, str] | None,
    ) -> None:
        """Check the merged record (required fields, unique values), then write it: nothing is changed
        on the row unless every check passes."""
        final = {fdef.attr: value for fdef, value in values.items()}

        def current(attr: str):
            return final[attr] if attr in final else getattr(row, attr)

        missing = [name for name in ("Status", "Priority", "OwnerId") if current(name) is None]
        if missing:
            raise E.RequiredFieldMissing(missing)
        self._unique_check(s, schema, row.Id, current, batch_seen)
        status_before = row.Status
        for attr, value in final.items():
            setattr(row, attr, value)
        # SF-ORG-3: derived fields (TaskStatus.IsClosed, TaskPriority.IsHighPriority).
        closed = self.picklists["Status"].get("closed", ["Completed"])
        row.IsClosed = row.Status in closed
        row.IsHighPriority = row.Priority in self.picklists["Priority"].get("high", ["High"])
        if row.IsClosed and (status_before is None or status_before not in closed):
            row.CompletedDateTime = self.now()
        elif not row.IsClosed:
            row.CompletedDateTime = None

    def _unique_check(
        self, s: Session, schema: SObjectSchema, row_id: str, current, batch_seen: dict[Any, str] | None
    ) -> None:
        for fdef in schema.fields:
            if not fdef.unique or not fdef.custom:
                continue
            value = current(fdef.attr)
            if value is None:
                continue
            key = value if fdef.case_sensitive else value.lower()
            cached = s.info.get(UNIQUE_CACHE, {}).get(fdef.name)
            if cached is not None and key in cached[0]:
                clash = min((rid for rid in cached[1].get(key, ()) if rid != row_id), default=None)
            else:
                column = schema.column(fdef)
                expr = column if fdef.case_sensitive else func.lower(column)
                clash = s.scalar(
                    select(TaskRow.Id)
                    .where(expr == key, TaskRow.IsDeleted.is_(False), TaskRow.Id != row_id)
                    .limit(1)
                )
            if batch_seen is not None and not clash:
                other = batch_seen.get((fdef.name, key))
                clash = other if other not in (None, row_id) else None
            if clash:
                raise E.DuplicateValue(
                    f"duplicate value found: {fdef.name} duplicates value on record with id: {clash}",
                    fields=[fdef.name],
                )
        if batch_seen is not None:
            for fdef in schema.fields:
                if fdef.unique and fdef.custom and current(fdef.attr) is not None:
                    value = current(fdef.attr)
                    batch_seen[(fdef.name, value if fdef.case_sensitive else value.lower())] = row_id
