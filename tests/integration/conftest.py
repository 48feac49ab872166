"""The engine against both mocks in-process (real simple-salesforce, real HTTP, real SQLite)."""

import pytest

from sandbox.harness import Harness


@pytest.fixture
def h():
    with Harness() as harness:
        yield harness


@pytest.fixture
def synced(h):
    """Ann with sync on and a first pass done."""
    h.enable_sync()
    h.clock.advance(seconds=30)
    h.run_pass()
    return h
