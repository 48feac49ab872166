"""One worker per user at a time: a per-user lease in the state database.

    holder = leases.acquire(user_id, now)   # None: ours for this pass; else who holds it
    ...                                     # the user's pass
    leases.release(user_id, now)

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection kept open for the
user's pass - the server drops it the moment a killed process's connection dies. SQLite: a lease row
(holder `host:pid`, expiry) read and written in one `BEGIN IMMEDIATE` transaction. A row held by a
process of this host that is gone (no such pid, or a zombie) is taken over at once; a row of another
host only after its expiry; a live process of this host is never taken over, whatever the clocks say.
Both write the lease row (who holds it, for the skip message and `status`) and a bounded journal
`sync_lease_log` (acquired / taken_over / released / skipped, in commit order) - the evidence that
no user was worked by two processes at once. Every event is also logged on `sync.lease` with the
holder's pid (skips at INFO, take-overs at WARNING, acquire/release at DEBUG).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from sync.state.models import Lease, LeaseEvent

log = logging.getLogger("sync.lease")
KEEP_EVENTS = 20000  # the journal keeps about this many newest rows


def advisory_key(user_id: str) -> int:
    """A signed 64-bit key for pg_try_advisory_lock, derived from the user id."""
    digest = hashlib.blake2b(f"tasksync-user:{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def pid_alive(pid: int) -> bool:
    """Whether a process of this host with this pid exists and is not a zombie (killed, unreaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class Leases:
    def __init__(
        self,
        engine: Engine,
        sessions: sessionmaker[Session],
        *,
        holder: str | None = None,
        ttl: timedelta = timedelta(minutes=30),
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.host = socket.gethostname()
        self.holder = holder or f"{self.host}:{os.getpid()}"
        self.ttl = ttl
        self._pg = engine.dialect.name == "postgresql"
        self._locks: dict[str, Connection] = {}  # PostgreSQL: the connection holding each user's lock

    def acquire(self, user_id: str, now: datetime) -> str | None:
        """Take the user's lease for this pass: None if taken, else the holder that has it."""
        if self._pg:
            conn = self.engine.connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": advisory_key(user_id)}).scalar()
            conn.commit()
            if not got:
                conn.close()
                with self.sessions() as s:
                    row = s.get(Lease, user_id)
                    other = row.holder if row is not None else "another process"
                self._event(user_id, "skipped", now, f"held by {other}")
                return other
            self._locks[user_id] = conn
        with self.sessions.begin() as s:  # SQLite file: BEGIN IMMEDIATE - one writer at a time
            row = s.get(Lease, user_id)
            event = "acquired"
            if row is not None and row.holder != self.holder:
                if not self._pg and not self._may_take(row, now):
                    s.add(self._row(user_id, "skipped", now, f"held by {row.holder}"))
                    log.info("lease skipped user=%s holder=%s held_by=%s", user_id, self.holder, row.holder)
                    return str(row.holder)
                event, detail = "taken_over", f"from {row.holder}"
            else:
                detail = None
            s.merge(
                Lease(
                    user_id=user_id,
                    holder=self.holder,
                    acquired_at=now,
                    expires_at=now + self.ttl,
                )
            )
            s.add(self._row(user_id, event, now, detail))
        log.log(  # a take-over (a dead holder's lease) is worth an operator's eye; the routine at DEBUG
            logging.WARNING if detail else logging.DEBUG,
            "lease %s user=%s holder=%s%s",
            event,
            user_id,
            self.holder,
            f" ({detail})" if detail else "",
        )
        return None

    def release(self, user_id: str, now: datetime) -> None:
        with self.sessions.begin() as s:
            s.execute(delete(Lease).where(Lease.user_id == user_id, Lease.holder == self.holder))
            event = self._row(user_id, "released", now, None)
            s.add(event)
            s.flush()
            if event.id % 1000 == 0:  # keep the journal bounded
                newest = s.scalar(select(func.max(LeaseEvent.id))) or 0
                s.execute(delete(LeaseEvent).where(LeaseEvent.id < newest - KEEP_EVENTS))
        log.debug("lease released user=%s holder=%s", user_id, self.holder)
        conn = self._locks.pop(user_id, None)
        if conn is not None:  # PostgreSQL: the journal row is committed before the lock goes
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": advisory_key(user_id)})
                conn.commit()
            except Exception:
                conn.invalidate()  # never back to the pool still holding the lock
                raise
            finally:
                conn.close()

    def release_all(self) -> None:
        for conn in self._locks.values():
            conn.invalidate()  # really closed, not back to the pool: the server drops its locks with it
            conn.close()
        self._locks.clear()

    def journal(self) -> list[LeaseEvent]:
        with self.sessions() as s:
            return list(s.scalars(select(LeaseEvent).order_by(LeaseEvent.id)))

    def _may_take(self, row: Lease, now: datetime) -> bool:
        host, _, pid = row.holder.rpartition(":")
        if host == self.host and pid.isdigit():
            return not pid_alive(int(pid))  # this host: a live process keeps it, a dead one loses it
        return now >= row.expires_at  # another host: only once its lease ran out

    def _row(self, user_id: str, event: str, now: datetime, detail: str | None) -> LeaseEvent:
        return LeaseEvent(user_id=user_id, holder=self.holder, event=event, detail=detail, at=now)

    def _event(self, user_id: str, event: str, now: datetime, detail: str | None) -> None:
        with self.sessions.begin() as s:
            s.add(self._row(user_id, event, now, detail))
        log.info("lease %s user=%s holder=%s %s", event, user_id, self.holder, detail or "")
