"""Fixtures for the SIA mock's tests: a fresh app per test on a frozen clock, and HTTP sessions that
talk to it in-process (the same WSGI app the standalone server runs)."""

from __future__ import annotations

import pytest

from mock_core.clock import Clock
from mock_sia import ADMIN_TOKEN, ANN_TOKEN, SERVICE_TOKEN, create_app, get_sia

from .helpers import START, Client, client_for


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
