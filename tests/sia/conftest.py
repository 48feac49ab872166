"""Fixtures for the SIA mock's tests, from the project's own pytest plugin (tasksync_pytest): a fresh
app per test on a frozen clock, and clients that talk to it in-process (the same WSGI app the
standalone server runs). These tests start at 17:00 UTC (18:00 in Berlin, 12:00 in New York)."""

from __future__ import annotations

import pytest

from mock_core.clock import Clock
from mock_sia import SERVICE_TOKEN

from .helpers import START, Client


@pytest.fixture
def tasksync_clock() -> Clock:
    return Clock(frozen_at=START)


@pytest.fixture
def clock(tasksync_clock) -> Clock:
    return tasksync_clock


@pytest.fixture
def app(sia_app):
    return sia_app


@pytest.fixture
def sia(sia_instance):
    return sia_instance


@pytest.fixture
def ann(sia_client) -> Client:
    """The default user (America/New_York)."""
    return sia_client("ann@sia.example")


@pytest.fixture
def admin(sia_client) -> Client:
    """The default admin (Europe/Berlin)."""
    return sia_client("admin@sia.example")


@pytest.fixture
def service(sia_client) -> Client:
    return sia_client(token=SERVICE_TOKEN)


@pytest.fixture
def ann_id(sia) -> str:
    return sia.user_by_email("ann@sia.example").id


@pytest.fixture
def admin_id(sia) -> str:
    return sia.user_by_email("admin@sia.example").id


@pytest.fixture
def make_client(sia_client):
    return lambda token=None, acting_for=None: sia_client(token=token, acting_for=acting_for)
