"""The shared kernel of both mock services: clock, journal, faults, control plane, transport, server."""

from mock_core.clock import Clock
from mock_core.errors import AdminError, MockCoreError
from mock_core.faults import Fault, FaultPlan
from mock_core.journal import Journal, JournalEntry

__all__ = ["AdminError", "Clock", "Fault", "FaultPlan", "Journal", "JournalEntry", "MockCoreError"]
