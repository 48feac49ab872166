"""Retrying transient failures: capped exponential backoff with full jitter, bounded attempts (tenacity)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_random_exponential

from sync.errors import TransientError

T = TypeVar("T")


@dataclass
class RetryPolicy:
    attempts: int = 4
    base: float = 0.1  # seconds; the k-th wait is uniform in [0, min(cap, base * 2**k)] (full jitter)
    cap: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:  # 429 Retry-After is honoured (capped)
            return min(float(retry_after), self.cap)
        return wait_random_exponential(multiplier=self.base, max=self.cap)(state)

    def call(self, fn: Callable[[], T]) -> T:
        retrying = Retrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            sleep=self.sleep,
            reraise=True,
        )
        return retrying(fn)
