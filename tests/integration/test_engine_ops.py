"""The engine for in-process callers: one user's unexpected error never ends a pass, each user's outcome
is kept in the state database, and what the rule fixes cost in Salesforce calls (both mocks in-process,
real simple-salesforce, the org's journal)."""

from __future__ import annotations

import logging

from tasksync_common.instants import iso_ms

REST = r"^/services/data/"


def step(h, **kw):
    h.clock.advance(**(kw or {"minutes": 1}))
    return h.run_pass()


def sf_calls(h, fn):
    h.org.journal.clear()
    result = fn()
    # answered calls only: after hours of clock time the session expires and simple-salesforce logs in
    # again and repeats the call (a 401 in the journal, not a call the engine made)
    return result, [e.query for e in h.org.journal.entries(path=REST) if e.status < 400]


def test_an_unexpected_error_in_one_users_pass_is_that_users_error_and_the_others_go_on(synced, caplog):
    h = synced
    bob = h.add_user_pair("Bob", "bob@sia.example", "bob@example.com")
    h.enable_sync(bob)
    h.salesforce().Task.create({"Subject": "Ann's task"})
    working = h.engine.salesforce_factory

    def buggy(conn):  # stands for a bug or a stray database error met only in Bob's pass
        if conn["username"] == "bob@example.com":
            raise RuntimeError("boom in Bob's pass")
        return working(conn)

    h.engine.salesforce_factory = buggy
    with caplog.at_level(logging.ERROR, logger="tasksync"):
        report = step(h)
    assert report.error is None
    assert report.user(bob).stopped == "INTERNAL_ERROR: RuntimeError: boom in Bob's pass"
    assert report.user(bob).outcome == "stopped" and report.user(h.user_id).outcome == "ok"
    assert [t["name"] for t in h.sia_tasks()] == ["Ann's task"]  # Ann's pass went on
    assert "Traceback" in caplog.text and "boom in Bob's pass" in caplog.text  # the traceback is logged
    stopped = h.state.user(bob)
    assert (stopped.outcome, stopped.outcome_reason) == (
        "stopped",
        "INTERNAL_ERROR: RuntimeError: boom in Bob's pass",
    )
    since = stopped.outcome_since
    step(h)
    assert h.state.user(bob).outcome_since == since  # still the same failure: "since" stays
    h.engine.salesforce_factory = working
    h.engine._salesforce.clear()
    report = step(h)
    assert report.user(bob).outcome == "ok"
    recovered = h.state.user(bob)
    assert recovered.outcome == "ok" and recovered.outcome_reason is None and recovered.outcome_since > since


def test_a_pass_level_failure_is_reported_not_raised(synced):
    h = synced
    h.sia.faults.add("status", status=401, error_code="unauthorized", path="/api/v1/service/sync_users")
    report = step(h)
    assert report.users == [] and report.error.startswith("SIA_UNAUTHORIZED: SIA at ")
    h.sia.faults.clear()
    assert step(h).error is None


def test_R1_4_the_owner_check_costs_a_call_only_in_passes_with_salesforce_updates_or_deletions(synced):
    h = synced
    created = h.sia_api("POST", "/tasks", json={"name": "Call Ann"}).json()
    _, calls = sf_calls(h, lambda: step(h))
    assert len(calls) == 2  # the read and the upsert: creates need no owner check
    for _ in range(2):  # the look-back re-read of our own write, then idle
        _, calls = sf_calls(h, lambda: step(h))
        assert len(calls) == 1  # one read (F9)
    h.sia_api("PATCH", f"/tasks/{created['id']}", json={"status": "complete"})
    report, calls = sf_calls(h, lambda: step(h))
    assert len(calls) == 3 and "Id+IN" in calls[1].replace("%20", "+")  # read, owner check by id, update
    assert report.users[0].updated == {"sia": 0, "salesforce": 1}
    assert h.sf_tasks()[0]["Status"] == "Completed"


def test_R1_4_a_reassigned_task_is_unlinked_and_neither_side_is_written(synced):
    h = synced
    bob = h.org.create_user({"Username": "bob@example.com"})
    created = h.sia_api("POST", "/tasks", json={"name": "Call Dana"}).json()
    step(h)
    [task] = h.sf_tasks()
    h.salesforce().Task.update(task["Id"], {"OwnerId": bob["Id"]})
    h.sia_api("PATCH", f"/tasks/{created['id']}", json={"name": "Call Dana now", "status": "complete"})
    report = step(h)
    [unlinked] = report.users[0].unlinked
    assert (unlinked["sia_id"], unlinked["sf_id"]) == (created["id"], task["Id"])
    assert report.users[0].writes == 0 and "unlinked" in report.to_text()
    [bobs] = h.sf_tasks(bob["Id"])
    assert (bobs["Subject"], bobs["Status"]) == ("Call Dana", "Not Started")
    h.sia_api("DELETE", f"/tasks/{created['id']}")
    assert step(h).users[0].writes == 0
    assert len(h.sf_tasks(bob["Id"])) == 1
    # Bob edits it: nothing reaches Ann (the read is Ann's tasks only)
    h.salesforce().Task.update(task["Id"], {"Subject": "Bob's now"})
    assert step(h).users[0].writes == 0


def test_R4_2_the_sweep_runs_once_per_period_at_ceil_links_over_200_queries(synced):
    h = synced
    sf = h.salesforce()
    ids = [sf.Task.create({"Subject": f"t{i}"})["id"] for i in range(3)]
    step(h)
    step(h)  # the look-back re-read settles
    sf.Task.delete(ids[0])
    h.org.purge_recycle_bin()
    _, calls = sf_calls(h, lambda: step(h, hours=1))
    assert len(calls) == 1 and len(h.sia_tasks()) == 3  # no sweep yet: one read
    report, calls = sf_calls(h, lambda: step(h, hours=5))
    assert len(calls) == 2  # the read and one sweep query (3 links <= 200)
    assert report.users[0].deleted == {"sia": 1, "salesforce": 0}
    assert report.users[0].deletions[0]["how_found"].startswith("linked-id check (reconciliation sweep)")
    _, calls = sf_calls(h, lambda: step(h, hours=1))
    assert len(calls) == 1  # the next sweep is 6 hours away


def test_R1_1_a_new_connection_retires_the_old_links_and_starts_over(synced):
    h = synced
    h.salesforce().Task.create({"Subject": "old user's task"})
    step(h)
    assert [t["name"] for t in h.sia_tasks()] == ["old user's task"]
    carol = h.org.create_user({"Username": "carol@example.com"})
    h.sia.disconnect_salesforce(h.user_id)  # turns sync off
    h.connect(h.user_id, "carol@example.com", "password", "token", None)
    h.enable_sync()
    h.salesforce("carol@example.com").Task.create({"Subject": "Carol's task"})
    report = step(h)
    ann = report.users[0]
    assert ann.start == "first" and len(ann.unlinked) == 1
    assert "connection changed" in ann.unlinked[0]["reason"]
    assert sorted(t["name"] for t in h.sia_tasks()) == ["Carol's task", "old user's task"]
    state = h.state.user(h.user_id)
    assert state.salesforce_user_id == carol["Id"] and state.sf_connection == "carol@example.com"
    assert iso_ms(state.last_sweep_at) == report.started_at  # the sweep period starts again with the start
    h.sia_api("POST", "/tasks", json={"name": "for Carol"})
    step(h)
    assert [r["Subject"] for r in h.sf_tasks(carol["Id"])] == ["Carol's task", "for Carol"]
    assert [r["Subject"] for r in h.sf_tasks()] == ["old user's task"]


def test_a_state_database_error_in_a_users_pass_stops_that_user_and_exits_3(synced):
    """A real database error in the middle of a user's pass (its links table dropped under it): the
    user is stopped with STATE_DB_ERROR, the pass finishes, and `tasksync run --once` would exit 3."""
    from sqlalchemy import text

    from sync.cli import EXIT_STATE_DB, exit_code_for

    h = synced
    h.salesforce().Task.create({"Subject": "to SIA"})

    def drop_links(side, kind):
        with h.state.engine.begin() as conn:
            conn.execute(text("DROP TABLE sync_links"))

    h.engine.hooks.after_write = drop_links
    report = step(h)
    assert report.users[0].stopped.startswith("STATE_DB_ERROR: OperationalError: (sqlite3.OperationalError)")
    assert report.finished_at and exit_code_for(report) == EXIT_STATE_DB
