"""Top-level test configuration: the feature-suite options, step modules and shared fixtures.

Options:
- `--mode=inprocess|servers` runs the features in one mode only; without it every scenario runs in
  both (in-process mocks, and standalone HTTPS servers started once for the session).
- `--acceptance-html=PATH` writes the living-documentation page (see tests/reporting.py).

Every rule-id tag in features/*.feature (`@R2.2a`) is registered as a marker at start-up, so
`--strict-markers` keeps catching typos in other markers while new rule tags just work.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

FEATURES = Path(__file__).resolve().parent.parent / "features"
MODES = ("inprocess", "servers")
TAG = re.compile(r"(?<![\w@])@([^\s@#]+)")

pytest_plugins = [
    "pytester",
    "reporting",
    "steps.clock",
    "steps.command_center",
    "steps.enabling",
    "steps.ownership",
    "steps.subject",
    "steps.sync_runs",
    "steps.tasks_salesforce",
    "steps.tasks_sia",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--mode",
        action="store",
        choices=MODES,
        default=None,
        help="run the features against in-process mocks or standalone servers (default: both)",
    )


def feature_tags(directory: Path = FEATURES) -> set[str]:
    """Every tag written in the feature files (without the @)."""
    tags: set[str] = set()
    for path in directory.glob("**/*.feature"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("@"):
                tags.update(TAG.findall(line))
    return tags


def pytest_configure(config: pytest.Config) -> None:
    for tag in sorted(feature_tags()):
        config.addinivalue_line("markers", f"{tag}: scenarios tagged @{tag} in features/")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "acceptance_mode" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("mode")
        modes = [chosen] if chosen else list(MODES)
        metafunc.parametrize("acceptance_mode", modes, scope="session")


@pytest.fixture(scope="session")
def servers_systems(request: pytest.FixtureRequest):
    """One set of standalone servers for the whole session (servers mode), reset per scenario."""
    from steps.systems import Systems

    systems = Systems(mode="servers")
    request.addfinalizer(systems.close)
    return systems


@pytest.fixture
def world(acceptance_mode: str, request: pytest.FixtureRequest):
    """The systems a scenario acts on, fresh for every scenario."""
    from steps.systems import Systems
    from steps.world import World

    if acceptance_mode == "servers":
        systems = request.getfixturevalue("servers_systems")
        systems.reset()
        yield World(systems)
        return
    systems = Systems(mode="inprocess")
    try:
        yield World(systems)
    finally:
        systems.close()


@pytest.fixture
def sync_report():
    """The report of the latest sync pass; steps that run the sync replace it (target_fixture)."""
    return None


@pytest.fixture
def written_text():
    return None
