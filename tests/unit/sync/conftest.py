"""Fixtures for the engine's unit tests: one frozen clock, in-memory sides, an in-memory state DB."""

from datetime import UTC, datetime

import pytest

from mock_core import Clock
from sync.adapters.memory import MemorySalesforce, MemorySia
from sync.engine import Engine
from sync.retry import RetryPolicy
from sync.state import StateStore

OWNER = "005000000000001AAA"


class World:
    def __init__(self):
        self.clock = Clock(frozen_at=datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
        self.sf = MemorySalesforce(self.clock)
        self.sia = MemorySia(self.clock)
        self.state = StateStore()
        self.engine = Engine(
            sia=self.sia, salesforce_factory=lambda conn: self.sf, state=self.state, clock=self.clock
        )
        self.user = self.sia.create_user("ann@example.com", salesforce_user_id=OWNER)

    def enable(self):
        self.sia.set_sync(self.user, True)

    def run(self, minutes=1):
        self.clock.advance(minutes=minutes)
        return self.engine.run_pass()

    def sia_tasks(self):
        return self.sia.live(self.user)

    def sf_tasks(self):
        return self.sf.live(OWNER)


@pytest.fixture
def world():
    return World()


@pytest.fixture
def no_sleep():
    return RetryPolicy(sleep=lambda s: None)
