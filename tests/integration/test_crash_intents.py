"""R4.6/F8 write-ahead intents: a pass that dies between a write and its state commit is finished at
the next pass from what it stored, never planned again with a reused key and a new body.

The crash is `Hooks.after_write` raising right after the write call answered and before the state
commit - the window a `kill -9` hits (tests/processes/ does it with real killed processes)."""

import contextlib

from sqlalchemy import select

from sync.engine import Hooks
from sync.state.models import Intent
from tests.integration.reliability_support import assert_converged, duplicates, settle, step


class Crash(Exception):
    pass


def _crash_after(side: str, kind: str | None = None):
    def hook(s, k):
        if s == side and (kind is None or k == kind):
            raise Crash(f"{s} {k}")

    return Hooks(after_write=hook)


def _pending(h) -> list[Intent]:
    with h.state.sessions() as s:
        return list(s.scalars(select(Intent)))


def test_R4_6_import_dies_after_sia_committed_then_the_rep_edits_salesforce(synced):
    """The issue's deterministic case: one SIA task carrying the edit, no 409 filed, no second SF task."""
    h = synced
    sf = h.salesforce()
    sf_id = sf.Task.create({"Subject": "Call Ada", "Description": "first words", "Priority": "Normal"})["id"]
    h.engine.hooks = _crash_after("sia")
    with contextlib.suppress(Crash):
        step(h)
    h.engine.hooks = Hooks()
    [orphan] = h.sia_tasks()  # SIA committed the import; the link was never saved
    assert orphan["details"] == "first words"
    [intent] = _pending(h)
    assert (intent.side, intent.kind, intent.target) == ("sia", "create", sf_id)
    assert intent.idempotency_key == f"sf-{sf_id}-0" and intent.body["data"]["details"] == "first words"

    sf.Task.update(sf_id, {"Description": "edited after the crash", "Priority": "High"})
    report = step(h)
    assert report.total("errors") == 0, report.to_dict()
    assert h.state.task_errors() == []  # no 409 "Idempotency-Key used with a different body" filed
    [task] = h.sia_tasks()
    assert task["id"] == orphan["id"]
    assert (task["details"], task["priority"]) == ("edited after the crash", "high")
    assert [r["Id"] for r in h.sf_tasks()] == [sf_id]  # the SIA task was never pushed back
    assert _pending(h) == []
    assert settle(h) <= 2
    assert_converged(h)
    assert set(duplicates(h).values()) == {0}


def test_R4_6_push_dies_after_salesforce_upsert_then_the_rep_edits_the_new_sf_task(synced):
    """The upsert's task is found by its External ID and linked; the rep's edit is pulled, not overwritten."""
    h = synced
    sia_id = h.sia_api("POST", "/tasks", json={"name": "Email Bo", "details": "draft"}).json()["id"]
    h.engine.hooks = _crash_after("salesforce", "upsert")
    with contextlib.suppress(Crash):
        step(h)
    h.engine.hooks = Hooks()
    [record] = h.sf_tasks()
    assert record["SIA_Task_Id__c"] == sia_id
    [intent] = _pending(h)
    assert (intent.side, intent.kind, intent.target) == ("salesforce", "upsert", sia_id)

    h.salesforce().Task.update(record["Id"], {"Description": "rep's edit in Salesforce"})
    report = step(h)
    assert report.total("errors") == 0, report.to_dict()
    assert [r["Id"] for r in h.sf_tasks()] == [record["Id"]]
    assert h.sf_tasks()[0]["Description"] == "rep's edit in Salesforce"
    [task] = h.sia_tasks()
    assert task["details"] == "rep's edit in Salesforce"
    assert _pending(h) == []
    assert settle(h) <= 2
    assert_converged(h)


def test_R4_6_update_and_delete_that_landed_are_finished_without_a_conflict(synced):
    """Updates and deletions carry no key: one that visibly landed is finished from this pass's read
    (no extra call, no spurious conflict); the pass after writes nothing."""
    h = synced
    sf = h.salesforce()
    keep = sf.Task.create({"Subject": "Keep", "Description": "v1"})["id"]
    gone = sf.Task.create({"Subject": "Gone"})["id"]
    step(h)
    sf.Task.update(keep, {"Description": "v2"})
    sf.Task.delete(gone)
    h.engine.hooks = _crash_after("sia")
    with contextlib.suppress(Crash):
        step(h)
    h.engine.hooks = Hooks()
    assert sorted(i.kind for i in _pending(h)) == ["delete", "update"]
    report = step(h)
    assert report.total("errors") == 0 and report.total("conflicts") == 0, report.to_dict()
    assert _pending(h) == []
    assert [t["details"] for t in h.sia_tasks()] == ["v2"]
    assert settle(h) == 0
    assert_converged(h)


def test_R4_6_a_pass_without_a_crash_leaves_no_intent_and_no_extra_call(synced):
    h = synced
    h.salesforce().Task.create({"Subject": "plain"})
    report = step(h)
    assert _pending(h) == []
    assert report.api_calls["salesforce"] == 1  # the read; intents cost no call
