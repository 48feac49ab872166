"""The recycle bin and the replication windows (`updated/`, `deleted/`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mock_core.errors import AdminError
from mock_salesforce import errors as E
from mock_salesforce.ids import to18
from mock_salesforce.models import Task as TaskRow
from mock_salesforce.state import OrgBase
from mock_salesforce.wire import format_value, parse_datetime

RECYCLE_BIN_DAYS = 15  # deleted rows are purged after 15 days of clock time (reference §2.9)
UPDATED_WINDOW_DAYS = 30  # getUpdated looks back at most 30 days (reference §2.9)
MAX_REPLICATION_IDS = 600_000


def _minute(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0)


class ReplicationMixin(OrgBase):
    """Recycle bin (SF-ORG-12, -16) and getUpdated/getDeleted (a part of `Org`)."""

    # -- recycle bin -----------------------------------------------------------------------------
    def _purge_due(self, now: datetime) -> bool:
        return self._last_purge is None or not timedelta(0) <= now - self._last_purge < timedelta(minutes=1)

    def _purge_if_due(self) -> None:
        """`_maybe_purge` for a read: a transaction only in the minute a purge is due (issue 9)."""
        if self._purge_due(self.now()):
            with self.tx() as s:
                self._maybe_purge(s)

    def _maybe_purge(self, s: Session) -> None:
        """SF-ORG-12: lazily purge rows deleted over 15 days ago (clock time), at most once a clock minute."""
        now = self.now()
        if not self._purge_due(now):
            return
        self._last_purge = now
        s.execute(
            delete(TaskRow).where(
                TaskRow.IsDeleted.is_(True), TaskRow.DeletedDate < now - timedelta(days=RECYCLE_BIN_DAYS)
            )
        )

    def recycle_bin(self) -> list[dict[str, Any]]:
        with self.tx() as s:
            self._maybe_purge(s)
            rows = s.scalars(select(TaskRow).where(TaskRow.IsDeleted.is_(True)).order_by(TaskRow.DeletedDate))
            return [
                {"Id": r.Id, "Subject": r.Subject, "DeletedDate": format_value("datetime", r.DeletedDate)}
                for r in rows
            ]

    def restore(self, task_id: str | list[str]) -> list[str]:
        """Undelete from the recycle bin (bumps SystemModstamp/LastModifiedDate)."""
        ids = [task_id] if isinstance(task_id, str) else list(task_id)
        restored = []
        with self.tx() as s:
            self._maybe_purge(s)
            schema = self.schemas["task"]
            for rid in ids:
                try:
                    row = s.get(TaskRow, to18(rid))
                except ValueError as exc:
                    raise AdminError(f"malformed id {rid}") from exc
                if row is None or not row.IsDeleted:
                    raise AdminError(f"{rid} is not in the recycle bin", code="not_found", status=404)
                try:
                    self._unique_check(s, schema, row.Id, lambda attr, r=row: getattr(r, attr), None)
                except E.DuplicateValue as exc:
                    raise AdminError(exc.message, code="conflict", status=409) from exc
                row.IsDeleted = False
                row.DeletedDate = None
                row.LastModifiedDate = row.SystemModstamp = self.now()
                restored.append(row.Id)
        return restored

    def purge_recycle_bin(self) -> int:
        with self.tx() as s:
            n = s.execute(delete(TaskRow).where(TaskRow.IsDeleted.is_(True))).rowcount
        self._manual_purge_at = self.now()
        return n

    # -- replication (updated / deleted) ------------------------------------------------------------
    def _window(self, start: str | None, end: str | None, days: int) -> tuple[datetime, datetime, datetime]:
        """SF-ORG-17: the replication window, checked the way getUpdated/getDeleted check it."""
        if not start or not end:
            raise E.InvalidReplicationDate(
                "Both start and end are required, e.g. ?start=2026-11-27T00:00:00%2B00:00"
                "&end=2026-11-28T00:00:00%2B00:00"
            )
        parsed = []
        for value in (start, end):
            try:
                parsed.append(_minute(parse_datetime(value)))  # seconds are truncated
            except ValueError as exc:
                raise E.InvalidReplicationDate(
                    f"Unable to parse the date: {value}. Use ISO-8601 with an offset, e.g. "
                    "2026-11-27T00:00:00+00:00"
                ) from exc
        begin, finish = parsed
        now = self.now()
        if finish - begin < timedelta(minutes=1):
            raise E.InvalidReplicationDate("startDate must be at least one minute greater than endDate")
        if begin < _minute(now) - timedelta(days=days):
            raise E.InvalidReplicationDate(f"startDate cannot be more than {days} days ago")
        return begin, finish, min(finish, _minute(now))

    def updated(self, sobject: str, start: str | None, end: str | None) -> dict[str, Any]:
        schema = self.schema(sobject)
        begin, _finish, covered = self._window(start, end, UPDATED_WINDOW_DAYS)
        model = schema.model
        with self.tx() as s:
            stmt = select(model.Id).where(model.SystemModstamp >= begin, model.SystemModstamp < covered)
            if model is TaskRow:
                stmt = stmt.where(TaskRow.IsDeleted.is_(False))
            ids = list(
                s.scalars(stmt.order_by(model.SystemModstamp, model.Id).limit(MAX_REPLICATION_IDS + 1))
            )
        if len(ids) > MAX_REPLICATION_IDS:
            raise E.ExceededIdLimit("There are more than 600,000 ids in the window; use a shorter window")
        return {"ids": ids, "latestDateCovered": format_value("datetime", covered)}

    def deleted(self, sobject: str, start: str | None, end: str | None) -> dict[str, Any]:
        schema = self.schema(sobject)
        begin, _finish, covered = self._window(start, end, RECYCLE_BIN_DAYS)
        now = self.now()
        earliest = _minute(now - timedelta(days=RECYCLE_BIN_DAYS))
        if self._manual_purge_at is not None and self._manual_purge_at > earliest:
            earliest = _minute(self._manual_purge_at)
        if begin < earliest:
            raise E.InvalidReplicationDate(
                "startDate is before earliestDateAvailable "
                f"{format_value('datetime', earliest)}: the recycle bin was purged"
            )
        records: list[dict] = []
        if schema.model is TaskRow:
            with self.tx() as s:
                self._maybe_purge(s)
                rows = s.execute(
                    select(TaskRow.Id, TaskRow.DeletedDate)
                    .where(
                        TaskRow.IsDeleted.is_(True),
                        TaskRow.DeletedDate >= begin,
                        TaskRow.DeletedDate < covered,
                    )
                    .order_by(TaskRow.DeletedDate, TaskRow.Id)
                    .limit(MAX_REPLICATION_IDS + 1)
                ).all()
            if len(rows) > MAX_REPLICATION_IDS:
                raise E.ExceededIdLimit("There are more than 600,000 ids in the window; use a shorter window")
            records = [{"id": rid, "deletedDate": format_value("datetime", when)} for rid, when in rows]
        return {
            "deletedRecords": records,
            "earliestDateAvailable": format_value("datetime", earliest),
            "latestDateCovered": format_value("datetime", covered),
        }
