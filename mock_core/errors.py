"""Errors of the shared kernel. Rendered by the control plane as `{"error": {"code", "message"}}`."""

from __future__ import annotations

from typing import Any


class MockCoreError(Exception):
    """Base of every mock_core error."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


class AdminError(MockCoreError):
    """A bad call to a `/__admin` endpoint (the caller's mistake, never a 500)."""


class DroppedConnection(ConnectionResetError):
    """Raised by the WSGI app when a fault asks for the connection to be dropped.

    The threaded server closes the socket; the in-process transport turns it into
    `requests.exceptions.ConnectionError`, which is what a client sees from a real reset.
    """
