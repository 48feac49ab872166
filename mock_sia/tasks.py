"""SIA's tasks: create/read/update/delete, the set-based batch, the list and the Command Center."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, insert, select, union_all
from sqlalchemy.orm import Session

from mock_sia.accounts import UserInfo
from mock_sia.database import StoreBase
from mock_sia.errors import BadRequest, Conflict, NotFound, SiaError, ValidationFailed
from mock_sia.models import (
    IdempotencyKey,
    Task,
)
from mock_sia.wire import (
    BATCH_MAX,
    TASK_COLUMN_NAMES,
    TASK_COLUMNS,
    IsoTimes,
    body_hash,
    clean_task_fields,
    encode_cursor,
    parse_task_id,
    task_row_to_dict,
    task_to_dict,
    zone,
)


@dataclass(frozen=True)
class ListQuery:
    updated_since_ms: int | None = None
    include_deleted: bool = False
    status: str | None = None
    due_before: date | None = None
    due_after: date | None = None
    limit: int = 100
    cursor: tuple[int, int] | None = None
    after: tuple[int, int] | None = None  # keyset start: (updated_at, id) strictly greater than this


class TasksMixin(StoreBase):
    """The task verbs (a part of `SiaStore`); each runs in one short transaction."""

    # -- tasks ------------------------------------------------------------------------------------
    def _own_task(self, s: Session, user: UserInfo, task_id: str, *, include_deleted: bool = False) -> Task:
        """The user's task, else 404 — also for another user's id, which must stay invisible (R1.4)."""
        pk = parse_task_id(task_id)
        task = s.get(Task, pk) if pk is not None else None
        if task is None or task.user_pk != user.pk or (task.deleted_ms is not None and not include_deleted):
            raise NotFound(f"no task {task_id}", field="id")
        return task

    def _touch(self, task: Task) -> None:
        """`updated_at` never goes backwards and always moves: +1 ms within the same millisecond."""
        task.updated_ms = max(self.now_ms(), task.updated_ms + 1)

    def get_task(self, user: UserInfo, task_id: str, include_deleted: bool = False) -> dict:
        with self.tx() as s:
            return task_to_dict(self._own_task(s, user, task_id, include_deleted=include_deleted), user.id)

    def list_tasks(self, user: UserInfo, query: ListQuery) -> tuple[list[dict], str | None]:
        """Ordered by (updated_at, id); keyset paging so ties on updated_at never skip or repeat.

        The change list the sync reads every pass (issue 9): Core SELECTs down the index (user,
        updated_at, id) - rows, not ORM objects - turned straight into the wire form. A keyset bound
        (after= / cursor) is two index seeks merged in order: the rest of the bound's own instant
        (`updated_at = X AND id > Y`) and every later instant (`updated_at > X`), so a read starts where
        the last one ended even when thousands of tasks share one `updated_at` (the cost of an idle
        read does not grow with them)."""
        t = Task.__table__.c
        where = [t.user_pk == user.pk]
        if not query.include_deleted:
            where.append(t.deleted_ms.is_(None))
        if query.updated_since_ms is not None:
            where.append(t.updated_ms >= query.updated_since_ms)
        if query.status:
            where.append(t.status == query.status)
        if query.due_before:
            where.append(t.due_date <= query.due_before)
        if query.due_after:
            where.append(t.due_date >= query.due_after)
        size = query.limit + 1  # one more than a page: is there a next one?
        bounds = [b for b in (query.after, query.cursor) if b]  # both strict bounds on (updated_at, id)
        if bounds:
            updated_ms, pk = max(bounds)  # above both = above the greater

            def seek(*bound: ColumnElement[bool]) -> Select:
                """One index range in order. SQLite merges the two ranges by the index order itself and
                stops at the LIMIT; PostgreSQL would sort every row of both, so each side is cut to a page
                there (two ordered index scans, merged)."""
                side = select(*TASK_COLUMNS).where(*where, *bound)
                if self.engine.dialect.name == "sqlite":
                    return side
                return select(side.order_by(t.updated_ms, t.pk).limit(size).subquery())

            merged = union_all(seek(t.updated_ms == updated_ms, t.pk > pk), seek(t.updated_ms > updated_ms))
            in_order = merged.subquery()
            stmt = select(in_order).order_by(in_order.c.updated_ms, in_order.c.pk)
        else:
            stmt = select(*TASK_COLUMNS).where(*where).order_by(t.updated_ms, t.pk)
        with self.tx() as s:
            rows = s.execute(stmt.limit(size)).all()
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        next_cursor = encode_cursor(rows[-1].updated_ms, rows[-1].pk) if more and rows else None
        times = IsoTimes()
        return [task_row_to_dict(row, user.id, times) for row in rows], next_cursor

    def create_task(self, user: UserInfo, data: Any, idempotency_key: str | None = None) -> dict:
        """Create a task; with an Idempotency-Key the same key gives the first result, never a second task."""
        result = self.batch(
            user, [{"op": "create", "data": data, "idempotency_key": idempotency_key}], single=True
        )
        return result[0]["data"]

    def update_task(self, user: UserInfo, task_id: str, data: Any) -> dict:
        fields = clean_task_fields(data, partial=True)
        with self.tx() as s:
            return self._update_in(s, user, task_id, fields)

    def _update_in(self, s: Session, user: UserInfo, task_id: str, fields: dict) -> dict:
        task = self._own_task(s, user, task_id)
        for key, value in fields.items():
            setattr(task, key, value)
        self._touch(task)  # a PATCH always moves updated_at, even when nothing changed
        return task_to_dict(task, user.id)

    def delete_task(self, user: UserInfo, task_id: str) -> None:
        with self.tx() as s:
            self._delete_in(s, user, task_id)

    def _delete_in(self, s: Session, user: UserInfo, task_id: str) -> None:
        """Tombstone the task (R6.2: gone from the Command Center; still listed with include_deleted).

        Deleting an already deleted task of one's own succeeds again without changing it (retries).
        """
        task = self._own_task(s, user, task_id, include_deleted=True)
        if task.deleted_ms is None:
            self._touch(task)
            task.deleted_ms = task.updated_ms

    def batch(self, user: UserInfo, operations: Any, *, single: bool = False) -> list[dict]:
        """Up to 200 creates/updates/deletes; each item is independent and answered in request order.

        Set-based (issue 9): one transaction and a few statements per batch - the tasks the updates and
        deletes name and the idempotency keys the creates carry are read with one SELECT each, the new
        tasks go in with one flush, their keys with another. Each item still fails alone: every check
        runs before the item changes anything. `single` is `create_task`'s path (its errors raise)."""
        if not isinstance(operations, list):
            raise ValidationFailed("'operations' must be a list", field="operations")
        if not 1 <= len(operations) <= BATCH_MAX:
            raise ValidationFailed(f"'operations' must hold 1..{BATCH_MAX} items", field="operations")
        parsed: list[tuple | SiaError] = []
        for op in operations:
            try:
                parsed.append(self._parse_op(op, single))
            except SiaError as exc:
                if single:
                    raise
                parsed.append(exc)
        results: list[dict] = [{} for _ in parsed]
        with self.tx() as s:
            pks = {parse_task_id(p[1]) for p in parsed if isinstance(p, tuple) and p[0] != "create"}
            if pks - {None}:
                # into the identity map, which holds rows weakly: s.info keeps them for the batch
                s.info["held"] = list(s.scalars(select(Task).where(Task.pk.in_(pks - {None}))))
            keys = {p[3] for p in parsed if isinstance(p, tuple) and p[0] == "create" and p[3] is not None}
            known: dict[str, tuple[str, int | None]] = {}  # key -> (body hash, the result's index or None)
            stored: dict[str, str] = {}  # key -> the stored first answer
            if keys:
                for row in s.scalars(
                    select(IdempotencyKey).where(
                        IdempotencyKey.user_pk == user.pk, IdempotencyKey.key.in_(keys)
                    )
                ):
                    known[row.key], stored[row.key] = (row.body_hash, None), row.response_json
            created: list[tuple[int, dict, str | None, str]] = []
            replays: list[tuple[int, int]] = []
            s.autoflush = False  # the new rows go in together below, not one by one
            for i, item in enumerate(parsed):
                try:
                    if isinstance(item, SiaError):
                        raise item
                    kind, task_id, fields, key, data = item
                    if kind == "update":
                        results[i] = {"status": 200, "data": self._update_in(s, user, task_id, fields)}
                    elif kind == "delete":
                        self._delete_in(s, user, task_id)
                        results[i] = {"status": 204, "id": task_id}
                    else:
                        digest = body_hash(data) if key is not None else ""
                        if key is not None and key in known:
                            first_hash, first = known[key]
                            if first_hash != digest:
                                raise Conflict(
                                    "this Idempotency-Key was used with a different body",
                                    field="Idempotency-Key",
                                )
                            if first is None:
                                results[i] = {"status": 201, "data": json.loads(stored[key])}
                            else:
                                replays.append((i, first))
                            continue
                        now = self.now_ms()
                        row = dict(fields, user_pk=user.pk, created_ms=now, updated_ms=now, deleted_ms=None)
                        created.append((i, row, key, digest))
                        if key is not None:
                            known[key] = (digest, i)
                except SiaError as exc:
                    if single:
                        raise
                    results[i] = {"status": exc.status, "error": exc.to_dict()["error"]}
            if created:
                self._insert_tasks(s, [row for _, row, _, _ in created])
                keyed = []
                times = IsoTimes()
                for i, row, key, digest in created:
                    out = task_row_to_dict([row[name] for name in TASK_COLUMN_NAMES], user.id, times)
                    results[i] = {"status": 201, "data": out}
                    if key is not None:
                        keyed.append(
                            {
                                "user_pk": user.pk,
                                "key": key,
                                "body_hash": digest,
                                "task_pk": row["pk"],
                                "response_json": json.dumps(out),
                                "created_ms": row["created_ms"],
                            }
                        )
                if keyed:
                    s.execute(insert(IdempotencyKey.__table__), keyed)  # one executemany (Core)
            for i, first in replays:
                results[i] = {"status": 201, "data": json.loads(json.dumps(results[first]["data"]))}
        return results

    def _insert_tasks(self, s: Session, rows: list[dict]) -> None:
        """The batch's new tasks with one statement (Core, no ORM objects); each row gets its `pk`."""
        table = Task.__table__
        if self.engine.dialect.name == "sqlite":
            # SQLite cannot say which new rowid belongs to which row of a multi-row INSERT: number them
            # here as SQLite would (max + 1; we hold the lock), and the rows go in with one executemany.
            with s.no_autoflush:
                top = s.scalar(select(func.max(Task.pk))) or 0
            for n, row in enumerate(rows, start=1):
                row["pk"] = top + n
            s.execute(insert(table), rows)
            return
        # PostgreSQL: one INSERT .. VALUES .. RETURNING, its keys in the order of the rows
        pks = s.execute(insert(table).returning(table.c.pk, sort_by_parameter_order=True), rows).scalars()
        for row, pk in zip(rows, pks, strict=True):
            row["pk"] = pk

    @staticmethod
    def _parse_op(op: Any, single: bool) -> tuple:
        """An operation's shape and body checked: (kind, task id, clean fields, idempotency key, data)."""
        if single:
            key = op.get("idempotency_key")
            if key is not None and (not key.strip() or len(key) > 255):
                raise BadRequest("'Idempotency-Key' must be 1..255 characters", field="Idempotency-Key")
            return ("create", None, clean_task_fields(op.get("data"), partial=False), key, op.get("data"))
        if not isinstance(op, Mapping):
            raise ValidationFailed("an operation must be a JSON object", field="op")
        unknown = set(op) - {"op", "id", "data", "idempotency_key"}
        if unknown:
            first = sorted(unknown)[0]
            raise ValidationFailed(f"unknown operation key '{first}'", field=first)
        kind = op.get("op")
        if kind == "create":
            key = op.get("idempotency_key")
            if key is not None and not isinstance(key, str):
                raise ValidationFailed("'idempotency_key' must be a string", field="idempotency_key")
            if key is not None and (not key.strip() or len(key) > 255):
                raise BadRequest("'Idempotency-Key' must be 1..255 characters", field="Idempotency-Key")
            return ("create", None, clean_task_fields(op.get("data"), partial=False), key, op.get("data"))
        if kind in ("update", "delete"):
            if not isinstance(op.get("id"), str):
                raise ValidationFailed(f"'{kind}' needs the task 'id'", field="id")
            fields = clean_task_fields(op.get("data"), partial=True) if kind == "update" else {}
            return (kind, op["id"], fields, None, op.get("data"))
        raise ValidationFailed("'op' must be create, update or delete", field="op")

    # -- the Command Center (R6) ------------------------------------------------------------------
    def command_center(self, user: UserInfo) -> dict:
        """R6.1: open tasks due today and tomorrow in the user's own time zone; R6.2: never deleted ones."""
        today = self.clock.today(zone(user.time_zone))
        tomorrow = today + timedelta(days=1)
        stmt = (
            select(Task)
            .where(
                Task.user_pk == user.pk,
                Task.deleted_ms.is_(None),
                Task.status == "open",
                Task.due_date.in_([today, tomorrow]),
            )
            .order_by(Task.due_date, Task.created_ms, Task.pk)
        )
        with self.tx() as s:
            rows = list(s.scalars(stmt))
        # High priority first within a day, then by creation.
        rows.sort(key=lambda t: (t.due_date, t.priority != "high", t.created_ms, t.pk))
        return {
            "date": today.isoformat(),
            "time_zone": user.time_zone,
            "today": [task_to_dict(t, user.id) for t in rows if t.due_date == today],
            "tomorrow": [task_to_dict(t, user.id) for t in rows if t.due_date == tomorrow],
        }
