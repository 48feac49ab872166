"""Named faults, WireMock-style: match a request, then misbehave in one chosen way.

Kinds every mock understands:
- ``status``: answer with an HTTP status and the vendor's error body (``error_code``, ``message``);
- ``latency``: wait ``seconds`` (real time) before handling the request;
- ``connection_drop``: drop the connection before the request is handled (nothing happens);
- ``drop_after_commit``: handle the request (its effects are committed) and drop the connection
  instead of answering, so the client cannot know it succeeded.
A mock may add kinds of its own (Salesforce: ``expire_sessions``, ``api_limit``).
"""

from __future__ import annotations

import itertools
import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from mock_core.errors import AdminError

CORE_KINDS = ("status", "latency", "connection_drop", "drop_after_commit")


@dataclass
class Fault:
    id: str
    kind: str
    method: str | None = None
    path: str | None = None  # regular expression searched in the request path
    times: int | None = None  # how many more requests it applies to; None = until removed
    probability: float = 1.0  # chance that a matching request is hit (seeded, reproducible)
    status: int | None = None
    error_code: str | None = None
    message: str | None = None
    seconds: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return not (self.path and not re.search(self.path, path))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "method": self.method,
            "path": self.path,
            "times": self.times,
            "probability": self.probability,
            "status": self.status,
            "error_code": self.error_code,
            "message": self.message,
            "seconds": self.seconds,
            "params": self.params,
            "hits": self.hits,
        }


class FaultPlan:
    """The faults armed on one mock instance."""

    def __init__(self, extra_kinds: tuple[str, ...] = (), seed: int = 0) -> None:
        self.kinds = CORE_KINDS + tuple(extra_kinds)
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def add(
        self,
        kind: str,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = None,
        probability: float = 1.0,
        status: int | None = None,
        error_code: str | None = None,
        message: str | None = None,
        seconds: float = 0.0,
        **params: Any,
    ) -> Fault:
        if kind not in self.kinds:
            raise AdminError(f"unknown fault kind {kind!r}; known: {', '.join(self.kinds)}")
        if kind == "status" and not (status and 400 <= int(status) <= 599):
            raise AdminError("a 'status' fault needs a status between 400 and 599")
        if times is not None and int(times) < 1:
            raise AdminError("'times' must be at least 1 (omit it for a fault that stays armed)")
        if not 0.0 < float(probability) <= 1.0:
            raise AdminError("'probability' must be in (0, 1]")
        if float(seconds) < 0:
            raise AdminError("'seconds' must not be negative")
        if path:
            try:
                re.compile(path)
            except re.error as exc:
                raise AdminError(f"'path' is not a valid regular expression: {exc}") from exc
        fault = Fault(
            id=f"f{next(self._ids)}",
            kind=kind,
            method=method,
            path=path,
            times=None if times is None else int(times),
            probability=float(probability),
            status=None if status is None else int(status),
            error_code=error_code,
            message=message,
            seconds=float(seconds),
            params=params,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str, kinds: tuple[str, ...] | None = None) -> list[Fault]:
        """The armed faults that hit this request (consuming one use of each)."""
        hit: list[Fault] = []
        if not self._faults:
            return hit  # none armed: no lock, no scan (every request asks - issue 9)
        with self._lock:
            for fault in list(self._faults):
                if kinds is not None and fault.kind not in kinds:
                    continue
                if not fault.matches(method, path):
                    continue
                if fault.probability < 1.0 and self._random.random() >= fault.probability:
                    continue
                fault.hits += 1
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                hit.append(fault)
        return hit

    def remove(self, fault_id: str) -> None:
        with self._lock:
            for fault in self._faults:
                if fault.id == fault_id:
                    self._faults.remove(fault)
                    return
        raise AdminError(f"no fault with id {fault_id!r}", code="not_found", status=404)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)
