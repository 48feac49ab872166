"""One injectable clock for mocks and engine: real, frozen, or offset ("time travel")."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def _system_now() -> datetime:
    # The only place the project reads the wall clock; everything else asks a Clock.
    return datetime.now(UTC)


class Clock:
    """A clock that tests can freeze, set and advance.

    `Clock()` follows real time; `Clock(frozen_at=...)` stands still until advanced. `advance()` on a
    running clock shifts it (time travel) and it keeps running from there. Thread-safe.
    """

    def __init__(
        self, frozen_at: datetime | None = None, *, source: Callable[[], datetime] = _system_now
    ) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen: datetime | None = None
        if frozen_at is not None:
            self.freeze(frozen_at)

    # -- reading ---------------------------------------------------------------------------
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return self._source() + self._offset

    def today(self, tz: str | ZoneInfo = "UTC") -> date:
        zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        return self.now().astimezone(zone).date()

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    # -- travelling --------------------------------------------------------------------------
    def freeze(self, at: datetime | None = None) -> datetime:
        """Stop the clock at `at` (default: now)."""
        at = self._aware(at) if at is not None else self.now()
        with self._lock:
            self._frozen = at
        return at

    def unfreeze(self) -> datetime:
        """Let the clock run again from where it stands."""
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - self._source()
                self._frozen = None
        return self.now()

    def set(self, at: datetime) -> datetime:
        """Jump to `at`, keeping the frozen/running mode."""
        at = self._aware(at)
        with self._lock:
            if self._frozen is not None:
                self._frozen = at
            else:
                self._offset = at - self._source()
        return at

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by `delta` or by `timedelta(**kwargs)` (e.g. `advance(hours=25)`)."""
        step = delta if delta is not None else timedelta(**kwargs)
        if step < timedelta(0):
            raise ValueError("a clock only advances; use set() to go back")
        with self._lock:
            if self._frozen is not None:
                self._frozen = self._frozen + step
            else:
                self._offset += step
        return self.now()

    def reset(self) -> None:
        """Back to real time."""
        with self._lock:
            self._frozen = None
            self._offset = timedelta(0)

    def describe(self) -> dict[str, str | bool]:
        return {"now": self.now().isoformat().replace("+00:00", "Z"), "frozen": self.frozen}

    @staticmethod
    def _aware(at: datetime) -> datetime:
        if at.tzinfo is None:
            return at.replace(tzinfo=UTC)
        return at.astimezone(UTC)
