"""The engine against both mocks in-process (real simple-salesforce, real HTTP, real SQLite), through
the project's own pytest plugin: `harness` (tasksync_pytest) is a sandbox.harness.Harness on the
plugin's frozen clock."""

import pytest

from sandbox.harness import Harness


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


@pytest.fixture
def servers(tmp_path):
    """Both mocks as real servers (Salesforce over TLS); Ann with sync on and one Salesforce task."""
    with Harness("servers") as h:
        h.enable_sync()
        h.salesforce().Task.create({"Subject": "From SF via the CLI"})
        env = {
            "TASKSYNC_SIA_URL": h.sia_url,
            "TASKSYNC_SIA_TOKEN": h.sia.service_token,
            "TASKSYNC_STATE_DB": f"sqlite:///{tmp_path / 'state.db'}",
            "TASKSYNC_SF_URL": h.sf_url,
            "TASKSYNC_SF_CA_BUNDLE": h.ca_path,
        }
        yield h, env
