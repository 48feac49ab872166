"""The value rules and the field map, one test per rule id."""

import pytest

from mock_sia.template import render_subject
from sync import mapping, rules
from sync.domain import content_hash, sf_view, sia_view


@pytest.mark.parametrize(("sf", "sia"), [("Not Started", "open"), ("Completed", "complete")])
def test_R2_2_status_maps_both_ways(sf, sia):
    assert rules.status_to_sia(sf) == sia
    assert rules.STATUS_SIA_TO_SF[sia] == sf


@pytest.mark.parametrize("sf", ["In Progress", "Waiting on someone else", "Deferred", "Escalated"])
def test_R2_2a_non_synced_status_leaves_sia_alone(sf):
    assert rules.status_to_sia(sf) is None


@pytest.mark.parametrize(
    ("sf", "closed", "sia"),
    [
        ("In Progress", False, "open"),
        ("Deferred", False, "open"),
        ("Done (custom)", True, "complete"),
        ("Completed", True, "complete"),
    ],
)
def test_R2_2b_import_of_non_synced_status_uses_is_closed(sf, closed, sia):
    assert rules.import_status(sf, closed) == sia


def test_R2_3_priority_maps_and_R2_3a_low_is_not_synced():
    assert rules.priority_to_sia("High") == "high"
    assert rules.priority_to_sia("Normal") == "normal"
    assert rules.PRIORITY_SIA_TO_SF == {"normal": "Normal", "high": "High"}
    assert rules.priority_to_sia("Low") is None
    assert rules.import_priority("Low") == "normal"


@pytest.mark.parametrize("day", ["2026-01-01", "2026-03-29", "2026-10-25", "2026-12-31", "2028-02-29"])
def test_R2_4_due_date_is_the_same_string_both_ways(day):
    task = {
        "id": "tsk_1",
        "name": "x",
        "status": "open",
        "priority": "normal",
        "due_date": day,
        "details": None,
    }
    fields = mapping.sf_create_fields(task, None, "005", render_subject)
    assert fields["ActivityDate"] == day
    assert mapping.sia_import_fields({"Subject": "x", "ActivityDate": day})["due_date"] == day


def test_R2_5_details_pass_unchanged_and_too_long_is_reported():
    text = "Line 1\r\nZeile 2 – ünïcödé 🚀\n\n  trailing  "
    task = {
        "id": "tsk_1",
        "name": "x",
        "status": "open",
        "priority": "normal",
        "due_date": None,
        "details": text,
    }
    assert mapping.sf_create_fields(task, None, "005", render_subject)["Description"] == text
    assert mapping.sia_import_fields({"Subject": "x", "Description": text})["details"] == text
    assert rules.too_long({"Description": "x" * 32001}, rules.SF_LIMITS) == ["Description"]
    assert rules.too_long({"Description": "x" * 32000}, rules.SF_LIMITS) == []


def test_R4_8_created_salesforce_tasks_carry_no_type():
    task = {
        "id": "tsk_1",
        "name": "x",
        "type": "call",
        "status": "open",
        "priority": "high",
        "due_date": None,
        "details": None,
    }
    fields = mapping.sf_create_fields(task, None, "005X", render_subject)
    assert "Type" not in fields
    assert fields["OwnerId"] == "005X"  # R1.4
    assert fields["SIA_Task_Id__c"] == "tsk_1"  # R4.6


def test_R5_1_template_renders_subject_and_R5_1a_default():
    task = {"id": "t", "name": "Call Ann", "type": "call", "status": "open", "priority": "normal"}
    assert (
        mapping.sf_create_fields(task, "[SIA] {{activity_subject}}", "005", render_subject)["Subject"]
        == "[SIA] Call Ann"
    )
    assert mapping.sf_create_fields(task, None, "005", render_subject)["Subject"] == "Call Ann"


def test_R5_1_only_activity_subject_lets_name_edits_through():
    assert rules.template_uses_subject(None)
    assert rules.template_uses_subject("[SIA] {{ Activity_Subject }}")
    assert not rules.template_uses_subject("{{activity_type}} follow-up")


def test_R5_3_import_takes_subject_as_name():
    assert mapping.sia_import_fields({"Subject": "Call Bob"})["name"] == "Call Bob"
    assert mapping.sia_import_fields({"Subject": None})["name"] == rules.NO_SUBJECT_NAME


def test_hash_ignores_unsynced_fields_and_blank_equals_null():
    a = {"name": "x", "status": "open", "priority": "normal", "due_date": None, "details": "", "type": "call"}
    b = dict(a, details=None, type="email", updated_at="2026")
    assert content_hash(sia_view(a)) == content_hash(sia_view(b))
    assert content_hash(sf_view({"Subject": "x", "SystemModstamp": "1"})) == content_hash(
        sf_view({"Subject": "x"})
    )
