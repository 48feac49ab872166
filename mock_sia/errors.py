"""The one exception hierarchy of the SIA mock, rendered as `{"error": {"code", "message", "field"}}`.

It extends the kernel's `MockCoreError`, so the `/__admin` control plane renders it in the same shape.
"""

from __future__ import annotations

from typing import Any

from mock_core.errors import MockCoreError


class SiaError(MockCoreError):
    """Base of every error the SIA mock answers with (never a stack trace, never a 500)."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, field: str | None = None, code: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message, code=code, status=status)
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}

    def headers(self) -> dict[str, str]:
        return {}


class BadRequest(SiaError):
    """Malformed JSON, or a malformed query parameter."""

    status = 400
    code = "bad_request"


class Unauthorized(SiaError):
    status = 401
    code = "unauthorized"


class Forbidden(SiaError):
    status = 403
    code = "forbidden"


class NotFound(SiaError):
    """Also the answer for another user's task id: a user never learns that it exists."""

    status = 404
    code = "not_found"


class Conflict(SiaError):
    status = 409
    code = "conflict"


class ValidationFailed(SiaError):
    """A well-formed request whose content breaks a rule; `field` names the culprit."""

    status = 422
    code = "validation_failed"


class RateLimited(SiaError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str = "too many requests; retry later", *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = max(0, int(retry_after))

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "validation_failed",
    429: "rate_limited",
}


def default_code(status: int) -> str:
    """The error code an injected status fault uses when none is given."""
    if status in STATUS_CODES:
        return STATUS_CODES[status]
    return "service_unavailable" if status == 503 else "internal_error" if status >= 500 else "error"
