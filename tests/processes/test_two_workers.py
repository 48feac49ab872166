"""F8: two `tasksync run --interval` processes on one state database (SQLite file, PostgreSQL) while
reps edit both sides: no crash, both stop cleanly on SIGTERM, no duplicates, nothing lost - and no
user was ever worked by both at once, shown from the lease journal `sync_lease_log`.

TASKSYNC_TWO_WORKERS_SECONDS sets how long the edits go on (default 12; `make soak`: 60).
"""

from __future__ import annotations

import os
import random
import time

from sqlalchemy import create_engine, text

from tests.processes.world import World, settle

SECONDS = float(os.environ.get("TASKSYNC_TWO_WORKERS_SECONDS", 12))


def overlaps(events: list[tuple[str, str, str]]) -> list[str]:
    """Moments the journal shows a user held by two processes: an acquisition while another holds it.

    `events` are (user_id, holder, event) in commit order. No process dies in this test, so nobody
    may take over a lease either."""
    holding: dict[str, str] = {}
    problems = []
    for user, holder, event in events:
        if event in ("acquired", "taken_over"):
            if user in holding or event == "taken_over":
                problems.append(f"{holder} {event} {user} while {holding.get(user)} held it")
            holding[user] = holder
        elif event == "released":
            if holding.get(user) != holder:
                problems.append(f"{holder} released {user} held by {holding.get(user)}")
            holding.pop(user, None)
    return problems


def _two_workers(tmp_path, state_url: str) -> None:
    rng = random.Random(11)
    with World(tmp_path, state_url) as w:
        w.connect_users(3)
        w.seed(sf=60, sia=20)
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        procs = [w.start_engine("--interval", "0.3", log=log) for log in logs]
        for proc, log in zip(procs, logs, strict=True):
            w.wait_started(log, proc, 1)
        deadline = time.monotonic() + SECONDS
        rounds = 0
        while time.monotonic() < deadline:
            w.edit_round(rng, 4)
            rounds += 1
            time.sleep(0.3)
        codes = [w.stop(proc) for proc in procs]
        errors = [log.read_text() for log in logs]
        assert codes == [0, 0], errors
        assert all("tasksync: stopped" in e and "Traceback" not in e for e in errors), errors
        passes = settle(w)
        figures = w.verify()
        engine = create_engine(state_url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT user_id, holder, event FROM sync_lease_log ORDER BY id")).all()
        engine.dispose()
    events = [tuple(r) for r in rows]
    pids = {str(p.pid) for p in procs}
    worked = {h.rsplit(":", 1)[1] for _, h, e in events if e == "acquired"} & pids
    skipped = sum(1 for *_, e in events if e == "skipped")
    print(
        f"\ntwo workers on {state_url.split(':')[0]}: {SECONDS:.0f} s, edit rounds {rounds}, "
        f"lease events {len(events)} (skips {skipped}), both worked: {worked == pids}, "
        f"clean passes {passes}, duplicates {figures['duplicates']}, lost {figures['lost']}"
    )
    assert overlaps(events) == []
    assert worked == pids  # both processes really worked users
    assert figures["problems"] == []
    assert passes[-1] == 0 and len(passes) <= 2, passes


def test_F8_two_engines_on_one_sqlite_state_db(tmp_path):
    _two_workers(tmp_path, f"sqlite:///{tmp_path / 'state.db'}")


def test_F8_two_engines_on_one_postgresql_state_db(tmp_path, pg_url):
    _two_workers(tmp_path, pg_url)


def test_the_overlap_check_catches_a_user_held_twice():
    events = [("u", "h:1", "acquired"), ("u", "h:2", "acquired"), ("u", "h:1", "released")]
    assert len(overlaps(events)) == 2
    assert overlaps([("u", "h:1", "acquired"), ("u", "h:1", "released"), ("u", "h:2", "acquired")]) == []
