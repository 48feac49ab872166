"""The subject template now lives in `tasksync_common.subject_template` (the engine renders it too);
this name keeps working for the mock and its tests."""

from tasksync_common.subject_template import (
    ACTIVITY_TYPES,
    DEFAULT_TEMPLATE,
    DYNAMIC_FIELDS,
    SUBJECT_MAX_LENGTH,
    TEMPLATE_MAX_LENGTH,
    TemplateError,
    field_values,
    placeholders,
    render_subject,
    uses_activity_subject,
    validate_template,
)

__all__ = [
    "ACTIVITY_TYPES",
    "DEFAULT_TEMPLATE",
    "DYNAMIC_FIELDS",
    "SUBJECT_MAX_LENGTH",
    "TEMPLATE_MAX_LENGTH",
    "TemplateError",
    "field_values",
    "placeholders",
    "render_subject",
    "uses_activity_subject",
    "validate_template",
]
