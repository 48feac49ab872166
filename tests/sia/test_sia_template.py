"""The subject template (R5.1, R5.1a): the pure renderer the sync imports, and its settings endpoints."""

from __future__ import annotations

import pytest

from mock_sia.template import (
    DYNAMIC_FIELDS,
    TemplateError,
    render_subject,
    uses_activity_subject,
    validate_template,
)

from .helpers import assert_error

TASK = {
    "type": "call",
    "name": "Call Ann",
    "sales_campaign_name": "Q4 Renewals",
    "sales_campaign_day": 3,
    "sales_campaign_step": 2,
    "call_outcome": "Connected",
    "call_reason": "Renewal",
}


def test_dynamic_fields_are_the_documented_seven():
    assert DYNAMIC_FIELDS == (
        "activity_type",
        "activity_subject",
        "sales_campaign_name",
        "sales_campaign_day",
        "sales_campaign_step",
        "call_outcome",
        "call_reason",
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("[SIA] {{activity_subject}}", "[SIA] Call Ann"),  # the documented example (R5.1)
        ("{{activity_type}}: {{activity_subject}}", "Call: Call Ann"),
        ("{{Activity_type}} - {{ACTIVITY_SUBJECT}}", "Call - Call Ann"),  # case-insensitive
        ("{{ activity_subject }}", "Call Ann"),  # spaces inside braces
        ("{{sales_campaign_name}} d{{sales_campaign_day}} s{{sales_campaign_step}}", "Q4 Renewals d3 s2"),
        ("{{call_outcome}}/{{call_reason}}", "Connected/Renewal"),
        ("Free text only", "Free text only"),
    ],
)
def test_render(template, expected):
    assert render_subject(template, TASK) == expected


@pytest.mark.parametrize(
    ("task_type", "shown"), [("email", "Email"), ("call", "Call"), ("inmail", "InMail"), ("custom", "Custom")]
)
def test_activity_type_names(task_type, shown):
    assert render_subject("{{activity_type}}", {"type": task_type, "name": "x"}) == shown


def test_missing_values_render_empty():
    assert (
        render_subject(
            "[{{sales_campaign_name}}] {{activity_subject}} ({{call_reason}})",
            {"type": "email", "name": "Write Bo"},
        )
        == "[] Write Bo ()"
    )
    assert render_subject("{{activity_type}}{{activity_subject}}", {}) == ""


def test_line_breaks_are_removed():
    task = {"type": "call", "name": "Call Ann\nabout the\r\nrenewal\r"}
    assert render_subject("{{activity_subject}}", task) == "Call Ann about the renewal"
    assert render_subject("Line one\nLine two {{activity_type}}\n", task) == "Line one Line two Call"
    assert "\n" not in render_subject("a\u2028b\rc", {}) and "\r" not in render_subject("a\u2028b\rc", {})


def test_cut_to_255_characters():
    long_name = "x" * 300
    subject = render_subject("[SIA] {{activity_subject}}", {"name": long_name})
    assert len(subject) == 255
    assert subject == ("[SIA] " + long_name)[:255]
    assert len(render_subject(None, {"name": "é" * 255})) == 255
    assert len(render_subject(None, {"name": "é" * 256})) == 255


def test_no_template_means_activity_subject():
    assert render_subject(None, TASK) == "Call Ann"
    assert render_subject("", TASK) == "Call Ann"
    assert uses_activity_subject(None)
    assert uses_activity_subject("{{ Activity_Subject }} x")
    assert not uses_activity_subject("{{activity_type}} only")


def test_validate_template_rejects_unknown_fields_by_name():
    validate_template("{{Activity_type}} {{ activity_subject }} {{call_reason}}")
    with pytest.raises(TemplateError) as excinfo:
        validate_template("[SIA] {{activity_subjekt}}")
    assert excinfo.value.field == "activity_subjekt"
    assert "{{activity_subjekt}}" in str(excinfo.value)
    for bad in ("", "   ", "{{}}", "{{ }}", "x" * 1001):
        with pytest.raises(TemplateError):
            validate_template(bad)


# -- through HTTP ---------------------------------------------------------------------------------------


def test_default_template_and_fields(ann):
    body = ann.get("/api/v1/settings/subject_template").json()
    assert body["template"] == "{{activity_subject}}"
    assert body["is_default"] is True
    assert body["fields"] == list(DYNAMIC_FIELDS)


def test_admin_saves_and_everyone_reads(admin, ann, service):
    saved = admin.put("/api/v1/settings/subject_template", json={"template": "[SIA] {{Activity_Subject}}"})
    assert saved.status_code == 200
    assert saved.json()["template"] == "[SIA] {{Activity_Subject}}" and saved.json()["is_default"] is False
    assert ann.get("/api/v1/settings/subject_template").json()["template"] == "[SIA] {{Activity_Subject}}"
    assert service.get("/api/v1/service/subject_template").json()["template"] == "[SIA] {{Activity_Subject}}"
    # null restores the default
    restored = admin.put("/api/v1/settings/subject_template", json={"template": None}).json()
    assert (restored["template"], restored["is_default"]) == ("{{activity_subject}}", True)


def test_a_normal_user_may_not_save(ann, admin):
    assert_error(
        ann.put("/api/v1/settings/subject_template", json={"template": "x {{activity_subject}}"}),
        403,
        "forbidden",
    )
    assert admin.get("/api/v1/settings/subject_template").json()["is_default"] is True


def test_unknown_field_is_rejected_on_save(admin):
    error = assert_error(
        admin.put("/api/v1/settings/subject_template", json={"template": "{{deal_name}} x"}),
        422,
        "validation_failed",
        "deal_name",
    )
    assert "{{deal_name}}" in error["message"]
    assert admin.get("/api/v1/settings/subject_template").json()["is_default"] is True
    assert_error(
        admin.put("/api/v1/settings/subject_template", json={}), 422, "validation_failed", "template"
    )
    assert_error(
        admin.put("/api/v1/settings/subject_template", json={"template": 5}),
        422,
        "validation_failed",
        "template",
    )


def test_preview(admin, ann):
    inline = ann.post(
        "/api/v1/settings/subject_template/preview",
        json={"template": "{{activity_type}}: {{activity_subject}}", "task": TASK},
    )
    assert inline.json() == {
        "template": "{{activity_type}}: {{activity_subject}}",
        "subject": "Call: Call Ann",
    }
    # without a template: the saved one; with task_id: one's own task
    admin.put("/api/v1/settings/subject_template", json={"template": "[SIA] {{activity_subject}}"})
    task = ann.post("/api/v1/tasks", json={"name": "Email Bo\nsoon", "type": "email"}).json()
    by_id = ann.post("/api/v1/settings/subject_template/preview", json={"task_id": task["id"]})
    assert by_id.json()["subject"] == "[SIA] Email Bo soon"
    assert_error(
        admin.post("/api/v1/settings/subject_template/preview", json={"task_id": task["id"]}),
        404,
        "not_found",
    )
    assert_error(
        ann.post("/api/v1/settings/subject_template/preview", json={"template": "{{nope}}", "task": TASK}),
        422,
        "validation_failed",
        "nope",
    )
    assert_error(
        ann.post("/api/v1/settings/subject_template/preview", json={"task": "x"}),
        422,
        "validation_failed",
        "task",
    )
