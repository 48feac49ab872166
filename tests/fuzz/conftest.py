"""Shared by the fuzz suites: how long they run, and where their figures go.

`make test` runs them bounded and derandomized (the same requests every run); `make fuzz` sets
FUZZ_EXAMPLES higher and FUZZ_RANDOM=1 for a longer, fresh campaign.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0") or 0)
FUZZ_RANDOM = os.environ.get("FUZZ_RANDOM", "") not in ("", "0")


def examples(default: int) -> int:
    return FUZZ_EXAMPLES or default


class Figures(Counter):
    """Requests tried, 5xx answers and conformance failures of one suite."""

    def line(self, suite: str) -> str:
        return (
            f"fuzz {suite}: {self['requests']} requests, {self['5xx']} answered 5xx, "
            f"{self['conformance']} conformance failures"
        )


_LINES = pytest.StashKey[list]()


@pytest.fixture(scope="module")
def figures(request) -> Figures:
    """The suite's counts; printed in the terminal summary (`fuzz <suite>: N requests, ...`)."""
    counts = Figures()
    yield counts
    request.config.stash.setdefault(_LINES, []).append(counts.line(request.module.SUITE))


def pytest_terminal_summary(terminalreporter, config) -> None:
    for line in config.stash.get(_LINES, []):
        terminalreporter.write_line(line)
