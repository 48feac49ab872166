"""Fixtures for the SIA mock's tests: a fresh app per test on a frozen clock, and HTTP sessions that
talk to it in-process (the same WSGI app the standalone server runs)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import requests

from mock_core.clock import Clock
from mock_core.transport import make_session
from mock_sia import ADMIN_TOKEN, ANN_TOKEN, SERVICE_TOKEN, create_app, get_sia

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


@pytest.fixture
def clock() -> Clock:
    return Clock(frozen_at=START)


@pytest.fixture
def app(clock):
    return create_app({"CLOCK": clock, "SECRET_KEY": "test-secret"})


@pytest.fixture
def sia(app):
    return get_sia(app)


@pytest.fixture
def ann(app) -> Client:
    """The default user (America/New_York)."""
    return client_for(app, ANN_TOKEN)


@pytest.fixture
def admin(app) -> Client:
    """The default admin (Europe/Berlin)."""
    return client_for(app, ADMIN_TOKEN)


@pytest.fixture
def service(app) -> Client:
    return client_for(app, SERVICE_TOKEN)


@pytest.fixture
def ann_id(sia) -> str:
    return sia.user_by_email("ann@sia.example").id


@pytest.fixture
def admin_id(sia) -> str:
    return sia.user_by_email("admin@sia.example").id


@pytest.fixture
def make_client(app):
    return lambda token=None, acting_for=None: client_for(app, token, acting_for)


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
