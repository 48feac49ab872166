"""The state store: short transactions, one per batch the engine applies."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import create_engine, delete, event, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from sync.cursor import Cursor
from sync.domain import LinkObs
from sync.state import DEFAULT_URL, migrate
from sync.state.lease import Leases
from sync.state.models import (
    ConflictRecord,
    DeletionRecord,
    Intent,
    Link,
    Run,
    TaskError,
    UserState,
)
from sync.state.models import Cursor as CursorRow

__all__ = ["DEFAULT_URL", "Batch", "StateStore", "make_state_engine"]
CHUNK = 500  # ids per IN (...) list: well under every database's bound on parameters
LINK_FIELDS = (
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
)


@dataclass
class Batch:
    """What one applied batch changes in the state, committed together."""

    links: list[LinkObs] = field(default_factory=list)
    errors: list[tuple[str, str, str | None, str]] = field(default_factory=list)  # side, task_id, code, msg
    cleared: list[tuple[str, str]] = field(default_factory=list)  # side, task_id
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    deletions: list[dict[str, Any]] = field(default_factory=list)
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
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
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
    def add_intents(self, user_id: str, intents: list[dict[str, Any]], at: datetime) -> list[int]:
        """Store the writes about to be sent, in one commit (one multi-row INSERT); their ids, in order.

        Within one chunk every intent names a different target of one side, so the ids come back by
        (side, target), whatever order the database returns them in."""
        if not intents:
            return []
        with self.sessions.begin() as s:
            rows = [{"user_id": user_id, "created_at": at, **i} for i in intents]
            got = s.execute(insert(Intent).returning(Intent.id, Intent.side, Intent.target), rows).all()
            ids = {(side, target): row_id for row_id, side, target in got}
            if len(ids) == len(rows):
                return [ids[(i["side"], i["target"])] for i in intents]
            # Two intents with one target (never planned so): in insertion order, which ids follow.
            return sorted(row_id for row_id, _, _ in got)

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

    def cursor(self, user_id: str, side: str) -> Cursor:
        """One side's bookmark (`sync.cursor.Cursor`)."""
        with self.sessions() as s:
            row = s.get(CursorRow, (user_id, side))
            if row is None:
                return Cursor()
            return Cursor(row.stamp, row.last_id, bool(row.settled), row.lookback_rows or 0)

    def put_cursor(self, user_id: str, side: str, cursor: Cursor) -> None:
        self.set_cursor(user_id, side, cursor.stamp, cursor.last_id, cursor.settled, cursor.lookback_rows)

    def set_cursor(
        self,
        user_id: str,
        side: str,
        stamp: datetime | None,
        last_id: str | None,
        settled: bool = False,
        lookback_rows: int = 0,
    ) -> None:
        with self.sessions.begin() as s:
            s.merge(
                CursorRow(
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
            # On the session's Core connection: a plain column select needs none of the ORM's row loading.
            rows = s.connection().execute(_LINK_ROWS.where(Link.user_id == user_id))
            return [_obs(row) for row in rows]

    def links_for(self, user_id: str, sia_ids: Collection[str], sf_ids: Collection[str]) -> list[LinkObs]:
        """The links naming any of these ids (indexed lookups, once each): an idle pass loads none."""
        found: dict[int, LinkObs] = {}
        with self.sessions() as s:
            conn = s.connection()  # Core rows, as in `links`
            for column, ids in ((Link.sia_id, list(sia_ids)), (Link.sf_id, list(sf_ids))):
                for chunk in _chunks(ids):
                    q = _LINK_ROWS.where(Link.user_id == user_id, column.in_(chunk))
                    for row in conn.execute(q):
                        found.setdefault(row.id, _obs(row))
        return list(found.values())

    def has_links(self, user_id: str) -> bool:
        with self.sessions() as s:
            return s.scalar(select(Link.id).where(Link.user_id == user_id).limit(1)) is not None

    def all_links(self) -> list[tuple[str, LinkObs]]:
        with self.sessions() as s:
            return [(row.user_id, _obs(row)) for row in s.connection().execute(_LINK_ROWS)]

    # -- one batch: a few set statements, whatever its size (issue 9) -------------------------
    def commit(self, user_id: str, batch: Batch, at: datetime, run_id: int | None) -> None:
        with self.sessions.begin() as s:
            self._save_links(s, user_id, batch.links)
            if batch.cleared and s.scalar(select(TaskError.id).where(TaskError.user_id == user_id).limit(1)):
                for side in {side for side, _ in batch.cleared}:
                    ids = sorted({task_id for sd, task_id in batch.cleared if sd == side})
                    for chunk in _chunks(ids):
                        s.execute(
                            delete(TaskError).where(
                                TaskError.user_id == user_id,
                                TaskError.side == side,
                                TaskError.task_id.in_(chunk),
                            )
                        )
            if batch.errors:
                self._save_errors(s, user_id, batch.errors, at)
            if batch.conflicts:
                s.execute(
                    insert(ConflictRecord),
                    [{"run_id": run_id, "user_id": user_id, "at": at, **c} for c in batch.conflicts],
                )
            if batch.deletions:
                s.execute(
                    insert(DeletionRecord),
                    [{"run_id": run_id, "user_id": user_id, "at": at, **d} for d in batch.deletions],
                )
            if batch.intents_done:  # R4.6/F8: done in the same commit as what its answer changed
                s.execute(delete(Intent).where(Intent.id.in_(batch.intents_done)))

    @staticmethod
    def _save_links(s: Session, user_id: str, links: list[LinkObs]) -> None:
        """Bulk UPDATE of known links (by row id), bulk INSERT of new ones; a new one that names an
        existing link's Salesforce (else SIA) id updates that link instead."""
        unique = list({id(obs): obs for obs in links}.values())
        new = [obs for obs in unique if not obs.row_id]
        if new:
            by_sf: dict[str, int] = {}
            by_sia: dict[str, int] = {}
            # One lookup per column, not `sf_id IN .. OR sia_id IN ..`: with the OR, SQLite walks every
            # link of the user per batch (quadratic in a large push); alone, each seeks its unique index.
            for column, key in ((Link.sf_id, "sf_id"), (Link.sia_id, "sia_id")):
                for chunk in _chunks(new):
                    q = select(Link.id, Link.sf_id, Link.sia_id).where(
                        Link.user_id == user_id, column.in_([getattr(o, key) for o in chunk])
                    )
                    for row_id, sf_id, sia_id in s.execute(q):
                        by_sf[sf_id], by_sia[sia_id] = row_id, row_id
            for obs in new:
                obs.row_id = by_sf.get(obs.sf_id) or by_sia.get(obs.sia_id)
            new = [obs for obs in new if not obs.row_id]
        known = [obs for obs in unique if obs.row_id]
        if known:
            s.execute(update(Link), [{"id": obs.row_id, **_link_values(obs)} for obs in known])
        if new:
            rows = [{"user_id": user_id, **_link_values(obs)} for obs in new]
            # One multi-row INSERT; the ids come back by Salesforce id (unique per user), in any order.
            returned = s.execute(insert(Link).returning(Link.sf_id, Link.id), rows)
            got = {sf_id: row_id for sf_id, row_id in returned}
            for obs in new:
                obs.row_id = got[obs.sf_id]

    @staticmethod
    def _save_errors(
        s: Session, user_id: str, errors: list[tuple[str, str, str | None, str]], at: datetime
    ) -> None:
        latest = {(side, task_id): (code, message) for side, task_id, code, message in errors}
        existing: dict[tuple[str, str], TaskError] = {}
        for side in {side for side, _ in latest}:
            for chunk in _chunks(sorted(task_id for sd, task_id in latest if sd == side)):
                q = select(TaskError).where(
                    TaskError.user_id == user_id, TaskError.side == side, TaskError.task_id.in_(chunk)
                )
                existing.update({(row.side, row.task_id): row for row in s.scalars(q)})
        for side, task_id, code, message in errors:
            row = existing.get((side, task_id))
            if row is None:
                row = TaskError(
                    user_id=user_id,
                    side=side,
                    task_id=task_id,
                    code=code,
                    message=message,
                    attempts=1,
                    first_at=at,
                    last_at=at,
                )
                s.add(row)
                existing[(side, task_id)] = row
            else:
                row.code, row.message, row.attempts, row.last_at = code, message, row.attempts + 1, at

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

    def start_run(self, at: datetime) -> int:
        with self.sessions.begin() as s:
            run = Run(started_at=at)
            s.add(run)
            s.flush()
            return run.id

    def finish_run(self, run_id: int, at: datetime, report: dict[str, Any]) -> None:
        with self.sessions.begin() as s:
            run = s.get(Run, run_id)
            assert run is not None, f"run #{run_id} was started by this store"
            run.finished_at, run.report = at, report

    def runs(self, limit: int = 10) -> list[Run]:
        with self.sessions() as s:
            return list(s.scalars(select(Run).order_by(Run.id.desc()).limit(limit)))


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _link_values(obs: LinkObs) -> dict[str, Any]:
    return {name: getattr(obs, name) for name in LINK_FIELDS}


# Links are read as plain rows (Core), not ORM objects: no identity map for 10k rows (issue 9).
_LINK_ROWS = select(Link.__table__)


def _obs(row: Any) -> LinkObs:
    return LinkObs(
        sia_id=row.sia_id,
        sf_id=row.sf_id,
        live=bool(row.live),
        sia_values=row.sia_values,  # decoded from JSON just now: not shared with anything
        sf_values=row.sf_values,
        sia_hash=row.sia_hash,
        sf_hash=row.sf_hash,
        sia_stamp=row.sia_stamp,
        sf_stamp=row.sf_stamp,
        generation=row.generation,
        row_id=row.id,
    )
