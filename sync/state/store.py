"""The state store: short transactions, one per batch the engine applies."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import create_engine, delete, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from sync.planner import LinkObs
from sync.state import migrate
from sync.state.lease import Leases
from sync.state.models import (
    ConflictRecord,
    Cursor,
    DeletionRecord,
    Intent,
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
    intents_done: list[int] = field(default_factory=list)  # R4.6/F8: answered, finished in this commit


def make_state_engine(url: str | None) -> Engine:
    """The state database's engine: one in-memory SQLite shared by every thread (`None`/`sqlite://`),
    a SQLite file (WAL, a 30 s busy timeout, every transaction `BEGIN IMMEDIATE` so that two processes
    serialise their writes instead of failing to upgrade a read lock), or any other SQLAlchemy URL."""
    if not url or url in ("sqlite://", "sqlite:///:memory:"):
        return create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class StateStore:
    def __init__(self, url: str | None = None, *, holder: str | None = None) -> None:
        self.url = url or "sqlite://"
        self.engine = make_state_engine(url)
        migrate.upgrade(self.engine)  # the newest schema, under a lock (concurrent starts are safe)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.leases = Leases(self.engine, self.sessions, holder=holder)

    def close(self) -> None:
        self.leases.release_all()
        self.engine.dispose()

    # -- write-ahead intents (R4.6/F8) ---------------------------------------------------------
    def add_intents(self, user_id: str, intents: list[dict], at: str) -> list[int]:
        """Store the writes about to be sent, in one commit; their ids, in order."""
        with self.sessions.begin() as s:
            rows = [Intent(user_id=user_id, created_at=at, **i) for i in intents]
            s.add_all(rows)
            s.flush()
            return [row.id for row in rows]

    def intents(self, user_id: str) -> list[Intent]:
        """Writes sent (or about to be) by a pass that never recorded their answer, oldest first."""
        with self.sessions() as s:
            return list(s.scalars(select(Intent).where(Intent.user_id == user_id).order_by(Intent.id)))

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
            if batch.intents_done:  # R4.6/F8: done in the same commit as what its answer changed
                s.execute(delete(Intent).where(Intent.id.in_(batch.intents_done)))

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
