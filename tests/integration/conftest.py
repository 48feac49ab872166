"""The engine against both mocks in-process (real simple-salesforce, real HTTP, real SQLite), through
the project's own pytest plugin: `harness` (tasksync_pytest) is a sandbox.harness.Harness on the
plugin's frozen clock."""

import pytest


@pytest.fixture
def h(harness):
    return harness


@pytest.fixture
def synced(h):
    """Ann with sync on and a first pass done."""
    h.enable_sync()
    h.clock.advance(seconds=30)
    h.run_pass()
    return h
