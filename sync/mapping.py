"""Field map SIA reminder task <-> Salesforce Task (R2.1-R2.5, R4.8, R5): pure functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sync import rules
from sync.domain import EXTERNAL_ID_FIELD
from tasksync_common.subject_template import render_subject

Renderer = Callable[[str | None, dict[str, Any]], str]


def default_renderer() -> Renderer:
    """SIA's own subject renderer (R5.1a) - one implementation shared with the SIA mock."""
    return render_subject


def sf_create_fields(
    task: dict[str, Any], template: str | None, owner_id: str, render: Renderer
) -> dict[str, Any]:
    """A new Salesforce Task for an SIA task created after enabling (R4.1, R5.3, R1.4, R4.8).

    The External ID carries the SIA task id, fixed before the call, so a retried or interrupted
    create updates the same row instead of making a second one (R4.6). No `Type` is sent (R4.8).
    """
    return {
        "attributes": {"type": "Task"},
        "Subject": render(template, task),  # R5.1 / R5.1a / R5.3
        "Status": rules.STATUS_SIA_TO_SF[task["status"]],  # R2.2
        "Priority": rules.PRIORITY_SIA_TO_SF[task["priority"]],  # R2.3
        "ActivityDate": task.get("due_date") or None,  # R2.4
        "Description": task.get("details") or None,  # R2.5
        "OwnerId": owner_id,  # R1.4
        EXTERNAL_ID_FIELD: task["id"],  # R4.6
    }


def sia_import_fields(record: dict[str, Any]) -> dict[str, Any]:
    """A new SIA task for a Salesforce task (R3.1, R4.2, R2.2b, R2.3a, R5.3)."""
    return {
        "name": rules.import_name(record.get("Subject")),  # R5.3
        "status": rules.import_status(record.get("Status"), record.get("IsClosed")),  # R2.2b
        "priority": rules.import_priority(record.get("Priority")),  # R2.3a
        "due_date": record.get("ActivityDate") or None,  # R2.4
        "details": record.get("Description") or None,  # R2.5
    }


def sf_view_of_create(fields: dict[str, Any]) -> dict[str, Any]:
    """The Salesforce values a create wrote, as they will read back (for no-echo, R4.5)."""
    return {f: fields.get(f) for f in ("Subject", "Status", "Priority", "ActivityDate", "Description")}
