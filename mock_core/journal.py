"""A bounded journal of the requests a mock served, for asserting call counts."""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class JournalEntry:
    at: datetime
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    principal: str | None = None  # the user/session the request acted as, when known
    counted: bool = True  # whether it counts as an API call (e.g. Salesforce logins do not)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["at"] = self.at.isoformat().replace("+00:00", "Z")
        return out


class Journal:
    """Keeps the last `maxlen` requests (WireMock keeps all; we bound memory) and a running total."""

    def __init__(self, maxlen: int = 20_000) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self.total = 0

    def record(self, entry: JournalEntry) -> None:
        with self._lock:
            self._entries.append(entry)
            self.total += 1

    def entries(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        principal: str | None = None,
        counted_only: bool = False,
        since: datetime | None = None,
    ) -> list[JournalEntry]:
        """Entries matching all the given filters; `path` is a regular expression searched in the path."""
        pattern = re.compile(path) if path else None
        with self._lock:
            items = list(self._entries)
        return [
            e
            for e in items
            if (method is None or e.method == method.upper())
            and (pattern is None or pattern.search(e.path))
            and (principal is None or e.principal == principal)
            and (not counted_only or e.counted)
            and (since is None or e.at >= since)
        ]

    def count(self, **filters: Any) -> int:
        return len(self.entries(**filters))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.total = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
