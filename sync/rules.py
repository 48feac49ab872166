"""The documented value rules, table-driven; every entry names its rule id from the spec.

All functions are pure. `None` returned by a Salesforce->SIA value rule means "not synced: leave
the SIA value as it is" (R2.2a, R2.3a).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# R2.2 - status. SIA open = Salesforce Not Started, SIA complete = Salesforce Completed.
STATUS_SIA_TO_SF = {"open": "Not Started", "complete": "Completed"}
STATUS_SF_TO_SIA = {"Not Started": "open", "Completed": "complete"}
# R2.3 - priority. SIA normal/high = Salesforce Normal/High; Low is not synced.
PRIORITY_SIA_TO_SF = {"normal": "Normal", "high": "High"}
PRIORITY_SF_TO_SIA = {"Normal": "normal", "High": "high"}

# R2.5 / R5.1a - text limits of each side.
SF_LIMITS = {"Subject": 255, "Description": 32000}
SIA_LIMITS = {"name": 1000, "details": 32000}

# The four merge-able fields: SIA field -> Salesforce field (R2.2-R2.5). The name is special (R5).
MERGE_FIELDS = {
    "status": "Status",
    "priority": "Priority",
    "due_date": "ActivityDate",
    "details": "Description",
}

NO_SUBJECT_NAME = "(no subject)"
_ACTIVITY_SUBJECT = re.compile(r"\{\{\s*activity_subject\s*\}\}", re.IGNORECASE)


def status_to_sia(sf_status: str | None) -> str | None:
    """R2.2 / R2.2a: a non-synced Salesforce status (In Progress, Deferred, custom...) -> None."""
    return STATUS_SF_TO_SIA.get(sf_status or "")


def priority_to_sia(sf_priority: str | None) -> str | None:
    """R2.3 / R2.3a: Salesforce Low (or any other value) -> None (leave SIA as it is)."""
    return PRIORITY_SF_TO_SIA.get(sf_priority or "")


def import_status(sf_status: str | None, is_closed: bool | None) -> str:
    """R2.2b: on import a non-synced status arrives open, a closed (custom) status complete."""
    mapped = status_to_sia(sf_status)
    if mapped is not None:
        return mapped
    return "complete" if is_closed else "open"


def import_priority(sf_priority: str | None) -> str:
    """R2.3a: a task imported with Low (or anything unmapped) arrives normal."""
    return priority_to_sia(sf_priority) or "normal"


# One table for the SF -> SIA direction of each merge field during continuous sync (R2.2-R2.5).
TO_SIA: dict[str, Callable[[Any], Any]] = {
    "status": status_to_sia,  # R2.2, R2.2a
    "priority": priority_to_sia,  # R2.3, R2.3a
    "due_date": lambda v: v,  # R2.4: the same YYYY-MM-DD string, never parsed
    "details": lambda v: v,  # R2.5: unchanged text
}
TO_SF: dict[str, Callable[[Any], Any]] = {
    "status": lambda v: STATUS_SIA_TO_SF[v],  # R2.2
    "priority": lambda v: PRIORITY_SIA_TO_SF[v],  # R2.3
    "due_date": lambda v: v,  # R2.4
    "details": lambda v: v,  # R2.5
}
# Fields whose Salesforce value may be "not synced" (None from TO_SIA while the raw value is set).
MAY_BE_UNSYNCED = ("status", "priority")


def sf_equivalent(field: str, sf_raw: Any, sia_value: Any) -> bool:
    """Whether a Salesforce value already means the SIA value (no write needed)."""
    return bool(TO_SIA[field](sf_raw) == sia_value)


def template_uses_subject(template: str | None) -> bool:
    """R5.1: SIA name edits reach Salesforce only through `{{activity_subject}}` (no template = it)."""
    return template is None or template.strip() == "" or bool(_ACTIVITY_SUBJECT.search(template))


def import_name(subject: str | None) -> str:
    """R5.3: an imported task takes the Salesforce subject as its SIA name, once.

    decided: an empty subject becomes `(no subject)` (SIA requires a name); longer than SIA's limit
    cannot happen (Subject <= 255).
    """
    text = (subject or "").strip()
    return (subject if subject and text else NO_SUBJECT_NAME)[: SIA_LIMITS["name"]]


def too_long(values: dict[str, Any], limits: dict[str, Any]) -> list[str]:
    """R2.5: fields whose text exceeds the other side's limit (reported, never cut)."""
    return [f for f, limit in limits.items() if isinstance(values.get(f), str) and len(values[f]) > limit]
