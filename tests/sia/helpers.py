"""Helpers shared by the SIA mock's tests (imported as `from .helpers import ...`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import requests

from mock_core.transport import make_session

BASE = "https://sia.mock"
# Saturday 28 Nov 2026, 17:00 UTC: 18:00 in Berlin, 12:00 in New York.
START = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)


class Client(requests.Session):
    """A session that takes paths (`/api/v1/tasks`) relative to the mock's base URL."""

    def request(self, method, url, *args, **kwargs):
        if url.startswith("/"):
            url = BASE + url
        return super().request(method, url, *args, **kwargs)


def client_for(app, token: str | None = None, acting_for: str | None = None) -> Client:
    session = make_session({BASE: app}, base=Client())
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    if acting_for:
        session.headers["X-SIA-User"] = acting_for
    return session


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
