"""The reliability scenarios of reference §6.1 (F1-F19) against both mocks in-process.

Each test names its F-number and the rule ids it touches. The correctness counters - duplicates,
losses, resurrections, off-by-one dates, echo writes - must all be 0, and after faults stop the
sides must converge within 2 clean passes (`settle`). F4 and F16 belong to the budget governor and
the mass-delete guard and are tested with them; F5 and F18 need real concurrency/sockets.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from reliability_support import (
    assert_converged,
    dump_state,
    duplicates,
    read_sides,
    settle,
    sf_floor,
    sia_floor,
    step,
    writes,
)

from mock_core import Clock
from sandbox.harness import Harness
from sync.adapters.salesforce import SalesforceAdapter
from sync.engine import Hooks

SF_WRITE = r"/composite/sobjects"
SIA_BATCH = r"/api/v1/tasks/batch$"


def sia_post(h, name: str, **fields) -> dict:
    response = h.sia_api("POST", "/tasks", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def sia_patch(h, task_id: str, **fields) -> dict:
    response = h.sia_api("PATCH", f"/tasks/{task_id}", json=fields)
    assert response.status_code == 200, response.text
    return response.json()


def by_name(tasks) -> dict:
    return {t["name"]: t for t in tasks}


def sf_by_subject(h) -> dict:
    return {r["Subject"]: r for r in h.sf_tasks()}


def no_duplicates(h):
    dups = duplicates(h)
    assert not any(dups.values()), dups


def set_sf_page_size(h, page_size: int, session: requests.Session | None = None) -> None:
    """Build the engine's Salesforce ports with another page size (and optionally a client session)."""

    def factory(conn):
        return SalesforceAdapter(
            conn["username"],
            conn["password"],
            conn["security_token"],
            session=session,
            page_size=page_size,
            retry=h.retry,
        )

    h.engine.salesforce_factory = factory
    h.engine._salesforce.clear()


class Crash(BaseException):  # a kill -9: nothing in the engine may catch it
    """Stands for kill -9 of the engine at a step boundary (F8)."""


# -- F1 drop-after-commit ------------------------------------------------------------------------
@pytest.mark.parametrize("drops", [3, 4], ids=["retried-within-pass", "retries-exhausted"])
def test_F1_R4_6_drop_after_commit_on_upsert_and_sia_create_makes_no_duplicates(synced, drops):
    """F1 (R4.6, R4.1, R4.2): the write commits, the response is lost; retry (same pass or next) is safe.

    attempts=4: 3 drops are absorbed by the retry within the pass, 4 exhaust it and the next pass redoes
    the writes - by External ID on Salesforce, by Idempotency-Key on SIA.
    """
    h = synced
    for i in range(5):
        sia_post(h, f"to SF {i}")
        h.salesforce().Task.create({"Subject": f"to SIA {i}"})
    h.org.faults.add(
        "drop_after_commit", method="PATCH", path=r"/composite/sobjects/Task/SIA_Task_Id__c", times=drops
    )
    h.sia.faults.add("drop_after_commit", method="POST", path=SIA_BATCH, times=drops)
    first = step(h)
    # Exhausted retries stop the user for this pass (the SIA batch first, then next pass the upsert).
    assert (first.users[0].stopped is not None) == (drops == 4)
    for _ in range(3):
        step(h)
    assert not h.org.faults.list() and not h.sia.faults.list()
    settle(h)
    sides = assert_converged(h)
    no_duplicates(h)
    assert sorted(t["name"] for t in sides.sia.values()) == sorted(
        [f"to SF {i}" for i in range(5)] + [f"to SIA {i}" for i in range(5)]
    )
    assert len(sides.sf_all) == 10  # not even a deleted duplicate


# -- F2 random 5xx and dropped connections -------------------------------------------------------------
def _f2_workload(h, rng: random.Random, rnd: int, home: dict) -> None:
    """One round of user activity, each task only changed on its home side (so the outcome is exact):
    5 creates per side, 2 edits per side, 1 completion per side, 1 deletion per side."""
    sf = h.salesforce()
    for i in range(5):
        name = f"sia r{rnd} n{i}"
        task = sia_post(h, name, details=f"d{rnd}{i}", due_date=f"2026-12-{10 + i:02d}")
        home[name] = {
            "side": "sia",
            "id": task["id"],
            "status": "open",
            "priority": "normal",
            "due_date": f"2026-12-{10 + i:02d}",
            "details": f"d{rnd}{i}",
            "deleted": False,
        }
        subject = f"sf r{rnd} n{i}"
        rec = sf.Task.create({"Subject": subject, "Priority": "High", "ActivityDate": f"2027-01-{1 + i:02d}"})
        home[subject] = {
            "side": "sf",
            "id": rec["id"],
            "status": "open",
            "priority": "high",
            "due_date": f"2027-01-{1 + i:02d}",
            "details": None,
            "deleted": False,
        }
    for side in ("sia", "sf"):
        live = sorted(n for n, t in home.items() if t["side"] == side and not t["deleted"])
        picked = rng.sample(live, 4)
        for n in picked[:2]:  # edits
            t = home[n]
            t["details"], t["due_date"] = f"edited {rnd} {n}", f"2027-02-{rng.randint(1, 28):02d}"
            if side == "sia":
                sia_patch(h, t["id"], details=t["details"], due_date=t["due_date"])
            else:
                sf.Task.update(t["id"], {"Description": t["details"], "ActivityDate": t["due_date"]})
        t = home[picked[2]]  # a completion
        t["status"] = "complete"
        if side == "sia":
            sia_patch(h, t["id"], status="complete")
        else:
            sf.Task.update(t["id"], {"Status": "Completed"})
        t = home[picked[3]]  # a deletion
        t["deleted"] = True
        if side == "sia":
            assert h.sia_api("DELETE", f"/tasks/{t['id']}").status_code == 204
        else:
            sf.Task.delete(t["id"])


def _f2_run(rate: float, seed: int = 11, rounds: int = 10) -> dict:
    """The same seeded workload; faults armed (on both mocks) only while the engine runs."""
    rng = random.Random(seed)
    home: dict = {}
    used = {"sia": 0, "salesforce": 0}
    floor = {"sia": 0, "salesforce": 0}
    stopped = 0
    with Harness() as h:
        h.enable_sync()
        step(h)
        for rnd in range(rounds):
            _f2_workload(h, rng, rnd, home)
            if rate:
                for plan in (h.org.faults, h.sia.faults):
                    plan.add("status", status=500, probability=rate / 3)
                    plan.add("status", status=503, probability=rate / 3)
                    plan.add("connection_drop", probability=rate / 6)
                    plan.add("drop_after_commit", probability=rate / 6)
                h.sia.faults.add("rate_limit", probability=rate / 6)  # 429 + Retry-After
            report = step(h)
            h.org.faults.clear()
            h.sia.faults.clear()
            stopped += sum(1 for u in report.users if u.stopped) + (report.error is not None)
            for u in report.users:
                for side in used:
                    used[side] += u.api_calls[side]
                floor["salesforce"] += sf_floor(
                    1, u.created["salesforce"], u.updated["salesforce"], u.deleted["salesforce"]
                )
                floor["sia"] += sia_floor(1, u.created["sia"] + u.updated["sia"] + u.deleted["sia"])
        passes = 0
        for _ in range(3):  # faults are off: at most 2 clean passes may still write
            report = step(h)
            if writes(report) == 0:
                break
            passes += 1
            for side in used:
                used[side] += report.users[0].api_calls[side]
        result = {"passes": passes, "used": used, "floor": floor, "stopped": stopped}
        # Every acknowledged change present exactly once, nothing deleted comes back.
        assert_converged(h)
        no_duplicates(h)
        sides = read_sides(h)
        sia_names = by_name(sides.sia.values())
        sf_subjects = {r["Subject"]: r for r in sides.sf.values()}
        for name, t in home.items():
            if t["deleted"]:
                assert name not in sia_names and name not in sf_subjects, f"lost deletion of {name}"
                continue
            assert name in sia_names and name in sf_subjects, f"lost task {name}"
            got = sia_names[name]
            assert (got["status"], got["priority"], got["due_date"], got["details"]) == (
                t["status"],
                t["priority"],
                t["due_date"],
                t["details"],
            ), f"lost edit of {name}"
        alive = sum(not t["deleted"] for t in home.values())
        assert len(sia_names) == len(sides.sia) == len(sides.sf) == alive
    return result


def test_F2_R4_6_random_5xx_and_dropped_connections_lose_and_duplicate_nothing():
    """F2 (R4.6, R4.1, R4.2): 500/503/connection drops (before and after commit) at 10 % and 30 % on
    both mocks, seeded -> 0 lost, 0 duplicated, converged in <= 2 clean passes; prints calls/floor."""
    clean = _f2_run(0.0)
    assert clean["passes"] == 0 and clean["stopped"] == 0
    for rate in (0.1, 0.3):
        faulty = _f2_run(rate)
        assert faulty["passes"] <= 2, faulty
        ratio = {s: round(faulty["used"][s] / clean["floor"][s], 2) for s in ("sia", "salesforce")}
        print(
            f"\nF2 rate={rate:.0%}: calls {faulty['used']} floor {clean['floor']} calls/floor {ratio} "
            f"(fault-free: {clean['used']}), passes to converge {faulty['passes']}, "
            f"passes stopped by exhausted retries {faulty['stopped']}"
        )
    base = {s: round(clean["used"][s] / clean["floor"][s], 2) for s in ("sia", "salesforce")}
    print(f"F2 fault-free calls/floor {base}")


# -- F3 REQUEST_LIMIT_EXCEEDED mid-pass -----------------------------------------------------------------
def test_F3_request_limit_mid_pass_stops_calling_salesforce_and_resumes_after_reset(synced):
    """F3 (R4.6, R4.1): the allocation runs out between the SIA writes and the Salesforce writes ->
    at most 1 further Salesforce call in that pass, at most 1 per pass while spent, resume after the
    24-hour window rolls, nothing lost or duplicated."""
    h = synced
    for i in range(3):
        sia_post(h, f"pushed {i}")
        h.salesforce().Task.create({"Subject": f"pulled {i}"})

    def spend(side, kind):
        if side == "sia":
            h.org.set_api_allocation(used=h.org.api_allocation()["max"])  # spent from now on

    h.engine.hooks = Hooks(after_write=spend)
    h.clock.advance(seconds=1)
    mark = h.clock.now()
    report = step(h)
    h.engine.hooks = Hooks()
    assert report.users[0].stopped and "REQUEST_LIMIT_EXCEEDED" in report.users[0].stopped
    api = h.org.journal.entries(path=r"^/services/data/", since=mark)
    first_403 = next(i for i, e in enumerate(api) if e.status == 403)
    assert len(api) - first_403 - 1 <= 1, [(e.method, e.path, e.status) for e in api[first_403:]]
    for _ in range(2):  # still spent: no hot loop
        report = step(h, minutes=10)
        assert report.users[0].stopped and report.users[0].api_calls["salesforce"] <= 1
    h.clock.advance(hours=24)  # the rolling window resets the allocation
    settle(h)
    sides = assert_converged(h)
    no_duplicates(h)
    assert len(sides.sia) == len(sides.sf) == 6


# -- F6 INVALID_SESSION_ID mid-pass ----------------------------------------------------------------
def test_F6_expired_session_mid_pass_is_one_transparent_relogin(synced):
    """F6 (R4.1, R4.6): every session ends between the SIA and the Salesforce writes -> simple-salesforce
    logs in once more and the pass completes with no error and no data effect."""
    h = synced
    for i in range(3):
        sia_post(h, f"pushed {i}")
        h.salesforce().Task.create({"Subject": f"pulled {i}"})
    h.clock.advance(seconds=1)
    mark = h.clock.now()

    def expire(side, kind):
        if side == "sia":
            h.org.expire_sessions()

    h.engine.hooks = Hooks(after_write=expire)
    report = step(h)
    h.engine.hooks = Hooks()
    ur = report.users[0]
    assert ur.stopped is None and ur.errors == []
    assert ur.created == {"sia": 3, "salesforce": 3}
    entries = h.org.journal.entries(since=mark)
    assert sum(1 for e in entries if e.status == 401) == 1
    logins = [e for e in entries if "/services/data/" not in e.path]
    assert len(logins) == 1, [(e.method, e.path) for e in logins]
    settle(h)
    assert_converged(h)
    no_duplicates(h)


# -- F7 partial collection failure -------------------------------------------------------------------
def test_F7_R2_3_one_invalid_record_is_reported_and_retried_never_blocking(synced):
    """F7 (R2.3, R4.1): Priority becomes a restricted picklist without High; of 4 new SIA tasks the High
    one fails in the collection, the other 3 land; it is reported, retried every pass, and lands once
    the picklist allows it again. A task created meanwhile is not blocked."""
    h = synced
    h.org.configure_picklist("Priority", values=["Normal", "Low"], restricted=True, high=[])
    for i in range(3):
        sia_post(h, f"fine {i}")
    bad = sia_post(h, "urgent", priority="high")
    report = step(h)
    ur = report.users[0]
    assert ur.created["salesforce"] == 3 and ur.stopped is None
    assert [(e["code"], e["task"]) for e in ur.errors] == [
        ("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", {"sia": bad["id"]})
    ]
    assert [(e.side, e.task_id) for e in h.state.task_errors()] == [("sia", bad["id"])]
    assert sorted(sf_by_subject(h)) == ["fine 0", "fine 1", "fine 2"]
    sia_post(h, "later")
    report = step(h)  # retried (still failing), and it does not block the new task
    assert report.users[0].created["salesforce"] == 1 and len(report.users[0].errors) == 1
    assert h.state.task_errors()[0].attempts == 2
    h.org.configure_picklist("Priority", values=["High", "Normal", "Low"], high=["High"])
    report = step(h)
    assert report.users[0].created["salesforce"] == 1 and report.users[0].errors == []
    assert h.state.task_errors() == []
    assert sf_by_subject(h)["urgent"]["Priority"] == "High"
    settle(h)
    assert_converged(h)
    no_duplicates(h)


# -- F8 crash at every write boundary -------------------------------------------------------------------
@pytest.mark.parametrize(
    "boundary",
    [
        pytest.param(("sia", "batch"), id="sia-batch"),
        pytest.param(("salesforce", "upsert"), id="salesforce-upsert"),
        pytest.param(("salesforce", "update"), id="salesforce-update"),
        pytest.param(("salesforce", "delete"), id="salesforce-delete"),
    ],
)
def test_F8_R4_6_crash_at_each_write_boundary_then_a_clean_pass_converges(synced, boundary):
    """F8 (R4.6, R4.4, R4.1, R4.2): the engine dies after a write call, before its state commit. One
    clean pass converges; 0 duplicates; calls of interrupted + repeated pass <= 2 x floor per side."""
    h = synced
    sf = h.salesforce()
    linked_sia = [sia_post(h, f"sia {i}")["id"] for i in range(3)]
    linked_sf = [sf.Task.create({"Subject": f"sf {i}"})["id"] for i in range(3)]
    settle(h)
    # One pass with every kind of write: import, create, update both ways, delete both ways.
    sf.Task.create({"Subject": "new in SF"})
    sia_post(h, "new in SIA")
    sia_patch(h, linked_sia[0], details="edited in SIA")
    sf.Task.update(linked_sf[0], {"Description": "edited in SF"})
    assert h.sia_api("DELETE", f"/tasks/{linked_sia[1]}").status_code == 204
    sf.Task.delete(linked_sf[1])
    h.clock.advance(seconds=1)
    mark = h.clock.now()

    def crash(side, kind):
        if (side, kind) == boundary:
            raise Crash(f"{side} {kind}")

    h.engine.hooks = Hooks(after_write=crash)
    with pytest.raises(Crash):
        step(h)
    h.engine.hooks = Hooks()
    report = step(h)
    assert report.users[0].stopped is None and report.users[0].errors == []
    used_sf = h.org.journal.count(path=r"^/services/data/", counted_only=True, since=mark)
    used_sia = h.sia.journal.count(path=r"^/api/v1/tasks", since=mark)
    floor_sf, floor_sia = sf_floor(2, upserts=1, updates=1, deletes=1), sia_floor(2, ops=3)
    assert used_sf <= 2 * floor_sf and used_sia <= 2 * floor_sia, (used_sf, floor_sf, used_sia, floor_sia)
    sides = assert_converged(h)
    no_duplicates(h)
    assert sorted(t["name"] for t in sides.sia.values()) == [
        "new in SF",
        "new in SIA",
        "sf 0",
        "sf 2",
        "sia 0",
        "sia 2",
    ]
    assert by_name(sides.sia.values())["sf 0"]["details"] == "edited in SF"
    assert settle(h) == 0  # the repeated pass already left nothing to write (no echo)


# -- F9 nothing changed ------------------------------------------------------------------------------
def test_F9_R4_5_rerun_with_nothing_changed_writes_nothing_and_leaves_the_state_unchanged(synced):
    """F9 (R4.5): after a busy pass (imports, creates, a merge conflict, deletions) and its echo, an idle
    pass makes 0 writes, reads once per side, and leaves links, cursors, errors, conflicts, deletions
    and user rows identical (only the run log and the pass time move)."""
    h = synced
    sf = h.salesforce()
    a = sf.Task.create({"Subject": "a"})["id"]
    b = sf.Task.create({"Subject": "b"})["id"]
    sia_post(h, "c")
    step(h)
    task_a = by_name(h.sia_tasks())["a"]
    sf.Task.update(a, {"Description": "SF"})
    h.clock.advance(minutes=1)
    sia_patch(h, task_a["id"], details="SIA")
    sf.Task.delete(b)
    step(h)
    assert len(h.state.conflicts()) == 1 and len(h.state.deletions()) == 1
    settle(h)
    step(h)  # the cursors settle
    before = dump_state(h)
    for _ in range(2):
        report = step(h, minutes=5)
        assert writes(report) == 0
        assert report.users[0].api_calls == {"sia": 1, "salesforce": 1}
        assert dump_state(h) == before


# -- F10 echo and change storms ------------------------------------------------------------------------
def test_F10_R4_5_automation_touches_and_own_writes_are_never_written_back(synced):
    """F10 (R4.5): Salesforce automation bumps SystemModstamp by touching fields the sync does not map
    (Type), also right after each of the engine's own writes (a workflow under the integration user);
    SIA PATCHes with unchanged values bump updated_at -> 0 writes from any of it."""
    h = synced
    sf = h.salesforce()
    for i in range(3):
        sia_post(h, f"sia {i}")
        sf.Task.create({"Subject": f"sf {i}"})
    automation = h.salesforce()

    def workflow(side, kind):  # a trigger: every Salesforce write by the sync is touched again
        if side == "salesforce" and kind != "delete":
            for rec in h.sf_tasks():
                automation.Task.update(rec["Id"], {"Type": "Call"})

    h.engine.hooks = Hooks(after_write=workflow)
    assert writes(step(h)) == 6
    assert settle(h) == 0
    for rec in h.sf_tasks():
        assert rec["Type"] == "Call"
        sf.Task.update(rec["Id"], {"Type": "Email"})
    for task in h.sia_tasks():
        sia_patch(h, task["id"], name=task["name"], details=task["details"])
    report = step(h)
    assert writes(report) == 0, report.to_dict()
    assert settle(h) == 0
    assert_converged(h)


def test_F10_R4_5_R4_3_writes_stop_within_two_passes_after_a_change_storm(synced):
    """F10 (R4.5, R4.3): 6 passes of random edits on both sides (same tasks, same fields), then quiet ->
    writes stop within 2 passes and stay at 0 (termination test)."""
    h = synced
    rng = random.Random(5)
    sf = h.salesforce()
    for i in range(4):
        sia_post(h, f"sia {i}")
        sf.Task.create({"Subject": f"sf {i}"})
    settle(h)
    pairs = [(lk.sia_id, lk.sf_id) for lk in h.state.links(h.user_id)]
    for rnd in range(6):
        for sia_id, sf_id in rng.sample(pairs, 3):
            sia_patch(h, sia_id, details=f"SIA {rnd}", priority=rng.choice(["normal", "high"]))
            h.clock.advance(seconds=rng.randint(1, 20))
            status = rng.choice(["Completed", "Not Started"])
            sf.Task.update(sf_id, {"Description": f"SF {rnd}", "Status": status})
        step(h, seconds=rng.randint(5, 60))
    assert settle(h) <= 2
    for _ in range(3):
        assert writes(step(h)) == 0
    assert_converged(h)
    no_duplicates(h)


# -- F11 late commits and equal timestamps -----------------------------------------------------------
def _late(clock: Clock, stamp: datetime, seconds: int):
    """Set the shared clock `seconds` before a cursor stamp; returns the instant to come back to."""
    now = clock.now()
    clock.set(stamp - timedelta(seconds=seconds))
    return now


def test_F11_R4_6_late_salesforce_commit_behind_a_fresh_cursor_is_picked_up(synced):
    """F11 (R4.6, R4.2): a row committed with a SystemModstamp 5 s older than the cursor that the last
    pass just advanced is read by the look-back."""
    h = synced
    sf = h.salesforce()
    sf.Task.create({"Subject": "first"})
    step(h)
    stamp = h.state.cursor(h.user_id, "salesforce").stamp
    back_to = _late(h.clock, stamp, 5)
    sf.Task.create({"Subject": "late"})
    h.clock.set(back_to)
    step(h)
    assert sorted(t["name"] for t in h.sia_tasks()) == ["first", "late"]
    settle(h)
    assert_converged(h)


def test_F11_R4_6_late_salesforce_commit_behind_a_settled_cursor_is_picked_up(synced):
    """F11 (R4.6, R4.2): the same late commit after an idle pass settled the cursor."""
    h = synced
    sf = h.salesforce()
    sf.Task.create({"Subject": "first"})
    step(h)
    settle(h)
    step(h)
    assert h.state.cursor(h.user_id, "salesforce").settled  # settled
    stamp = h.state.cursor(h.user_id, "salesforce").stamp
    back_to = _late(h.clock, stamp, 5)
    sf.Task.create({"Subject": "late"})
    h.clock.set(back_to)
    step(h)
    step(h)
    assert sorted(t["name"] for t in h.sia_tasks()) == ["first", "late"]


def test_F11_R4_6_late_sia_commit_behind_a_settled_cursor_is_picked_up(synced):
    """F11 (R4.6, R4.1): the SIA change list has the same cursor discipline; a late SIA commit."""
    h = synced
    sia_post(h, "first")
    step(h)
    settle(h)
    step(h)
    stamp = h.state.cursor(h.user_id, "sia").stamp
    back_to = _late(h.clock, stamp, 5)
    sia_post(h, "late")
    h.clock.set(back_to)
    step(h)
    step(h)
    assert sorted(r["Subject"] for r in h.sf_tasks()) == ["first", "late"]


def test_F11_R4_6_R3_3_many_rows_at_one_systemmodstamp_across_page_boundaries(h):
    """F11 (R4.6, R3.3): 450 rows share one frozen SystemModstamp and pages hold 200 -> every row is
    imported exactly once, paging ends (3 pages), and rows added later at that same instant are
    found by the (SystemModstamp, Id) keyset."""
    set_sf_page_size(h, 200)
    h.org.seed(450, seed=3, owner=h.sf_user_id)
    h.enable_sync()
    report = step(h, seconds=30)
    assert report.users[0].created["sia"] == 450
    assert report.users[0].api_calls["salesforce"] == 3  # 3 pages, no infinite paging
    report = step(h)  # the look-back re-read: 0 writes
    assert writes(report) == 0 and report.users[0].api_calls["salesforce"] == 3
    report = step(h)
    assert report.users[0].api_calls["salesforce"] == 1
    stamp = h.state.cursor(h.user_id, "salesforce").stamp
    back_to = _late(h.clock, stamp, 0)  # two more rows at exactly the cursor's instant
    sf = h.salesforce()
    sf.Task.create({"Subject": "same instant 1"})
    sf.Task.create({"Subject": "same instant 2"})
    h.clock.set(back_to)
    report = step(h)
    assert report.users[0].created["sia"] == 2
    assert len(h.sia_tasks()) == 452
    assert_converged(h, subject_is_name=False)
    assert duplicates(h)["sf_by_external_id"] == 0


# -- F12 clock skew ----------------------------------------------------------------------------------
def _skewed(sf_offset: timedelta, sia_offset: timedelta):
    start = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    engine_clock = Clock(frozen_at=start)
    sf_clock, sia_clock = Clock(frozen_at=start + sf_offset), Clock(frozen_at=start + sia_offset)
    h = Harness(clock=engine_clock, sf_config={"CLOCK": sf_clock}, sia_config={"CLOCK": sia_clock})
    return h, (sf_clock, sia_clock)


@pytest.mark.parametrize("offsets", [(10, -10), (-10, 10)], ids=["sf-ahead", "sia-ahead"])
def test_F12_R4_3_R4_1_R4_2_clock_skew_loses_no_update_and_picks_the_right_winner(offsets):
    """F12 (R4.1, R4.2, R4.3): Salesforce and SIA clocks 10 min either side of the engine's (20 min
    apart) -> one-sided edits all arrive, and of two edits of one field 3 minutes apart the later one
    wins whichever system's clock runs ahead (the engine never compares the two clocks)."""
    sf_off, sia_off = (timedelta(minutes=m) for m in offsets)
    h, clocks = _skewed(sf_off, sia_off)
    with h:
        h.enable_sync()
        step(h, clocks)
        sf = h.salesforce()
        sf_ids = [sf.Task.create({"Subject": f"sf {i}"})["id"] for i in range(2)]
        sia_ids = [sia_post(h, f"sia {i}")["id"] for i in range(2)]
        settle(h, extra_clocks=clocks)
        links = {lk.sf_id: lk.sia_id for lk in h.state.links(h.user_id)}
        # One-sided edits on both sides, in the same minute.
        sf.Task.update(sf_ids[0], {"Description": "edited in SF"})
        sia_patch(h, sia_ids[0], details="edited in SIA")
        step(h, clocks)
        sides = assert_converged(h)
        assert by_name(sides.sia.values())["sf 0"]["details"] == "edited in SF"
        assert by_name(sides.sia.values())["sia 0"]["details"] == "edited in SIA"
        # Conflicts: SF first then SIA 3 min later on one task, the other way round on another.
        sf.Task.update(sf_ids[1], {"Description": "SF early"})
        for clock in (h.clock, *clocks):
            clock.advance(minutes=3)
        sia_patch(h, links[sf_ids[1]], details="SIA late")
        sia_patch(h, sia_ids[1], details="SIA early")
        sf_id_of_sia1 = next(sf_id for sf_id, sia_id in links.items() if sia_id == sia_ids[1])
        for clock in (h.clock, *clocks):
            clock.advance(minutes=3)
        sf.Task.update(sf_id_of_sia1, {"Description": "SF late"})
        report = step(h, clocks)
        winners = sorted((c["sf_value"], c["sia_value"], c["winner"]) for c in report.users[0].conflicts)
        assert winners == [("SF early", "SIA late", "sia"), ("SF late", "SIA early", "salesforce")]
        settle(h, extra_clocks=clocks)
        sides = assert_converged(h)
        assert by_name(sides.sia.values())["sf 1"]["details"] == "SIA late"
        assert by_name(sides.sia.values())["sia 1"]["details"] == "SF late"


# -- F13 concurrent edits ----------------------------------------------------------------------------
def _history(h, sia_id, sf_id) -> tuple:
    sia = next(t for t in h.sia_tasks() if t["id"] == sia_id)
    rec = next(r for r in h.sf_tasks() if r["Id"] == sf_id)
    return (sia["name"], sia["status"], sia["priority"], sia["due_date"], sia["details"]), (
        rec["Subject"],
        rec["Status"],
        rec["Priority"],
        rec["ActivityDate"],
        rec["Description"],
    )


def _f13_scenario() -> tuple:
    with Harness() as h:
        h.enable_sync()
        step(h)
        sf = h.salesforce()
        sf_id = sf.Task.create({"Subject": "shared"})["id"]
        step(h)
        sia_id = h.sia_tasks()[0]["id"]
        # Between two passes: different fields on each side, and the same field on both.
        sf.Task.update(sf_id, {"Priority": "High", "Description": "SF", "Subject": "SF subject"})
        h.clock.advance(minutes=2)
        sia_patch(h, sia_id, due_date="2027-03-28", details="SIA", name="SIA name")
        history = [_history(h, sia_id, sf_id)]
        merge = step(h)
        for _ in range(4):
            history.append(_history(h, sia_id, sf_id))
            step(h)
        history.append(_history(h, sia_id, sf_id))
        conflicts = [(c["field"], c["winner"]) for c in merge.users[0].conflicts]
        assert_converged(h, subject_is_name=False)
        return history, conflicts


def test_F13_R4_3_R5_1_concurrent_edits_merge_deterministically_without_flip_flop():
    """F13 (R4.3, R5.1, R5.2): priority changed in SF only, due date in SIA only, details and
    name/subject in both (SIA 2 min later) -> field-by-field merge, the same twice over, and after
    the merge pass each field of each side changes at most once (no flip-flop)."""
    history, conflicts = _f13_scenario()
    assert _f13_scenario() == (history, conflicts)  # deterministic
    sia_final, sf_final = history[-1]
    assert sia_final == ("SIA name", "open", "high", "2027-03-28", "SIA")
    assert sf_final == ("SIA name", "Not Started", "High", "2027-03-28", "SIA")
    assert sorted(conflicts) == [("details", "sia"), ("name", "sia")]
    for side in (0, 1):
        for f in range(5):
            values = [snap[side][f] for snap in history]
            changes = sum(1 for x, y in zip(values, values[1:], strict=False) if x != y)
            assert changes <= 1, (side, f, values)


def test_F13_R4_3_the_later_of_two_close_edits_wins():
    """F13 (R4.3): an SF-born task imported 1 min after it was created; SF edits a field, then 30 s
    later SIA edits the same field -> SIA's later edit must win."""
    with Harness() as h:
        h.enable_sync()
        step(h)
        sf = h.salesforce()
        sf_id = sf.Task.create({"Subject": "close call"})["id"]
        step(h)  # imported one minute after creation
        sia_id = h.sia_tasks()[0]["id"]
        h.clock.advance(minutes=1)
        sf.Task.update(sf_id, {"Description": "SF first"})
        h.clock.advance(seconds=30)
        sia_patch(h, sia_id, details="SIA 30 s later")
        report = step(h)
        assert [(c["field"], c["winner"]) for c in report.users[0].conflicts] == [("details", "sia")]
        assert h.sf_tasks()[0]["Description"] == "SIA 30 s later"


# -- F14 update vs delete ----------------------------------------------------------------------------
def test_F14_R4_4_update_against_delete_the_delete_wins_and_nothing_comes_back(synced):
    """F14 (R4.4, R4.6): delete on one side + edit on the other, both directions, with the delete calls'
    responses lost once (retried: already deleted = done) -> deleted on both sides, recorded, and no
    resurrection over 3 more passes; 0 writes in them."""
    h = synced
    sf = h.salesforce()
    a = sf.Task.create({"Subject": "deleted in SF"})["id"]
    sia_post(h, "deleted in SIA")
    keep = sf.Task.create({"Subject": "kept"})["id"]
    settle(h)
    tasks = by_name(h.sia_tasks())
    sf_ids = {r["Subject"]: r["Id"] for r in h.sf_tasks()}
    sf.Task.delete(a)
    sia_patch(h, tasks["deleted in SF"]["id"], details="edited after the SF delete", priority="high")
    assert h.sia_api("DELETE", f"/tasks/{tasks['deleted in SIA']['id']}").status_code == 204
    sf.Task.update(
        sf_ids["deleted in SIA"], {"Description": "edited after the SIA delete", "Status": "Completed"}
    )
    sf.Task.update(keep, {"Description": "still here"})
    h.org.faults.add("drop_after_commit", method="DELETE", path=SF_WRITE, times=1)
    h.sia.faults.add("drop_after_commit", method="POST", path=SIA_BATCH, times=1)
    report = step(h)
    assert sorted(d["deleted_in"] for d in report.users[0].deletions) == ["salesforce", "sia"]
    for _ in range(3):
        report = step(h)
        assert writes(report) == 0
        sides = read_sides(h)
        assert sorted(t["name"] for t in sides.sia.values()) == ["kept"]
        assert [r["Subject"] for r in sides.sf.values()] == ["kept"]
    assert by_name(h.sia_tasks())["kept"]["details"] == "still here"
    assert_converged(h)
    no_duplicates(h)


def test_F14_R4_4_R4_7_deleted_on_both_sides_then_restored_in_salesforce_comes_back(synced):
    """F14 (R4.4, R4.7): deleted in SIA and in SF between two passes -> the link is retired; a later
    restore from the recycle bin brings the task back into SIA as a new task (not deleted again)."""
    h = synced
    sf = h.salesforce()
    sf_id = sf.Task.create({"Subject": "gone twice"})["id"]
    step(h)
    sf.Task.delete(sf_id)
    assert h.sia_api("DELETE", f"/tasks/{h.sia_tasks()[0]['id']}").status_code == 204
    step(h)
    assert [lk.live for lk in h.state.links(h.user_id)] == [False]
    h.org.restore(sf_id)
    step(h)
    step(h)
    assert [t["name"] for t in h.sia_tasks()] == ["gone twice"]
    assert [r["Id"] for r in h.sf_tasks()] == [sf_id]


# -- F15 deletions older than the recycle bin ---------------------------------------------------------
def test_F15_R3_4_delete_purged_during_an_outage_is_found_by_the_linked_id_check(synced):
    """F15 (R3.4, R4.2): sync stays on but the engine is down 16 days; meanwhile a linked task is
    deleted in SF and purged from the recycle bin -> the next pass finds it by checking the linked ids,
    removes it from SIA, says how it was found, and nothing comes back."""
    h = synced
    sf = h.salesforce()
    ids = [sf.Task.create({"Subject": f"t{i}"})["id"] for i in range(3)]
    settle(h)
    sf.Task.delete(ids[0])
    h.clock.advance(days=16)
    sf = h.salesforce()
    assert h.org.recycle_bin() == []  # purged after 15 days
    report = step(h)
    [deletion] = report.users[0].deletions
    assert deletion["deleted_in"] == "sia" and deletion["how_found"].startswith("linked-id check")
    for _ in range(3):
        report = step(h)
        assert writes(report) == 0
        assert sorted(t["name"] for t in h.sia_tasks()) == ["t1", "t2"]
    assert_converged(h)


# -- F17 dates never shift -----------------------------------------------------------------------------
DATES = [
    "2026-03-08",
    "2026-03-29",
    "2026-04-05",
    "2026-10-25",
    "2026-11-01",
    "2026-12-31",
    "2027-01-01",
    "2028-02-29",
    "2027-03-14",
    "2027-10-31",
]  # DST changes (US, EU, AU), year ends, a leap day
ZONES = {  # process TZ -> the engine's clock starts just before a DST change in or near that zone
    "Etc/GMT+11": datetime(2026, 3, 8, 6, 45, tzinfo=UTC),  # UTC-11
    "UTC": datetime(2026, 12, 31, 23, 45, tzinfo=UTC),
    "Asia/Kolkata": datetime(2026, 3, 29, 0, 45, tzinfo=UTC),  # UTC+5:30
    "Pacific/Kiritimati": datetime(2026, 12, 31, 9, 45, tzinfo=UTC),  # UTC+14, local midnight
    "America/New_York": datetime(2026, 3, 8, 6, 45, tzinfo=UTC),  # 01:45 EST -> 03:00 EDT
    "Europe/Berlin": datetime(2026, 10, 25, 0, 45, tzinfo=UTC),  # 02:45 CEST -> 02:00 CET
}


@contextlib.contextmanager
def process_tz(name: str):
    old = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


@pytest.mark.parametrize("zone", list(ZONES))
def test_F17_R2_4_activity_date_round_trips_ten_times_without_shifting(zone):
    """F17 (R2.4): with the process TZ at UTC-11, UTC, UTC+5:30, UTC+14 and two DST zones, and the
    clock walking across a DST change, 10 round trips SIA -> SF -> SIA keep the date string exact."""
    with process_tz(zone), Harness(clock=Clock(frozen_at=ZONES[zone])) as h:
        h.enable_sync()
        step(h, minutes=5)
        task = sia_post(h, "due", due_date=DATES[0])
        step(h, minutes=5)
        sf = h.salesforce()
        [rec] = h.sf_tasks()
        off_by_one = 0
        for trip in range(10):
            out, back = DATES[trip], DATES[(trip + 3) % len(DATES)]
            sia_patch(h, task["id"], due_date=out)
            step(h, minutes=5)
            off_by_one += h.sf_tasks()[0]["ActivityDate"] != out
            sf.Task.update(rec["Id"], {"ActivityDate": back})
            step(h, minutes=5)
            off_by_one += h.sia_tasks()[0]["due_date"] != back
            step(h, minutes=5)  # an echo pass must not move it either
            off_by_one += (h.sia_tasks()[0]["due_date"], h.sf_tasks()[0]["ActivityDate"]) != (back, back)
        assert off_by_one == 0
        assert_converged(h)


# -- F19 expired query locator -----------------------------------------------------------------------
class PausingSession(requests.Session):
    """The engine's HTTP client, stalled for `pause` before its first queryMore (a slow consumer)."""

    def __init__(self, clock: Clock, pause: timedelta) -> None:
        super().__init__()
        self.clock, self.pause, self.armed, self.paused = clock, pause, False, 0

    def request(self, method, url, *args, **kwargs):
        if self.armed and "/query/" in url:
            self.armed = False
            self.paused += 1
            self.clock.advance(self.pause)
        return super().request(method, url, *args, **kwargs)


def test_F19_R4_6_expired_query_locator_restarts_from_the_checkpoint(h):
    """F19 (R4.6, R4.2): the engine stalls 3 days between two pages of its Salesforce read (locators
    live 2 days) -> INVALID_QUERY_LOCATOR; nothing is applied from the half-read, and the next pass
    restarts from the saved cursor: every row imported exactly once."""
    session = PausingSession(h.clock, timedelta(days=3))
    set_sf_page_size(h, 200, session)
    h.enable_sync()
    step(h)
    h.org.seed(450, seed=19, owner=h.sf_user_id)
    session.armed = True
    report = step(h)
    assert session.paused == 1
    assert "INVALID_QUERY_LOCATOR" in (report.users[0].stopped or "")
    assert h.sia_tasks() == []
    report = step(h)
    assert report.users[0].created["sia"] == 450
    settle(h)
    assert_converged(h, subject_is_name=False)
    assert len(h.sia_tasks()) == 450
