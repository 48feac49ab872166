"""The state database on PostgreSQL: migrations under an advisory lock (concurrent starts), and the
per-user lease as a session advisory lock that dies with its holder's connection."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from sqlalchemy import text

from sync.state import StateStore
from sync.state.migrate import head

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_concurrent_starts_on_a_fresh_database_all_come_up(pg_url):
    code = f"from sync.state import StateStore; StateStore({pg_url!r}).close()"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    store = StateStore(pg_url)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head()
    store.close()


def test_one_holder_per_user_and_a_dead_holders_lock_goes_with_its_connection(pg_url):
    a, b = StateStore(pg_url, holder="host-a:1"), StateStore(pg_url, holder="host-b:2")
    try:
        assert a.leases.acquire("usr_1", NOW) is None
        assert b.leases.acquire("usr_1", NOW) == "host-a:1"  # skipped, and told who has it
        assert b.leases.acquire("usr_2", NOW) is None  # another user is free
        b.leases.release("usr_2", NOW)
        a.leases.release("usr_1", NOW)
        assert b.leases.acquire("usr_1", NOW) is None
        b.leases.release_all()  # as if killed: the connection goes, the lock with it
        assert a.leases.acquire("usr_1", NOW) is None
        a.leases.release("usr_1", NOW)
        events = [(e.user_id, e.holder, e.event) for e in a.leases.journal()]
        assert events[:3] == [
            ("usr_1", "host-a:1", "acquired"),
            ("usr_1", "host-b:2", "skipped"),
            ("usr_2", "host-b:2", "acquired"),
        ]
        assert events[-1] == ("usr_1", "host-a:1", "released")
        assert ("usr_1", "host-a:1", "taken_over") in events  # b's row was left behind by its "death"
    finally:
        a.close()
        b.close()
