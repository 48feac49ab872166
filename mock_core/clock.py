"""The Clock now lives in `tasksync_common.clock` (shared with the engine); this name keeps working."""

from tasksync_common.clock import Clock
from tasksync_common.instants import parse_instant

__all__ = ["Clock", "parse_instant"]
