"""Helpers shared by the SIA mock's tests (imported as `from .helpers import ...`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import requests

from mock_sia import SiaClient as Client

BASE = "https://sia.mock"
# Saturday 28 Nov 2026, 17:00 UTC: 18:00 in Berlin, 12:00 in New York.
START = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)


def client_for(app, token: str | None = None, acting_for: str | None = None) -> Client:
    """A session on `app` in-process that takes paths (`/api/v1/tasks`) relative to the mock's base URL."""
    return Client(BASE, token, acting_for, app=app)


def assert_error(response: requests.Response, status: int, code: str, field: str | None = "any") -> dict:
    """The response is the API's one error shape with this status and code (and field, if given)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "field"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    if field != "any":
        assert body["error"]["field"] == field
    return body["error"]


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)
