"""The engine's state (SQLAlchemy 2.0 typed models): links, cursors, users, runs, errors, records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """An instant: aware UTC datetimes in and out, on PostgreSQL (`timestamptz`) and SQLite alike.

    A naive value is refused (which zone would it be?); SQLite, which has no time-zone type, stores
    the UTC wall time to the microsecond (text that sorts like the instants it holds)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"a state instant must be an aware datetime, not {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class UserState(Base):
    """Per SIA user: the Salesforce user it syncs with and what enabling the engine last saw (R1.3)."""

    __tablename__ = "sync_users"
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    salesforce_user_id: Mapped[str | None] = mapped_column(String(18))
    enabled_at_seen: Mapped[datetime | None] = mapped_column(UtcDateTime)  # SIA's last_enabled_at
    import_floor: Mapped[datetime | None] = mapped_column(UtcDateTime)  # R3.3: 24 h before enabling
    start_kind: Mapped[str | None] = mapped_column(String(24))  # first | previously_enabled (pending)
    last_pass_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # engine clock
    # R1.1/R1.4: the Salesforce connection this state belongs to ("instance|username|given user id");
    # a different one is a new start for the user (links retired, cursors reset, owner looked up again).
    sf_connection: Mapped[str | None] = mapped_column(String(600))
    # R3.4/R4.2: when the periodic reconciliation sweep of linked ids last ran (engine clock).
    last_sweep_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # `tasksync status`: the user's last outcome - ok | stopped | deferred - why, and since when
    # (engine clock; `since` moves only when the outcome or its reason changes).
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    outcome_since: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Link(Base):
    """One SIA task <-> one Salesforce task, with what both looked like when last synced."""

    __tablename__ = "sync_links"
    __table_args__ = (UniqueConstraint("user_id", "sia_id"), UniqueConstraint("user_id", "sf_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    sia_id: Mapped[str] = mapped_column(String(64))
    sf_id: Mapped[str] = mapped_column(String(18))
    live: Mapped[bool] = mapped_column(Boolean, default=True)
    sia_values: Mapped[dict[str, Any]] = mapped_column(JSON)
    sf_values: Mapped[dict[str, Any]] = mapped_column(JSON)
    sia_hash: Mapped[str] = mapped_column(String(64))
    sf_hash: Mapped[str] = mapped_column(String(64))
    sia_stamp: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sf_stamp: Mapped[datetime | None] = mapped_column(UtcDateTime)
    generation: Mapped[int] = mapped_column(Integer, default=0)


class Cursor(Base):
    """Keyset bookmark (stamp, id) per user per side, in that side's own clock."""

    __tablename__ = "sync_cursors"
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    side: Mapped[str] = mapped_column(String(16), primary_key=True)
    stamp: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_id: Mapped[str | None] = mapped_column(String(64))
    # True when the last read found nothing beyond the bookmark (an idle read).
    settled: Mapped[bool] = mapped_column(Boolean, default=False)
    # F11/R4.6: an upper bound of the rows stamped in the look-back window [stamp - lookback, stamp].
    # Reads take that window along while it is under one page; at a page or more they use the strict
    # keyset only, until the bookmark moves past it (so an idle pass stays one read, F9).
    lookback_rows: Mapped[int] = mapped_column(Integer, default=0)


class Run(Base):
    __tablename__ = "sync_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class TaskError(Base):
    """A task that could not be synced (SIA's "Salesforce Diagnostics"); retried every pass until it works."""

    __tablename__ = "sync_task_errors"
    __table_args__ = (UniqueConstraint("user_id", "side", "task_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    side: Mapped[str] = mapped_column(String(16))  # the side whose task is to be re-read
    task_id: Mapped[str] = mapped_column(String(64))
    code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ConflictRecord(Base):
    __tablename__ = "sync_conflicts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    sia_id: Mapped[str] = mapped_column(String(64))
    sf_id: Mapped[str] = mapped_column(String(18))
    field: Mapped[str] = mapped_column(String(32))
    sia_value: Mapped[str | None] = mapped_column(Text)
    sf_value: Mapped[str | None] = mapped_column(Text)
    winner: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class DeletionRecord(Base):
    __tablename__ = "sync_deletions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    sia_id: Mapped[str] = mapped_column(String(64))
    sf_id: Mapped[str] = mapped_column(String(18))
    deleted_in: Mapped[str] = mapped_column(String(16))  # sia | salesforce | both
    how_found: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class Intent(Base):
    """R4.6/F8 write-ahead intent: one write the engine is about to send, stored before it is sent.

    `body` is the exact item sent (an SIA batch operation with its Idempotency-Key, a Salesforce
    record of an upsert/update, an id to delete); `action` the planned row, so a restart finishes it
    (links the created object) instead of planning it again. Deleted in the commit that records its
    answer; rows left behind belong to a pass that died and are resolved first at the user's next pass.
    """

    __tablename__ = "sync_intents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    side: Mapped[str] = mapped_column(String(16))  # sia | salesforce: where the write goes
    kind: Mapped[str] = mapped_column(String(16))  # create | upsert | update | delete
    target: Mapped[str | None] = mapped_column(String(64))  # SIA id, Salesforce id, or External ID
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Lease(Base):
    """One worker per user at a time (SQLite; PostgreSQL uses advisory locks): who holds the user."""

    __tablename__ = "sync_leases"
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))  # host:pid
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LeaseEvent(Base):
    """The lease journal: acquired / released / skipped / taken_over, in commit order (bounded)."""

    __tablename__ = "sync_lease_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    holder: Mapped[str] = mapped_column(String(128))
    event: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
