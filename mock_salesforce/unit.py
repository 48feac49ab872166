"""A light unit of work over one Core connection: what the record verbs used the ORM `Session` for,
without its cost (issue 9). Rows are plain mutable objects; each row read once per transaction is
kept (an identity map, so a batch that names a record twice sees its own earlier change); `flush()`
writes the new rows with one INSERT executemany and the changed rows with one UPDATE executemany per
set of changed columns - the statements the ORM's flush issued, without its per-object bookkeeping.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Insert, Select, Table, Update, bindparam, insert, select, update
from sqlalchemy.engine import Connection

ID_KEY = "pk_"  # the bind name of the Id in the cached UPDATE (not a column name)


@functools.cache
def insert_of(table: Table) -> Insert:
    return insert(table)


@functools.cache
def by_id(table: Table) -> Select:
    """One row by Id, built once per table (building a statement costs more than running it)."""
    return select(table).where(table.c.Id == bindparam("rid"))


@functools.cache
def update_of(table: Table) -> Update:
    """UPDATE ... WHERE Id = :pk_; the SET columns are the keys of each execution's parameters."""
    return update(table).where(table.c.Id == bindparam(ID_KEY))


@functools.cache
def column_defaults(table: Table) -> dict[str, Any]:
    """Every column with the value a new row takes when it is not set (the column's scalar default)."""
    out: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        out[column.key] = default.arg if default is not None and default.is_scalar else None
    return out


class Row:
    """One record's column values, as attributes (what the verbs read and set on ORM rows before)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"Row({self.__dict__.get('Id')!r})"


class Unit:
    """The reads and writes of one transaction on `conn` (see the module doc)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.info: dict[str, Any] = {}  # per-transaction caches (prefetched matches, unique values)
        self._rows: dict[tuple[Table, str], Row | None] = {}  # None: read, and not there
        self._before: dict[tuple[Table, str], dict[str, Any]] = {}
        self._new: list[tuple[Table, Row]] = []

    # -- reads ---------------------------------------------------------------------------------
    def _keep(self, table: Table, values: dict[str, Any]) -> Row:
        key = (table, values["Id"])
        row = self._rows.get(key)
        if row is None:  # not read yet
            row = self._rows[key] = Row(values)
            self._before[key] = values  # Row copied them
        return row

    def get(self, model: Any, pk: str) -> Row | None:
        """The row with this Id (kept for the transaction), or None."""
        table = model.__table__
        key = (table, pk)
        if key in self._rows:
            return self._rows[key]
        result = self.conn.execute(by_id(table), {"rid": pk})
        found = result.first()
        return None if found is None else self._keep(table, dict(zip(result.keys(), found, strict=True)))

    def rows(self, table: Table, stmt: Any, absent: Iterable[str] = ()) -> list[Row]:
        """The rows a `select(table, ...)` finds, each kept for the transaction; the Ids in `absent` that
        it does not find are remembered as not there (a later `get` reads nothing)."""
        result = self.conn.execute(stmt)
        names = list(result.keys())
        found = [self._keep(table, dict(zip(names, r, strict=True))) for r in result]
        for pk in absent:
            self._rows.setdefault((table, pk), None)
        return found

    def rows_with(self, table: Table, stmt: Any) -> Iterable[tuple[Row, Any]]:
        """For `select(table, extra)`: (the kept row, the extra column) pairs."""
        result = self.conn.execute(stmt)
        names = list(result.keys())[: len(table.columns)]
        for r in result:
            yield self._keep(table, dict(zip(names, r, strict=False))), r[-1]

    def scalar(self, stmt: Any) -> Any:
        return self.conn.scalar(stmt)

    def execute(self, stmt: Any, params: Any = None) -> Any:
        return self.conn.execute(stmt, params)

    # -- writes --------------------------------------------------------------------------------
    def new_row(self, table: Table, values: dict[str, Any]) -> Row:
        """A row to insert: the table's column defaults, then `values`."""
        return Row({**column_defaults(table), **values})

    def add(self, table: Table, row: Row) -> None:
        self._new.append((table, row))
        self._rows[(table, row.Id)] = row

    def flush(self) -> None:
        """Write what changed: one INSERT executemany per table, one UPDATE executemany per set of changed
        columns (nothing for a row whose values are as read)."""
        inserts: dict[Table, list[dict[str, Any]]] = {}
        for table, row in self._new:
            inserts.setdefault(table, []).append(dict(row.__dict__))
        for table, params in inserts.items():
            self.conn.execute(insert_of(table), params)
        updates: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
        for key, before in self._before.items():
            now = self._rows[key].__dict__  # type: ignore[union-attr]
            changed = {k: v for k, v in now.items() if before.get(k) != v}
            if changed:
                updates.setdefault((key[0], tuple(sorted(changed))), []).append({ID_KEY: key[1], **changed})
        for (table, _columns), params in updates.items():
            self.conn.execute(update_of(table), params)
        self._new.clear()
        self._before = {key: dict(self._rows[key].__dict__) for key in self._before}  # type: ignore[union-attr]
