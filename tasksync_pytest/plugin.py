"""The `pytest11` entry point: registers the fixtures whose dependencies are installed.

pytest loads every installed entry-point plugin, including in an environment that has only
`tasksync-harness[engine]`. So this module imports nothing but pytest and the standard library, and
registers the fixture modules only when their extra is present:

- `tasksync_clock` — always (one frozen Clock every other fixture shares);
- `tasksync_pytest.mocks` — with `tasksync-harness[mocks]`: `sf_org`, `sf_client`, `sf_https_server`,
  `sf_https`, `sf_https_client`, `sia_app`, `sia_instance`, `sia_client`;
- `tasksync_pytest.harness` — with `[mocks]` and `[engine]` both: `harness`.

The header of a pytest run says which parts are on, and what to install for the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.util import find_spec

import pytest

from tasksync_common.clock import Clock

# Where `tasksync_clock` starts (a Saturday noon, UTC): the same instant as sandbox.harness.START.
START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Part:
    module: str
    extra: str
    needs: tuple[str, ...]

    def missing(self) -> list[str]:
        """The modules this part needs that are not installed."""
        return [name for name in self.needs if find_spec(name) is None]


MOCK_NEEDS = ("flask", "faker", "lark", "trustme", "yaml", "simple_salesforce")
PARTS = (
    Part("tasksync_pytest.mocks", "mocks", MOCK_NEEDS),
    Part("tasksync_pytest.harness", "mocks,engine", (*MOCK_NEEDS, "tenacity")),
)


def pytest_configure(config: pytest.Config) -> None:
    for part in PARTS:
        if not part.missing():
            config.pluginmanager.import_plugin(part.module)


def pytest_report_header(config: pytest.Config) -> str:
    parts = []
    for part in PARTS:
        missing = part.missing()
        name = part.module.rsplit(".", 1)[1]
        if missing:
            install = f"pip install 'tasksync-harness[{part.extra}]'"
            parts.append(f"{name} off ({install}; missing {', '.join(missing)})")
        else:
            parts.append(f"{name} on")
    return "tasksync-harness fixtures: " + "; ".join(parts)


@pytest.fixture
def tasksync_clock() -> Clock:
    """The one clock of this test's mocks (and engine): frozen at 2026-11-28 12:00 UTC.

    `tasksync_clock.advance(hours=25)` moves every in-process mock at once. Override the fixture in
    your conftest to start elsewhere (`return Clock(frozen_at=...)`) or to follow real time (`Clock()`).
    """
    return Clock(frozen_at=START)
