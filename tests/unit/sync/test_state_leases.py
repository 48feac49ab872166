"""F8 one worker per user on a SQLite state file: a live holder keeps its user, a dead one (killed,
its pid gone) is taken over at once, another host's lease only after it expired."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sync.state import StateStore

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
HOST = socket.gethostname()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # reaped: the pid is free
    return proc.pid


def test_a_live_holder_keeps_the_user_and_a_dead_one_is_taken_over(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    me = StateStore(url, holder=f"{HOST}:{os.getpid()}")
    dead = StateStore(url, holder=f"{HOST}:{_dead_pid()}")
    other = StateStore(url, holder=f"{HOST}:{os.getppid()}")
    try:
        assert me.leases.acquire("usr_1", NOW) is None
        assert other.leases.acquire("usr_1", NOW + timedelta(days=30)) == me.leases.holder  # alive: kept
        me.leases.release("usr_1", NOW)
        assert dead.leases.acquire("usr_1", NOW) is None  # a process that then "died" holding it
        assert other.leases.acquire("usr_1", NOW) is None  # taken over at once, no expiry wait
        events = [(e.holder, e.event) for e in me.leases.journal()]
        assert events[-1] == (other.leases.holder, "taken_over")
        assert (other.leases.holder, "skipped") in events
    finally:
        for store in (me, dead, other):
            store.close()


def test_another_hosts_lease_is_taken_only_after_it_expired(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    far = StateStore(url, holder="elsewhere:4242")
    here = StateStore(url, holder=f"{HOST}:{os.getpid()}")
    try:
        assert far.leases.acquire("usr_1", NOW) is None
        assert here.leases.acquire("usr_1", NOW + timedelta(minutes=29)) == "elsewhere:4242"
        assert here.leases.acquire("usr_1", NOW + timedelta(minutes=31)) is None
    finally:
        far.close()
        here.close()
