"""Cursors under equal timestamps and late commits; the error table; retries."""

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from sync import errors
from sync.cursor import Bookmark, Cursor, advance
from sync.engine import EngineSettings
from sync.errors import LimitExceeded, TransientError
from sync.retry import RetryPolicy
from sync.state import StateStore
from tasksync_common.instants import iso_ms
from tasksync_common.instants import parse_instant as at

OWNER = "005000000000001AAA"


def test_bookmark_counts_the_rows_in_its_look_back_window():
    """F11: `lookback_rows` bounds the rows stamped in [T - 10 s, T] - exact after a jump of more than
    the look-back, old count + new rows after a smaller move, unchanged while the bookmark stays."""
    lookback = timedelta(seconds=10)
    rows = [(f"2026-11-28T12:00:{sec:02d}.000+0000", f"00T{sec:02d}") for sec in (0, 1, 30, 35, 38, 39)]
    b = Bookmark(Cursor(), lookback)
    b.feed(rows)
    assert b.result() == Cursor(
        at("2026-11-28T12:00:39.000+0000"), "00T39", False, 4
    )  # 30..39 lie within 10 s
    b = Bookmark(b.result(), lookback)
    b.feed(rows[2:])  # the inclusive look-back re-read: nothing beyond the bookmark
    assert b.result() == Cursor(at("2026-11-28T12:00:39.000+0000"), "00T39", True, 4)
    b = Bookmark(b.result(), lookback)
    b.feed([("2026-11-28T12:00:39.000+0000", "00T40"), ("2026-11-28T12:00:41.000+0000", "00T41")])
    assert b.result() == Cursor(at("2026-11-28T12:00:41.000+0000"), "00T41", False, 6)  # within 10 s: 4 + 2
    b = Bookmark(b.result(), lookback)
    b.feed([("2026-11-28T12:05:00.000+0000", "00T50")])
    assert b.result() == Cursor(at("2026-11-28T12:05:00.000+0000"), "00T50", False, 1)


def test_settled_salesforce_read_is_keyset_or_window_and_drops_a_full_window(world):
    engine = world.engine
    stamp = "2026-11-28T12:00:00.000+0000"
    assert engine._sf_read_bounds(Cursor(at(stamp), "00TB", False, 0)) == (
        "2026-11-28T11:59:50.000Z",
        None,
        None,
    )
    assert engine._sf_read_bounds(Cursor(at(stamp), "00TB", True, 3)) == (
        "2026-11-28T12:00:00.000Z",
        "00TB",
        "2026-11-28T11:59:50.000Z",
    )
    assert engine._sf_read_bounds(Cursor(at(stamp), "00TB", True, 2000)) == (
        "2026-11-28T12:00:00.000Z",
        "00TB",
        None,
    )


def test_late_commits_behind_a_settled_salesforce_bookmark_minutes_later(world):
    """F11 (R4.6): rows stamped 5 s and 9 s behind a settled bookmark, committed minutes later, are
    read; one 11 s behind is outside the look-back (the documented limit); idle reads stay one call."""
    world.enable()
    first = world.sf.create(OWNER, Subject="first")
    for _ in range(3):
        world.run()
    assert world.state.cursor(world.user, "salesforce").settled  # settled
    t = at(world.sf.records[first]["SystemModstamp"])
    for seconds in (5, 9, 11):
        late = world.sf.create(OWNER, Subject=f"{seconds} s late")
        stamp = (t - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        world.sf.records[late]["SystemModstamp"] = world.sf.records[late]["CreatedDate"] = stamp
    world.run(minutes=7)
    assert sorted(t["name"] for t in world.sia_tasks()) == ["5 s late", "9 s late", "first"]
    before = world.sf.calls
    assert world.run().users[0].writes == 0 and world.sf.calls - before == 1


def test_idle_passes_rereading_the_window_leave_the_state_alone(world):
    """F9 (R4.5) under a running clock: 5 rows spread over the 4 s before the bookmark come back in
    every settled read; they are no-ops, and the stored state does not move."""
    world.enable()
    for i in range(5):
        world.sf.create(OWNER, Subject=f"t{i}")
        world.clock.advance(seconds=1)
    world.run()
    world.run()
    links, cursor = world.state.links(world.user), world.state.cursor(world.user, "salesforce")
    for _ in range(3):
        report = world.run(minutes=5)
        assert report.users[0].writes == 0 and report.users[0].api_calls["salesforce"] == 1
        assert world.state.links(world.user) == links
        assert world.state.cursor(world.user, "salesforce") == cursor


def test_keyset_advance_breaks_ties_on_id_never_goes_back_and_settles():
    stamp = "2026-11-28T12:00:00.000+0000"
    cur = advance(Cursor(), [(stamp, "00TB"), (stamp, "00TA")])
    assert cur == Cursor(at(stamp), "00TB", False)  # moved: look back once more next time
    assert advance(cur, [("2026-11-28T11:00:00.000+0000", "00TZ")]) == Cursor(
        at(stamp), "00TB", True
    )  # late row
    assert advance(cur, []) == Cursor(
        at(stamp), "00TB", True
    )  # nothing new: settled, strict keyset from now on


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


def _record_sia_reads(world):
    reads = []
    original = world.sia.changes

    def changes(uid, since, after_id=None):
        rows = original(uid, since, after_id)
        reads.append((after_id, len(rows)))
        return rows

    world.sia.changes = changes
    return reads


def test_sia_side_keeps_its_look_back_window_while_it_fits_one_page(world):
    """F11 on SIA (R4.6, R4.5): 40 tasks share one frozen updated_at. SIA's list cannot OR its
    filters, so the settled read stays `updated_since=T - L` (40 rows, one page, all no-ops): a late
    commit behind the bookmark is still found, an idle pass is still one read and writes nothing."""
    world.enable()
    world.run()
    for i in range(40):  # 40 SIA tasks, one updated_at (the clock stands still from here on)
        world.sia.create_task(world.user, f"s{i}")
    reads = _record_sia_reads(world)
    passes = [world.engine.run_pass() for _ in range(4)]
    assert passes[0].total("created") == {"sia": 0, "salesforce": 40}
    assert [p.users[0].writes for p in passes[1:]] == [0, 0, 0]
    assert all(p.users[0].api_calls["sia"] == 1 for p in passes[1:])
    assert reads == [(None, 40)] * 4
    state_before = world.state.links(world.user)
    [stamp] = {t["updated_at"] for t in world.sia_tasks()}
    late = world.sia.create_task(world.user, "late")  # committed now, stamped 5 s behind the bookmark
    world.sia.tasks[late]["updated_at"] = world.sia.tasks[late]["created_at"] = iso_ms(
        at(stamp) - timedelta(seconds=5)
    )
    world.run(minutes=5)
    assert "late" in {r["Subject"] for r in world.sf_tasks()}
    assert world.state.links(world.user)[:40] == state_before  # the re-read 40 were no-ops


def test_sia_side_drops_to_the_strict_keyset_when_its_window_holds_a_page(world):
    """F9 (R4.5): with a page of 40, the 40 tasks at one frozen stamp fill the look-back window - the
    settled read becomes the strict keyset `after=(T, id)`: one read, nothing in it."""
    world.sia.page_size = 40
    world.enable()
    world.run()
    for i in range(40):
        world.sia.create_task(world.user, f"s{i}")
    reads = _record_sia_reads(world)
    passes = [world.engine.run_pass() for _ in range(5)]
    assert passes[0].total("created") == {"sia": 0, "salesforce": 40}
    assert [p.users[0].writes for p in passes[1:]] == [0, 0, 0, 0]
    # the first read and the look-back re-read see all 40 (inclusive stamp); strict keyset reads see none
    assert [n for _, n in reads[:2]] == [40, 40]
    assert [n for _, n in reads[2:]] == [0, 0, 0] and all(after for after, _ in reads[2:])
    assert (lambda c: (c.settled, c.lookback_rows))(world.state.cursor(world.user, "sia")) == (True, 40)


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


def test_a_state_database_from_before_lookback_rows_is_upgraded(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE sync_cursors (user_id VARCHAR(64) NOT NULL, side VARCHAR(16) NOT NULL, "
                "stamp VARCHAR(40), last_id VARCHAR(64), settled BOOLEAN, PRIMARY KEY (user_id, side))"
            )
        )
        conn.execute(
            text("INSERT INTO sync_cursors VALUES ('usr_1', 'sia', '2026-11-28T12:00:00.000Z', 'tsk_9', 1)")
        )
    engine.dispose()
    store = StateStore(url)
    assert store.cursor("usr_1", "sia") == Cursor(at("2026-11-28T12:00:00.000Z"), "tsk_9", True, 0)
    store.set_cursor("usr_1", "sia", at("2026-11-28T12:01:00.000Z"), "tsk_10", False, 3)
    assert store.cursor("usr_1", "sia") == Cursor(at("2026-11-28T12:01:00.000Z"), "tsk_10", False, 3)
    store.close()
