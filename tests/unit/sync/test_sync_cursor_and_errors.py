"""Cursors under equal timestamps and late commits; the error table; retries."""

import pytest

from sync import errors
from sync.engine import EngineSettings, _advance
from sync.errors import LimitExceeded, TransientError
from sync.retry import RetryPolicy

OWNER = "005000000000001AAA"


def test_keyset_advance_breaks_ties_on_id_never_goes_back_and_settles():
    stamp = "2026-11-28T12:00:00.000+0000"
    cur = _advance((None, None), [(stamp, "00TB"), (stamp, "00TA")])
    assert cur == (stamp, "00TB", False)  # moved: look back once more next time
    assert _advance(cur, [("2026-11-28T11:00:00.000+0000", "00TZ")]) == (stamp, "00TB", True)  # late row
    assert _advance(cur, []) == (stamp, "00TB", True)  # nothing new: settled, strict keyset from now on


def test_idle_passes_settle_to_one_empty_read(world):
    world.enable()
    for i in range(3):
        world.sf.create(OWNER, Subject=f"t{i}")
    world.run()
    world.run()  # the look-back re-read settles the cursor
    before = world.sf.calls
    report = world.run()
    assert world.sf.calls - before == 1 and report.users[0].writes == 0


def test_many_rows_with_one_timestamp_are_all_read_once(world):
    stamp_rows = [world.sf.create(OWNER, Subject=f"t{i}") for i in range(30)]  # all share one SystemModstamp
    world.clock.advance(minutes=1)
    world.enable()
    world.run()
    assert len(world.sia_tasks()) == len(stamp_rows)
    report = world.run()  # re-reading them (look-back) imports nothing twice
    assert report.total("created") == {"sia": 0, "salesforce": 0}
    assert len(world.sia_tasks()) == 30


def test_late_commit_behind_the_cursor_is_picked_up_by_the_look_back(world):
    world.enable()
    world.sf.create(OWNER, Subject="first")
    world.run()
    # A row committed now but stamped 5 s before the newest row already read (a long transaction).
    late = world.sf.create(OWNER, Subject="late")
    world.sf.records[late]["SystemModstamp"] = "2026-11-28T12:00:55.000+0000"
    world.sf.records[late]["CreatedDate"] = "2026-11-28T12:00:55.000+0000"
    world.run()
    assert sorted(t["name"] for t in world.sia_tasks()) == ["first", "late"]


def test_without_look_back_the_strict_keyset_is_used(world):
    world.engine.settings = EngineSettings(lookback=__import__("datetime").timedelta(0))
    world.enable()
    world.sf.create(OWNER, Subject="a")
    world.run()
    world.sf.create(OWNER, Subject="b")  # same frozen instant: only the Id tie-break finds it
    world.run()
    assert sorted(t["name"] for t in world.sia_tasks()) == ["a", "b"]


@pytest.mark.parametrize(
    ("code", "status", "deleting", "outcome"),
    [
        ("REQUEST_LIMIT_EXCEEDED", 403, False, errors.STOP_USER),
        ("INVALID_SESSION_ID", 401, False, errors.STOP_USER),
        (None, 401, False, errors.STOP_USER),
        ("STRING_TOO_LONG", 400, False, errors.SKIP_TASK),
        ("validation_failed", 422, False, errors.SKIP_TASK),
        ("ENTITY_IS_DELETED", None, True, errors.DONE),
        ("ENTITY_IS_DELETED", None, False, errors.SKIP_TASK),
        ("not_found", 404, True, errors.DONE),
        ("rate_limited", 429, False, errors.RETRY),
        (None, 503, False, errors.RETRY),
        ("SERVER_UNAVAILABLE", 503, False, errors.RETRY),
        (None, 400, False, errors.STOP_USER),
    ],
)
def test_error_table(code, status, deleting, outcome):
    assert errors.outcome_for(code, status, deleting=deleting) == outcome


def test_error_classes_follow_the_table():
    assert isinstance(errors.error_for("REQUEST_LIMIT_EXCEEDED", 403, "x", side="salesforce"), LimitExceeded)
    assert isinstance(errors.error_for(None, 502, "x", side="sia"), TransientError)


def test_retry_is_bounded_and_honours_retry_after():
    waits = []
    policy = RetryPolicy(attempts=3, sleep=waits.append)
    calls = []

    def flaky():
        calls.append(1)
        raise TransientError("busy", retry_after=2)

    with pytest.raises(TransientError):
        policy.call(flaky)
    assert len(calls) == 3 and waits == [2.0, 2.0]


def test_retry_backoff_has_full_jitter_under_a_cap():
    waits = []
    policy = RetryPolicy(attempts=6, base=1, cap=3, sleep=waits.append)
    with pytest.raises(TransientError):
        policy.call(lambda: (_ for _ in ()).throw(TransientError("x")))
    assert len(waits) == 5 and all(0 <= w <= 3 for w in waits)


def test_stop_user_makes_no_further_call(world):
    world.enable()
    world.sf.create(OWNER, Subject="x")

    def refuse(*a, **k):
        world.sf.calls += 1
        raise LimitExceeded("TotalRequests Limit exceeded.", code="REQUEST_LIMIT_EXCEEDED")

    world.sf.changes = refuse
    report = world.run()
    user = report.users[0]
    assert user.stopped.startswith("REQUEST_LIMIT_EXCEEDED")
    assert user.api_calls["salesforce"] == 1
    assert world.sia_tasks() == []


def test_sia_side_settles_to_one_empty_keyset_read_under_one_frozen_stamp(world):
    world.enable()
    world.run()
    for i in range(40):  # 40 SIA tasks, one updated_at (the clock stands still from here on)
        world.sia.create_task(world.user, f"s{i}")
    reads = []

    def changes(uid, since, after_id=None):
        rows = original(uid, since, after_id)
        reads.append((after_id, len(rows)))
        return rows

    original, world.sia.changes = world.sia.changes, changes
    passes = [world.engine.run_pass() for _ in range(5)]
    assert passes[0].total("created") == {"sia": 0, "salesforce": 40}
    assert [p.users[0].writes for p in passes[1:]] == [0, 0, 0, 0]
    assert all(p.users[0].api_calls["sia"] == 1 for p in passes[1:])
    # the first read and the look-back re-read see all 40 (inclusive stamp); strict keyset reads see none
    assert [n for _, n in reads[:2]] == [40, 40]
    assert [n for _, n in reads[2:]] == [0, 0, 0] and all(after for after, _ in reads[2:])


def test_api_budget_stops_at_the_threshold_on_a_403_and_per_pass_share_and_probes_each_pass():
    from simple_salesforce import Salesforce

    from sync.budget import ApiBudget, BudgetDeferred

    budget = ApiBudget(threshold=0.9)
    budget.after_call(Salesforce.parse_api_usage("api-usage=899/1000"))
    budget.before_call()  # 89.9 %: go on
    budget.after_call(Salesforce.parse_api_usage("api-usage=900/1000"))
    with pytest.raises(BudgetDeferred, match="900/1000"):
        budget.before_call()
    budget.start_pass()
    budget.before_call()  # a new pass probes once
    budget.after_error(LimitExceeded("TotalRequests Limit exceeded.", code="REQUEST_LIMIT_EXCEEDED"))
    with pytest.raises(BudgetDeferred, match="REQUEST_LIMIT_EXCEEDED"):
        budget.before_call()
    share = ApiBudget(threshold=None, pass_share=0.25)
    for used in range(1, 25):
        share.after_call(Salesforce.parse_api_usage(f"api-usage={used}/100"))
    share.before_call()
    share.after_call(Salesforce.parse_api_usage("api-usage=25/100"))
    with pytest.raises(BudgetDeferred, match="25%"):
        share.before_call()
    ApiBudget().after_call({})  # no Sforce-Limit-Info (e.g. the memory side): nothing known, no stop
