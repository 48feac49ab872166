"""One exception hierarchy for the engine and ONE table mapping errors to what the engine does.

Outcomes:
- RETRY: transient (connection reset/timeout, 5xx, 429) - retried with capped exponential backoff
  and full jitter, a bounded number of times (tenacity), honouring `Retry-After`;
- SKIP_TASK: this task only - recorded in the per-task errors, retried next pass, never blocking
  the rest (STRING_TOO_LONG, validation, per-record collection failures);
- STOP_USER: stop this user's pass at once (auth failure, REQUEST_LIMIT_EXCEEDED) - no further call;
- DONE: the wanted end state already holds (deleting what is already deleted).
"""

from __future__ import annotations

RETRY, SKIP_TASK, STOP_USER, DONE = "retry", "skip_task", "stop_user", "done"


class SyncError(Exception):
    """Base of every engine error."""

    outcome = STOP_USER

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        side: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.retry_after = retry_after
        self.side = side


class TransientError(SyncError):
    outcome = RETRY


class TaskError(SyncError):
    outcome = SKIP_TASK


class StopUser(SyncError):
    outcome = STOP_USER


class AuthError(StopUser):
    pass


class LimitExceeded(StopUser):
    pass


class ConfigError(StopUser):
    """The user's connection is unusable (no Salesforce user id, ...)."""


# error code (either vendor) -> outcome. Codes not listed fall back to the HTTP status table.
CODE_TABLE: dict[str, str] = {
    # Salesforce
    "INVALID_SESSION_ID": STOP_USER,  # only after simple-salesforce's own re-login failed
    "INVALID_LOGIN": STOP_USER,
    "INVALID_AUTH_HEADER": STOP_USER,
    "REQUEST_LIMIT_EXCEEDED": STOP_USER,  # F3: stop calling, resume next pass
    "API_DISABLED_FOR_ORG": STOP_USER,
    "SERVER_UNAVAILABLE": RETRY,
    "UNABLE_TO_LOCK_ROW": RETRY,
    "STRING_TOO_LONG": SKIP_TASK,  # R2.5
    "REQUIRED_FIELD_MISSING": SKIP_TASK,
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": SKIP_TASK,
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": SKIP_TASK,
    "INVALID_FIELD_FOR_INSERT_UPDATE": SKIP_TASK,
    "INVALID_CROSS_REFERENCE_KEY": SKIP_TASK,
    "DUPLICATE_VALUE": SKIP_TASK,
    "MALFORMED_ID": SKIP_TASK,
    "ALL_OR_NONE_OPERATION_ROLLED_BACK": SKIP_TASK,
    "ENTITY_IS_DELETED": SKIP_TASK,  # update of a deleted row: the deletion arrives next read
    # SIA
    "unauthorized": STOP_USER,
    "forbidden": STOP_USER,
    "rate_limited": RETRY,
    "validation_failed": SKIP_TASK,  # R2.5 over-long text and other per-task rejections
    "conflict": SKIP_TASK,
    "not_found": SKIP_TASK,
}
# For a delete, "already gone" is success.
DELETE_DONE_CODES = {"ENTITY_IS_DELETED", "NOT_FOUND", "INVALID_CROSS_REFERENCE_KEY", "not_found"}

STATUS_TABLE: dict[int, str] = {401: STOP_USER, 403: STOP_USER, 408: RETRY, 429: RETRY}


def outcome_for(code: str | None, status: int | None, *, deleting: bool = False) -> str:
    """The engine's reaction to one error (the one table)."""
    if deleting and code in DELETE_DONE_CODES:
        return DONE
    if code and code in CODE_TABLE:
        return CODE_TABLE[code]
    if status is not None:
        if status in STATUS_TABLE:
            return STATUS_TABLE[status]
        if status >= 500:
            return RETRY
        if status == 404 and deleting:
            return DONE
        if 400 <= status < 500:
            return SKIP_TASK if status in (404, 409, 422) else STOP_USER
    return STOP_USER


def error_for(
    code: str | None, status: int | None, message: str, *, side: str, retry_after: float | None = None
) -> SyncError:
    """Build the exception of the right class for a whole-request failure."""
    outcome = outcome_for(code, status)
    cls: type[SyncError]
    if outcome == RETRY:
        cls = TransientError
    elif outcome == SKIP_TASK:
        cls = TaskError
    elif code == "REQUEST_LIMIT_EXCEEDED":
        cls = LimitExceeded
    elif status == 401 or code in ("INVALID_SESSION_ID", "INVALID_LOGIN", "unauthorized"):
        cls = AuthError
    else:
        cls = StopUser
    return cls(message, code=code, status=status, retry_after=retry_after, side=side)


def pass_error(exc: SyncError, sia_url: str | None = None) -> str:
    """One clear line for a pass that failed before any user was synced (SIA unreachable, token refused)."""
    where = f" at {sia_url}" if sia_url else ""
    if exc.status == 401 or exc.code == "unauthorized":
        return (
            f"SIA_UNAUTHORIZED: SIA{where} refused the service token (401); "
            "check --service-token / TASKSYNC_SIA_TOKEN"
        )
    if isinstance(exc, TransientError) and exc.status is None:
        text = exc.message
        for known in ("Connection refused", "Read timed out", "Name or service not known", "timed out"):
            if known in text:
                text = known.lower()
                break
        return f"SIA_UNREACHABLE: cannot reach SIA{where}: {text[:200]}"
    return f"{exc.code or type(exc).__name__}: {exc.message}"[:300]
