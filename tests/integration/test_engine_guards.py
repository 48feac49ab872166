"""The engine's guards against both mocks in-process: the mass-delete guard (F16) and the Salesforce API
budget governor (F3/F4), through real simple-salesforce calls, real HTTP and the mocks' journals."""

from __future__ import annotations

import pytest

REST = r"^/services/data/"


def step(h, **kw):
    h.clock.advance(**(kw or {"minutes": 1}))
    return h.run_pass()


def sf_delete(h, ids):
    """Delete Salesforce tasks the way a user's tool would: sObject Collections, 200 per call."""
    sf = h.salesforce()
    for start in range(0, len(ids), 200):
        chunk = ids[start : start + 200]
        sf.restful(
            "composite/sobjects", method="DELETE", params={"ids": ",".join(chunk), "allOrNone": "false"}
        )


def sia_delete(h, ids, user_id=None):
    ops = [{"op": "delete", "id": i} for i in ids]
    response = h.sia_api("POST", "/tasks/batch", user_id=user_id, json={"operations": ops})
    assert response.status_code == 200


@pytest.fixture
def linked(h):
    """Ann with sync on and 20 Salesforce tasks imported and linked (the look-back re-read done too)."""
    h.enable_sync()
    h.clock.advance(seconds=30)
    h.run_pass()
    sf = h.salesforce()
    ids = [sf.Task.create({"Subject": f"task {i:02d}"})["id"] for i in range(20)]
    step(h)
    step(h)
    assert len(h.sia_tasks()) == 20
    return ids


# -- F16: the mass-delete guard ------------------------------------------------------------------------


def test_F16_explicit_mass_deletion_in_salesforce_propagates_at_once(h, linked):
    """R4.2/R4.4: rows Salesforce reports deleted (IsDeleted) are never held, however many."""
    sf_delete(h, linked[:12])  # 12 of 20 linked tasks: >= 10 and > 50 % - the old guard held these
    report = step(h)
    assert report.users[0].alerts == [] and report.users[0].deleted == {"sia": 12, "salesforce": 0}
    assert sorted(t["name"] for t in h.sia_tasks()) == [f"task {i:02d}" for i in range(12, 20)]
    assert {d.how_found for d in h.state.deletions()} == {"Salesforce recycle bin (IsDeleted)"}
    assert step(h).users[0].writes == 0


def test_F16_explicit_mass_deletion_in_sia_propagates_at_once(h, linked):
    """R4.1/R4.4: SIA tombstones are explicit deletions - all 20 reach Salesforce in the next pass."""
    sia_delete(h, [t["id"] for t in h.sia_tasks()])
    report = step(h)
    assert report.users[0].alerts == [] and report.users[0].deleted == {"sia": 0, "salesforce": 20}
    assert h.sf_tasks() == []


def test_F16_deletions_found_by_the_sweep_are_held_with_an_alert_until_confirmed(h, linked):
    """Only deletions inferred from absence are guarded: 12 linked ids gone (purged before any pass
    read them), found by the periodic reconciliation sweep, are held until an operator confirms."""
    sf_delete(h, linked[:12])
    h.org.purge_recycle_bin()  # hard-deleted before the next pass: no IsDeleted row to read
    assert step(h).users[0].deleted == {"sia": 0, "salesforce": 0}  # the change read sees nothing
    for _ in range(2):  # sweep due: held every pass while the condition lasts
        report = step(h, hours=7)
        [alert] = report.users[0].alerts
        assert alert["alert"] == "mass_delete" and alert["kind"] == "share"
        assert (alert["into"], alert["would_delete"], alert["linked"]) == ("sia", 12, 20)
        assert "without a deletion it reported" in alert["message"]
        assert report.users[0].deleted == {"sia": 0, "salesforce": 0}
        assert len(h.sia_tasks()) == 20 and h.state.deletions() == []
        assert "ALERT mass_delete (F16)" in report.to_text()
    h.engine.settings.allow_mass_delete = True  # the operator confirms (CLI --allow-mass-delete)
    report = step(h)
    h.engine.settings.allow_mass_delete = False
    assert report.users[0].alerts == [] and report.users[0].deleted == {"sia": 12, "salesforce": 0}
    assert sorted(t["name"] for t in h.sia_tasks()) == [f"task {i:02d}" for i in range(12, 20)]
    assert {d.how_found.split(":")[0] for d in h.state.deletions()} == {
        "linked-id check (reconciliation sweep)"
    }
    assert step(h).users[0].writes == 0 and step(h, hours=7).users[0].alerts == []


def test_F16_small_or_minority_deletions_are_not_held(h, linked):
    sf_delete(h, linked[:9])  # 9 of 20: under the 10-task minimum
    report = step(h)
    assert report.users[0].alerts == [] and report.users[0].deleted["sia"] == 9
    sia_delete(h, [t["id"] for t in h.sia_tasks()][:5])  # 5 of 11: under both bounds
    assert step(h).users[0].deleted["salesforce"] == 5


def test_F16_a_long_gap_where_salesforce_looks_empty_is_held(h, linked):
    """Deletions found only by absence (the linked-id check after a long gap) are guarded too."""
    sf_delete(h, linked)
    h.clock.advance(days=20)
    h.org.purge_recycle_bin()  # nothing left to read: every linked id is simply gone
    report = step(h)
    [alert] = report.users[0].alerts
    assert alert["kind"] == "side_empty" and alert["would_delete"] == 20
    assert len(h.sia_tasks()) == 20
    report = step(h)  # the linked-id check runs again: still held
    assert report.users[0].alerts and len(h.sia_tasks()) == 20
    h.engine.settings.allow_mass_delete = True
    report = step(h)
    assert report.users[0].deleted == {"sia": 20, "salesforce": 0} and h.sia_tasks() == []
    assert {d.how_found.split(":")[0] for d in h.state.deletions()} == {"linked-id check"}


def test_F16_R3_4_previously_enabled_start_deletes_everything_salesforce_deleted(h, linked):
    """R3.4 is documented behaviour: the guard never holds Salesforce deletions on that start."""
    h.disable_sync()
    h.clock.advance(days=1)
    sf_delete(h, linked[:5])
    h.clock.advance(days=16)
    h.org.purge_recycle_bin()  # these five are found by the linked-id check
    sf_delete(h, linked[5:])  # these fifteen are still in the recycle bin
    h.clock.advance(days=1)
    h.enable_sync()
    report = step(h)
    assert report.users[0].start == "previously_enabled"
    assert report.users[0].alerts == [] and report.users[0].deleted == {"sia": 20, "salesforce": 0}
    assert h.sia_tasks() == []


def test_F16_guard_can_be_switched_off(h, linked):
    h.engine.settings.mass_delete_guard = False
    sf_delete(h, linked)
    h.org.purge_recycle_bin()
    step(h)
    assert step(h, hours=7).users[0].deleted == {"sia": 20, "salesforce": 0}


# -- F3/F4: the API budget governor --------------------------------------------------------------------


def test_F4_usage_over_the_threshold_defers_the_rest_of_the_pass_and_resumes_after_reset(synced):
    h = synced
    for i in range(3):
        h.sia_api("POST", "/tasks", json={"name": f"push {i}"})
    h.org.set_api_allocation(100, used=89)  # the read answers "api-usage=90/100": 90 % reached
    h.org.journal.clear()
    report = step(h)
    user = report.users[0]
    assert user.deferred and "90/100" in user.deferred and user.stopped is None
    assert user.api_calls["salesforce"] == 1 and h.org.journal.count(path=REST) == 1
    assert h.sf_tasks() == []  # (this read is the test's own call: 91/100)
    assert "DEFERRED" in report.to_text() and report.to_dict()["totals"]["deferred"] == 1
    h.org.set_api_allocation(1000, used=0)
    report = step(h)
    assert report.users[0].deferred is None and report.users[0].created["salesforce"] == 3
    step(h)
    assert sorted(r["Subject"] for r in h.sf_tasks()) == ["push 0", "push 1", "push 2"]  # no duplicates


def test_F3_spent_allocation_makes_one_call_per_pass_for_the_whole_org_then_resumes(synced):
    h = synced
    bob = h.add_user_pair("Bob", "bob@sia.example", "bob@example.com")
    h.enable_sync(bob)
    step(h)
    h.salesforce().Task.create({"Subject": "waits for the budget"})
    h.sia_api("POST", "/tasks", json={"name": "Bob waits too"}, user_id=bob)
    used = h.org.api_allocation()["used"]
    h.org.set_api_allocation(used, used=used)  # spent: the next REST call gets 403 REQUEST_LIMIT_EXCEEDED
    for _ in range(2):
        h.org.journal.clear()
        report = step(h)
        assert h.org.journal.count(path=REST) == 1  # one probe for the org, then no call at all
        assert [e.status for e in h.org.journal.entries(path=REST)] == [403]
        ann, bob_report = report.user(h.user_id), report.user(bob)
        assert ann.stopped.startswith("REQUEST_LIMIT_EXCEEDED") and ann.deferred
        assert bob_report.deferred and bob_report.api_calls["salesforce"] == 0
    assert [t["name"] for t in h.sia_tasks()] == []
    h.org.set_api_allocation(15000, used=0)  # the allocation is reset
    report = step(h)
    assert all(u.deferred is None and u.stopped is None for u in report.users)
    assert [t["name"] for t in h.sia_tasks()] == ["waits for the budget"]
    bob_owner = h.org.list_users()[-1]["Id"]
    assert [r["Subject"] for r in h.sf_tasks(bob_owner)] == ["Bob waits too"]


def test_F3_403_mid_pass_keeps_the_checkpoint_and_nothing_is_lost_or_duplicated(synced):
    h = synced
    h.engine.settings.api_budget_threshold = None  # only the 403 stops the calls
    h.engine.budget_for(h.sf_url).threshold = None
    for i in range(3):
        h.sia_api("POST", "/tasks", json={"name": f"to SF {i}"})
    h.salesforce().Task.create({"Subject": "to SIA"})
    used = h.org.api_allocation()["used"]
    h.org.set_api_allocation(used + 1, used=used)  # room for the read, not for the write
    h.org.journal.clear()
    report = step(h)
    assert [e.status for e in h.org.journal.entries(path=REST)] == [200, 403]  # no call after the 403
    assert report.users[0].stopped.startswith("REQUEST_LIMIT_EXCEEDED")
    assert [t["name"] for t in h.sia_tasks() if t["name"] == "to SIA"] == ["to SIA"]  # done before the 403
    h.org.set_api_allocation(15000, used=0)
    step(h)
    step(h)
    assert sorted(r["Subject"] for r in h.sf_tasks()) == ["to SF 0", "to SF 1", "to SF 2", "to SIA"]
    assert sorted(t["name"] for t in h.sia_tasks()) == ["to SF 0", "to SF 1", "to SF 2", "to SIA"]
