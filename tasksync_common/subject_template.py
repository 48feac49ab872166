"""The Activity Detail Customization subject template (R5.1, R5.1a) — a pure module.

SIA's template language, not a mock detail: no Flask, no database. The SIA mock validates and renders
templates with it, and the sync engine (`sync.mapping`) computes Salesforce subjects with it exactly
as SIA does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# R5.1a: the dynamic fields the vendor documents, in its order.
DYNAMIC_FIELDS: tuple[str, ...] = (
    "activity_type",
    "activity_subject",
    "sales_campaign_name",
    "sales_campaign_day",
    "sales_campaign_step",
    "call_outcome",
    "call_reason",
)

# R5.1a decided: with no template set, the subject is the task name.
DEFAULT_TEMPLATE = "{{activity_subject}}"

SUBJECT_MAX_LENGTH = 255  # R5.1a: Salesforce's Subject length
TEMPLATE_MAX_LENGTH = 1000

# R5.1a: `{{activity_type}}` shows the task type as the product writes it.
ACTIVITY_TYPES = {"email": "Email", "call": "Call", "inmail": "InMail", "custom": "Custom"}

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_LINE_BREAKS = re.compile(r"[ \t]*(?:\r\n|[\r\n\v\f\x85\u2028\u2029])+[ \t]*")


class TemplateError(ValueError):
    """An invalid template; `field` is the offending `{{...}}` text (without braces) or None."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _normalise(name: str) -> str:
    # R5.1a decided: names match case-insensitively; whitespace inside the braces is tolerated.
    return name.strip().lower()


def placeholders(template: str) -> list[str]:
    """The `{{...}}` names used in a template, normalised, in order of appearance."""
    return [_normalise(m.group(1)) for m in _PLACEHOLDER.finditer(template)]


def validate_template(template: str) -> None:
    """Raise `TemplateError` for an unknown `{{field}}` (R5.1a decided), or an empty/over-long template."""
    if not isinstance(template, str):
        raise TemplateError("the template must be a string")
    if not template.strip():
        raise TemplateError(
            f"the template must not be empty; send null to use the default {DEFAULT_TEMPLATE}"
        )
    if len(template) > TEMPLATE_MAX_LENGTH:
        raise TemplateError(f"the template is longer than {TEMPLATE_MAX_LENGTH} characters")
    for match in _PLACEHOLDER.finditer(template):
        name = _normalise(match.group(1))
        if name not in DYNAMIC_FIELDS:
            raise TemplateError(
                f"unknown dynamic field {match.group(0)!s}; allowed: "
                + ", ".join("{{" + f + "}}" for f in DYNAMIC_FIELDS),
                field=match.group(1).strip(),
            )


def field_values(task: Mapping[str, Any]) -> dict[str, str]:
    """The text each dynamic field stands for, for one task (a missing value is empty, R5.1a)."""

    def text(key: str) -> str:
        value = task.get(key)
        return "" if value is None else str(value)

    task_type = task.get("type")
    return {
        "activity_type": ACTIVITY_TYPES.get(str(task_type).lower(), "") if task_type else "",
        "activity_subject": text("name"),
        "sales_campaign_name": text("sales_campaign_name"),
        "sales_campaign_day": text("sales_campaign_day"),
        "sales_campaign_step": text("sales_campaign_step"),
        "call_outcome": text("call_outcome"),
        "call_reason": text("call_reason"),
    }


def render_subject(template: str | None, task: Mapping[str, Any]) -> str:
    """The Salesforce subject for `task` under `template` (R5.1, R5.1a).

    Free text stays; `{{field}}` (any case, spaces inside the braces allowed) is replaced by the
    task's value or by nothing; line breaks are removed (a run of them becomes one space, so words
    never run together); outer whitespace is trimmed; the result is cut to 255 characters.
    `None` or an empty template means `{{activity_subject}}`. Never raises for an unknown field
    (it renders empty) — unknown fields are rejected when a template is saved.
    """
    if template is None or not template.strip():
        template = DEFAULT_TEMPLATE
    values = field_values(task)
    rendered = _PLACEHOLDER.sub(lambda m: values.get(_normalise(m.group(1)), ""), template)
    rendered = _LINE_BREAKS.sub(" ", rendered).strip()
    return rendered[:SUBJECT_MAX_LENGTH].rstrip()


def uses_activity_subject(template: str | None) -> bool:
    """R5.1/R5.3: name edits reach the Salesforce subject only when the template uses the name."""
    if template is None or not template.strip():
        return True
    return "activity_subject" in placeholders(template)
