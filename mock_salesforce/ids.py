"""Salesforce record ids: 15-character case-sensitive and 18-character case-safe forms.

The 18-character form adds a 3-character checksum that encodes which of the first 15
characters are upper case, so ids stay unique when compared case-insensitively.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_RE = re.compile(r"^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$")

KEY_PREFIXES = {"Task": "00T", "User": "005", "Organization": "00D", "QueryLocator": "01g"}


def checksum(id15: str) -> str:
    """The three checksum characters for a 15-character id."""
    return _chunk_sum(id15[0:5]) + _chunk_sum(id15[5:10]) + _chunk_sum(id15[10:15])


@functools.lru_cache(maxsize=4096)
def _chunk_sum(chunk: str) -> str:
    """The checksum character of five id characters (remembered: ids share their chunks - issue 9;
    a small bound, so the memo of a large org stays a few hundred KiB, not tens of MiB)."""
    return _CHECKSUM[sum(1 << j for j, c in enumerate(chunk) if "A" <= c <= "Z")]


def to18(value: str) -> str:
    """Normalise a 15- or 18-character id to the canonical 18-character form.

    Raises ValueError when the value is not an id or its checksum does not match.
    """
    if not isinstance(value, str):
        raise ValueError(f"malformed id {value}")
    return _to18(value)


@functools.lru_cache(maxsize=4096)
def _to18(value: str) -> str:
    """`to18` of a string, remembered: the same ids come back on every call (issue 9); errors are not."""
    if not _ID_RE.match(value):
        raise ValueError(f"malformed id {value}")
    if len(value) == 15:
        return value + checksum(value)
    head, tail = value[:15], value[15:]
    # An 18-character id may arrive in any letter case; the checksum restores the case of the head.
    expected = checksum(head)
    if tail.upper() != expected.upper():
        # Recover the case-sensitive head from the checksum, as Salesforce does for lower-cased ids.
        restored = _restore_case(head, tail.upper())
        if restored is None:
            raise ValueError(f"malformed id {value}")
        return restored + tail.upper()
    return head + expected


def _restore_case(head: str, tail: str) -> str | None:
    chars = list(head)
    for chunk, c in enumerate(tail):
        if c not in _CHECKSUM:
            return None
        bits = _CHECKSUM.index(c)
        for j in range(5):
            i = chunk * 5 + j
            upper = bool(bits & (1 << j))
            if chars[i].isalpha():
                chars[i] = chars[i].upper() if upper else chars[i].lower()
            elif upper:
                return None
    return "".join(chars)


def is_valid(value: str) -> bool:
    try:
        to18(value)
    except ValueError:
        return False
    return True


def _base62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 62)
        out.append(_BASE62[r])
    return "".join(reversed(out))


class IdFactory:
    """Mints ids for one org: key prefix + pod '5e' + a per-object counter, plus the checksum.

    State lives on the instance (one per org), so two orgs never share a sequence.
    """

    def __init__(self, pod: str = "5e") -> None:
        self._pod = pod
        self._counters: dict[str, itertools.count[int]] = {}
        self._lock = threading.Lock()

    def new(self, prefix: str) -> str:
        with self._lock:
            counter = self._counters.setdefault(prefix, itertools.count(1))
            n = next(counter)
        id15 = prefix + self._pod + _base62(n, 10)
        return id15 + checksum(id15)

    def skip_to(self, prefix: str, n: int) -> None:
        """Continue numbering after n (used when an org is reopened from a persisted database)."""
        with self._lock:
            self._counters[prefix] = itertools.count(n + 1)


def decode62(text: str) -> int:
    """The number a base-62 run of an id encodes (the inverse of `_base62`)."""
    n = 0
    for ch in text:
        n = n * 62 + _BASE62.index(ch)
    return n
