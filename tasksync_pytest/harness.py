"""The whole harness as a fixture (registered by `tasksync_pytest.plugin` with `[mocks]` and `[engine]`).

- `harness` — a `sandbox.harness.Harness`: both mocks in-process and the sync engine on
  `tasksync_clock`, SIA user ann@sia.example connected to the org's admin@example.com; closed after the
  test. `harness.enable_sync()`, `harness.run_pass()`, `harness.salesforce()`, `harness.sia_api(...)`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.harness import Harness
from tasksync_common.clock import Clock


@pytest.fixture
def harness(tasksync_clock: Clock) -> Iterator[Harness]:
    """Both mocks and the engine, in-process, on one clock."""
    with Harness(clock=tasksync_clock) as h:
        yield h
