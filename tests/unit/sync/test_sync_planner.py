"""The planner's decision tables: exhaustive, and every row driven through `plan()`."""

import itertools

import pytest

from mock_sia.template import render_subject
from sync.domain import content_hash, sf_view, sia_view
from sync.planner import LINKED, SF_UNLINKED, SIA_UNLINKED, TOMBSTONE, Context, LinkObs, plan
from tasksync_common.instants import parse_instant as at

SIA_T0 = "2026-11-28T12:00:00.000Z"
SF_T0 = "2026-11-28T12:00:00.000+0000"


def ctx(template=None):
    return Context(
        owner_id="005A",
        enabled_at=at("2026-11-28T11:00:00.000Z"),
        import_floor=at("2026-11-27T11:00:00.000Z"),
        template=template,
        render=render_subject,
    )


def sia_task(**kw):
    base = {
        "id": "tsk_1",
        "name": "Call Ann",
        "type": "call",
        "status": "open",
        "priority": "normal",
        "due_date": "2026-12-01",
        "details": "d",
        "created_at": SIA_T0,
        "updated_at": SIA_T0,
        "deleted_at": None,
    }
    return {**base, **kw}


def sf_record(**kw):
    base = {
        "Id": "00TA",
        "Subject": "Call Ann",
        "Status": "Not Started",
        "Priority": "Normal",
        "ActivityDate": "2026-12-01",
        "Description": "d",
        "IsClosed": False,
        "IsDeleted": False,
        "SIA_Task_Id__c": None,
        "SystemModstamp": SF_T0,
        "CreatedDate": SF_T0,
        "OwnerId": "005A",
    }
    return {**base, **kw}


def link(**kw):
    t, r = sia_task(), sf_record()
    obs = LinkObs(
        sia_id="tsk_1",
        sf_id="00TA",
        sia_values=sia_view(t),
        sf_values=sf_view(r),
        sia_hash=content_hash(sia_view(t)),
        sf_hash=content_hash(sf_view(r)),
        sia_stamp=at(SIA_T0),
        sf_stamp=at(SF_T0),
    )
    for k, v in kw.items():
        setattr(obs, k, v)
    return obs


SIA_INPUT = {
    "A": None,
    "S": sia_task(updated_at="2026-11-28T12:05:00.000Z"),
    "C": sia_task(details="new", updated_at="2026-11-28T12:05:00.000Z"),
    "D": sia_task(deleted_at="2026-11-28T12:05:00.000Z"),
}
SF_INPUT = {
    "A": None,
    "S": sf_record(SystemModstamp="2026-11-28T12:04:00.000+0000"),
    "C": sf_record(Priority="High", SystemModstamp="2026-11-28T12:04:00.000+0000"),
    "D": sf_record(IsDeleted=True),
    "P": None,
}


def test_tables_are_exhaustive():
    assert set(LINKED) == set(itertools.product("ASCD", "ASCDP"))
    assert set(TOMBSTONE) == set("ASCDP")
    assert set(SIA_UNLINKED) == {"new", "old", "deleted"}
    assert set(SF_UNLINKED) == {"pending", "in_window", "old", "deleted"}
    for row, rule_ids in (
        list(LINKED.values())
        + list(TOMBSTONE.values())
        + list(SIA_UNLINKED.values())
        + list(SF_UNLINKED.values())
    ):
        assert rule_ids.startswith("R"), row  # every row names its rule ids


@pytest.mark.parametrize(("sia_state", "sf_state"), sorted(LINKED))
def test_every_linked_row(sia_state, sf_state):
    sia_in, sf_in = SIA_INPUT[sia_state], SF_INPUT[sf_state]
    purged = {"00TA": "linked-id check"} if sf_state == "P" else {}
    actions = plan(
        [link()], {"tsk_1": sia_in} if sia_in else {}, {"00TA": sf_in} if sf_in else {}, ctx(), purged
    )
    row, _ = LINKED[(sia_state, sf_state)]
    if row == "noop":
        assert actions == []
        return
    assert [a.row for a in actions] == [row]
    action = actions[0]
    if row == "push":
        assert action.sf_patch == {"Description": "new"} and action.sia_patch == {}
    if row == "pull":
        assert action.sia_patch == {"priority": "high"} and action.sf_patch == {}
    if row == "merge":  # different fields changed: both taken, no conflict (R4.3)
        assert action.sf_patch == {"Description": "new"} and action.sia_patch == {"priority": "high"}
        assert action.conflicts == []
    if row == "delete_sia":
        assert action.how_found == (
            "linked-id check" if sf_state == "P" else "Salesforce recycle bin (IsDeleted)"
        )


@pytest.mark.parametrize("sf_state", sorted(TOMBSTONE))
def test_every_tombstone_row(sf_state):
    sf_in = SF_INPUT[sf_state]
    actions = plan(
        [link(live=False, generation=0)],
        {},
        {"00TA": sf_in} if sf_in else {},
        ctx(),
        {"00TA": "x"} if sf_state == "P" else {},
    )
    row, _ = TOMBSTONE[sf_state]
    if row == "noop":
        assert actions == []
    else:  # R4.7: restored from the recycle bin -> a new SIA task, with a fresh idempotency key
        assert [a.row for a in actions] == ["restore"]
        assert actions[0].idempotency_key == "sf-00TA-1"
        assert actions[0].sia_patch["priority"] == ("high" if sf_state == "C" else "normal")


@pytest.mark.parametrize(
    ("state", "task"),
    [
        ("new", sia_task(created_at="2026-11-28T11:30:00.000Z")),
        ("old", sia_task(created_at="2026-11-28T10:59:59.999Z")),
        ("deleted", sia_task(deleted_at=SIA_T0)),
    ],
)
def test_every_unlinked_sia_row(state, task):
    actions = plan([], {"tsk_1": task}, {}, ctx())
    row, _ = SIA_UNLINKED[state]
    assert [a.row for a in actions] == ([] if row == "noop" else [row])
    if row == "create_sf":
        assert actions[0].sf_patch["SIA_Task_Id__c"] == "tsk_1"  # R4.6 external id fixed before the call
        assert "Type" not in actions[0].sf_patch  # R4.8


@pytest.mark.parametrize(
    ("state", "record", "sia_changes"),
    [
        ("pending", sf_record(SIA_Task_Id__c="tsk_9"), {"tsk_9": sia_task(id="tsk_9")}),
        ("in_window", sf_record(SystemModstamp="2026-11-27T11:00:00.000+0000"), {}),
        ("old", sf_record(SystemModstamp="2026-11-27T10:59:59.000+0000"), {}),
        ("deleted", sf_record(IsDeleted=True), {}),
    ],
)
def test_every_unlinked_salesforce_row(state, record, sia_changes):
    actions = [a for a in plan([], sia_changes, {"00TA": record}, ctx()) if a.sf_record is not None]
    row, _ = SF_UNLINKED[state]
    assert [a.row for a in actions] == ([] if row == "noop" else [row])
    if row == "import":
        assert actions[0].idempotency_key == "sf-00TA-0"


def test_R4_3_both_sides_change_same_field_later_change_wins_by_own_clocks():
    # SIA changed 5 min after its last sync stamp, Salesforce 4 min after its own: SIA is later.
    sia = sia_task(priority="normal", details="sia", updated_at="2026-11-28T12:05:00.000Z")
    sf = sf_record(Description="sf", SystemModstamp="2026-11-28T12:04:00.000+0000")
    [a] = plan([link()], {"tsk_1": sia}, {"00TA": sf}, ctx())
    assert a.row == "merge" and a.sf_patch == {"Description": "sia"} and a.sia_patch == {}
    assert [(c.field, c.winner) for c in a.conflicts] == [("details", "sia")]
    # Salesforce's clock is skewed by +1 hour: only its own elapsed time counts, so it still loses.
    skewed = link(sf_stamp=at("2026-11-28T13:00:00.000+0000"))
    sf2 = sf_record(Description="sf", SystemModstamp="2026-11-28T13:04:00.000+0000")
    [a] = plan([skewed], {"tsk_1": sia}, {"00TA": sf2}, ctx())
    assert a.conflicts[0].winner == "sia"
    # Salesforce later -> Salesforce wins.
    sf3 = sf_record(Description="sf", SystemModstamp="2026-11-28T12:06:00.000+0000")
    [a] = plan([link()], {"tsk_1": sia}, {"00TA": sf3}, ctx())
    assert a.sia_patch == {"details": "sf"} and a.conflicts[0].winner == "salesforce"


def test_R4_3_exact_tie_goes_to_sia():
    sia = sia_task(details="sia", updated_at="2026-11-28T12:05:00.000Z")
    sf = sf_record(Description="sf", SystemModstamp="2026-11-28T12:05:00.000+0000")
    [a] = plan([link()], {"tsk_1": sia}, {"00TA": sf}, ctx())
    assert a.conflicts[0].winner == "sia" and a.sf_patch == {"Description": "sia"}


def test_R2_2a_salesforce_change_to_unsynced_status_leaves_sia_alone():
    [a] = plan([link()], {}, {"00TA": sf_record(Status="In Progress", Priority="Low")}, ctx())
    assert a.row == "pull" and a.sia_patch == {} and a.sf_patch == {}
    assert a.new_sf_values["Status"] == "In Progress"  # remembered, so it is not seen again


def test_R5_2_salesforce_subject_edit_never_reaches_sia():
    [a] = plan([link()], {}, {"00TA": sf_record(Subject="Edited in SF")}, ctx())
    assert a.sia_patch == {}


def test_R5_1_name_edit_rerenders_subject_only_with_activity_subject():
    edited = sia_task(name="Call Bob", updated_at="2026-11-28T12:05:00.000Z")
    [a] = plan([link()], {"tsk_1": edited}, {}, ctx("[SIA] {{activity_subject}}"))
    assert a.sf_patch == {"Subject": "[SIA] Call Bob"}
    [a] = plan([link()], {"tsk_1": edited}, {}, ctx("{{activity_type}} task"))
    assert a.sf_patch == {}  # R5.3: without {{activity_subject}} the subject stays


def test_R2_5_too_long_text_is_an_error_not_a_cut():
    edited = sia_task(details="x" * 32001, updated_at="2026-11-28T12:05:00.000Z")
    [a] = plan([link()], {"tsk_1": edited}, {}, ctx())
    assert a.error[0] == "STRING_TOO_LONG"
