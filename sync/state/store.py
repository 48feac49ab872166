"""The state store: short transactions, one per batch the engine applies."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from mock_core.db import make_engine
from sync.planner import LinkObs
from sync.state.models import (
    Base,
    ConflictRecord,
    Cursor,
    DeletionRecord,
    Link,
    Run,
    TaskError,
    UserState,
)

DEFAULT_URL = "sqlite:///tasksync-state.db"


@dataclass
class Batch:
    """What one applied batch changes in the state, committed together."""

    links: list[LinkObs] = field(default_factory=list)
    errors: list[tuple[str, str, str | None, str]] = field(default_factory=list)  # side, task_id, code, msg
    cleared: list[tuple[str, str]] = field(default_factory=list)  # side, task_id
    conflicts: list[dict] = field(default_factory=list)
    deletions: list[dict] = field(default_factory=list)


class StateStore:
    def __init__(self, url: str | None = None) -> None:
        self.url = url or "sqlite://"
        self.engine = make_engine(url)
        Base.metadata.create_all(self.engine)
        self._upgrade()
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _upgrade(self) -> None:
        """Columns added since a state database was created (create_all only makes missing tables)."""
        columns = {c["name"] for c in inspect(self.engine).get_columns(Cursor.__tablename__)}
        if "lookback_rows" not in columns:
            with self.engine.begin() as conn:
                conn.execute(
                    text(f"ALTER TABLE {Cursor.__tablename__} ADD COLUMN lookback_rows INTEGER DEFAULT 0")
                )
        # Until the Alembic chain lands: the columns of migration 0003_user_outcomes.
        users = {c["name"] for c in inspect(self.engine).get_columns(UserState.__tablename__)}
        for name in ("sf_connection", "last_sweep_at", "outcome", "outcome_reason", "outcome_since"):
            if name not in users:
                column = UserState.__table__.c[name]
                with self.engine.begin() as conn:
                    kind = column.type.compile(dialect=self.engine.dialect)
                    conn.execute(text(f"ALTER TABLE {UserState.__tablename__} ADD COLUMN {name} {kind}"))

    def close(self) -> None:
        self.engine.dispose()

    # -- users and cursors -----------------------------------------------------------------
    def user(self, user_id: str) -> UserState:
        with self.sessions() as s:
            row = s.get(UserState, user_id)
            return row if row is not None else UserState(user_id=user_id)

    def save_user(self, row: UserState) -> None:
        with self.sessions.begin() as s:
            s.merge(row)

    def cursor(self, user_id: str, side: str) -> tuple[str | None, str | None, bool, int]:
        """(stamp, last_id, settled, lookback_rows) of one side's bookmark; see `Cursor`."""
        with self.sessions() as s:
            row = s.get(Cursor, (user_id, side))
            if row is None:
                return (None, None, False, 0)
            return (row.stamp, row.last_id, bool(row.settled), row.lookback_rows or 0)

    def set_cursor(
        self,
        user_id: str,
        side: str,
        stamp: str | None,
        last_id: str | None,
        settled: bool = False,
        lookback_rows: int = 0,
    ) -> None:
        with self.sessions.begin() as s:
            s.merge(
                Cursor(
                    user_id=user_id,
                    side=side,
                    stamp=stamp,
                    last_id=last_id,
                    settled=settled,
                    lookback_rows=lookback_rows,
                )
            )

    # -- links -------------------------------------------------------------------------------
    def links(self, user_id: str) -> list[LinkObs]:
        with self.sessions() as s:
            return [_obs(row) for row in s.scalars(select(Link).where(Link.user_id == user_id))]

    def has_links(self, user_id: str) -> bool:
        with self.sessions() as s:
            return s.scalar(select(Link.id).where(Link.user_id == user_id).limit(1)) is not None

    def all_links(self) -> list[tuple[str, LinkObs]]:
        with self.sessions() as s:
            return [(row.user_id, _obs(row)) for row in s.scalars(select(Link))]

    # -- one batch ---------------------------------------------------------------------------
    def commit(self, user_id: str, batch: Batch, at: str, run_id: int | None) -> None:
        with self.sessions.begin() as s:
            for obs in batch.links:
                self._save_link(s, user_id, obs)
            for side, task_id in batch.cleared:
                s.execute(
                    delete(TaskError).where(
                        TaskError.user_id == user_id, TaskError.side == side, TaskError.task_id == task_id
                    )
                )
            for side, task_id, code, message in batch.errors:
                row = s.scalar(
                    select(TaskError).where(
                        TaskError.user_id == user_id, TaskError.side == side, TaskError.task_id == task_id
                    )
                )
                if row is None:
                    s.add(
                        TaskError(
                            user_id=user_id,
                            side=side,
                            task_id=task_id,
                            code=code,
                            message=message,
                            attempts=1,
                            first_at=at,
                            last_at=at,
                        )
                    )
                else:
                    row.code, row.message, row.attempts, row.last_at = code, message, row.attempts + 1, at
            for c in batch.conflicts:
                s.add(ConflictRecord(run_id=run_id, user_id=user_id, at=at, **c))
            for d in batch.deletions:
                s.add(DeletionRecord(run_id=run_id, user_id=user_id, at=at, **d))

    @staticmethod
    def _save_link(s: Session, user_id: str, obs: LinkObs) -> None:
        row = s.get(Link, obs.row_id) if obs.row_id else None
        if row is None:
            row = s.scalar(select(Link).where(Link.user_id == user_id, Link.sf_id == obs.sf_id))
        if row is None:
            row = s.scalar(select(Link).where(Link.user_id == user_id, Link.sia_id == obs.sia_id))
        if row is None:
            row = Link(user_id=user_id)
            s.add(row)
        for name in (
            "sia_id",
            "sf_id",
            "live",
            "sia_values",
            "sf_values",
            "sia_hash",
            "sf_hash",
            "sia_stamp",
            "sf_stamp",
            "generation",
        ):
            setattr(row, name, getattr(obs, name))
        s.flush()
        obs.row_id = row.id

    # -- errors, runs, records ---------------------------------------------------------------
    def task_errors(self, user_id: str | None = None) -> list[TaskError]:
        with self.sessions() as s:
            q = select(TaskError)
            if user_id:
                q = q.where(TaskError.user_id == user_id)
            return list(s.scalars(q.order_by(TaskError.id)))

    def conflicts(self, user_id: str | None = None) -> list[ConflictRecord]:
        with self.sessions() as s:
            q = select(ConflictRecord)
            if user_id:
                q = q.where(ConflictRecord.user_id == user_id)
            return list(s.scalars(q.order_by(ConflictRecord.id)))

    def deletions(self, user_id: str | None = None) -> list[DeletionRecord]:
        with self.sessions() as s:
            q = select(DeletionRecord)
            if user_id:
                q = q.where(DeletionRecord.user_id == user_id)
            return list(s.scalars(q.order_by(DeletionRecord.id)))

    def start_run(self, at: str) -> int:
        with self.sessions.begin() as s:
            run = Run(started_at=at)
            s.add(run)
            s.flush()
            return run.id

    def finish_run(self, run_id: int, at: str, report: dict) -> None:
        with self.sessions.begin() as s:
            run = s.get(Run, run_id)
            run.finished_at, run.report = at, report

    def runs(self, limit: int = 10) -> list[Run]:
        with self.sessions() as s:
            return list(s.scalars(select(Run).order_by(Run.id.desc()).limit(limit)))


def _obs(row: Link) -> LinkObs:
    return LinkObs(
        sia_id=row.sia_id,
        sf_id=row.sf_id,
        live=row.live,
        sia_values=dict(row.sia_values),
        sf_values=dict(row.sf_values),
        sia_hash=row.sia_hash,
        sf_hash=row.sf_hash,
        sia_stamp=row.sia_stamp,
        sf_stamp=row.sf_stamp,
        generation=row.generation,
        row_id=row.id,
    )
