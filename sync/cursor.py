"""One side's keyset bookmark (`Cursor`) and how a read moves it (`Bookmark`).

The bookmark is the highest (stamp, id) read so far, on that side's clock; `settled` says the last
read did not move it, and `lookback_rows` bounds the rows stamped in [T - L, T] (F11, see the note
at `Engine._sf_read_bounds`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tasksync_common.instants import iso_ms, parse_instant


@dataclass(frozen=True)
class Cursor:
    stamp: datetime | None = None  # aware UTC, on the side's own clock
    last_id: str | None = None
    settled: bool = False
    lookback_rows: int = 0


Key = tuple[datetime, str]


class Bookmark:
    """The keyset bookmark after a read: the largest (stamp, id) among rows read, never moving back.

    It only ever holds a stamp some row actually carried, so it can never pass the moment the read
    started (tap-salesforce's rule). Fed the keys of the rows read, in read order (ascending); rows at
    or behind the old bookmark (the look-back window's re-reads, F11) leave it where it is.
    `lookback_rows` bounds the rows stamped in [T - L, T] for the next read's window: kept while the
    bookmark stays, the old count plus the new rows while the new bookmark is within L of the old
    one, else counted exactly from the rows just read.
    """

    def __init__(self, cursor: Cursor, lookback: timedelta) -> None:
        self.old: tuple[datetime | None, str | None] = (cursor.stamp, cursor.last_id)
        self.old_rows = cursor.lookback_rows
        self.old_key: Key | None = (cursor.stamp, cursor.last_id or "") if cursor.stamp else None
        self.lookback = lookback
        self.best, self.best_key = self.old, self.old_key
        self.new = 0
        # [stamp, rows] of the newest rows, within L of the best; rows of one stamp share an entry, so
        # a read of N rows stamped alike holds one entry, not N (issue 9: memory O(page)).
        self.recent: deque[list[Any]] = deque()

    def feed(self, keys: list[tuple[str, str]]) -> None:
        """`keys`: (stamp as the side sent it, id) of each row read - each stamp parsed once, here."""
        for stamp, row_id in keys:
            key = (parse_instant(stamp), row_id)
            if self.old_key is not None and key <= self.old_key:
                continue  # a re-read behind the old bookmark
            self.new += 1
            if self.best_key is None or key > self.best_key:
                self.best, self.best_key = key, key
            if self.recent and self.recent[-1][0] == key[0]:
                self.recent[-1][1] += 1
            else:
                self.recent.append([key[0], 1])
            best_at = key[0] if self.best_key is None else self.best_key[0]
            while self.recent and self.recent[0][0] < best_at - self.lookback:
                self.recent.popleft()

    def result(self) -> Cursor:
        if self.best == self.old or self.best_key is None:
            return Cursor(*self.old, True, self.old_rows)
        if self.old_key is not None and self.best_key[0] - self.lookback <= self.old_key[0]:
            return Cursor(*self.best, False, self.old_rows + self.new)
        floor = self.best_key[0] - self.lookback
        return Cursor(*self.best, False, sum(n for at, n in self.recent if at >= floor))


def advance(cursor: Cursor, seen: list[tuple[str, str]]) -> Cursor:
    """The bookmark after reading rows with these keys (no look-back window) - see `Bookmark`."""
    bookmark = Bookmark(Cursor(cursor.stamp, cursor.last_id), timedelta(0))
    bookmark.feed(sorted(seen, key=lambda k: (parse_instant(k[0]), k[1])))
    result = bookmark.result()
    return Cursor(result.stamp, result.last_id, result.settled)


# -- the read bounds (F11 late commits, R4.6; F9 idle cost, R4.5) ---------------------------------
#
# The bookmark is the highest (stamp, id) read so far, on that side's clock. Right after a read
# moved it (`settled` False), the next read looks back inclusively - `stamp >= T - L` - so rows
# written at the bookmark's very instant after they were read (a frozen clock) come back once.
# After that (`settled`), a late commit - a row whose stamp lies behind rows already read because
# its transaction committed after them (reference 6.1 F11: up to the look-back L older than the
# bookmark) - is caught by reading, in the same request, the window [T - L, T) behind the bookmark
# T along with the strict keyset beyond it:
#     (stamp > T OR (stamp = T AND id > last_id)) OR (stamp >= T - L AND stamp < T)
# Rows sharing T itself are outside the window, so an idle pass under a frozen clock reads nothing
# even when thousands of rows carry T; rows already seen come back unchanged and are no-ops (R4.5).
# Accepted blind spots (decided, F11/R4.6): a late commit with the very millisecond of the bookmark
# but a smaller id; and a late commit behind a bookmark whose window holds a page or more of rows
# (a bulk burst) - there the reads drop the window (strict keyset only) until the bookmark moves
# past it, so an idle pass stays one read (F9). The window is bookmark-relative, not "since the
# server's clock at the previous read minus L": a late commit may surface after the server's clock
# has passed its stamp + L (F11 tests), and since a bookmark never lies after the server's clock at
# the read that found it, the bookmark-relative window always contains that narrower one.
# SIA's list API can only AND its filters, so its window read is `updated_since=T - L` (rows at T
# come back too - they count towards the page limit) and its keyset-only read `after=T,last_id`.
def _lookback_open(cursor: Cursor, lookback: timedelta, page_size: int) -> bool:
    return bool(lookback) and cursor.lookback_rows < page_size


def sf_read_bounds(
    cursor: Cursor, lookback: timedelta, page_size: int
) -> tuple[str | None, str | None, str | None]:
    """(since, after_id, lookback_from) for the Salesforce read: see the note above."""
    if not cursor.stamp:
        return None, None, None
    at = cursor.stamp
    if not (cursor.last_id and cursor.settled):  # an instant (import floor) or a bookmark just moved
        return iso_ms(at - lookback), None, None
    if not _lookback_open(cursor, lookback, page_size):
        return iso_ms(at), cursor.last_id, None
    return iso_ms(at), cursor.last_id, iso_ms(at - lookback)


def sia_read_bounds(cursor: Cursor, lookback: timedelta, page_size: int) -> tuple[str | None, str | None]:
    """(since, after_id) for SIA's change list: `updated_since=T - L` while the window is open, the
    strict keyset `after=(T, last_id)` once it holds a page or more (see the note above)."""
    if not cursor.stamp:
        return None, None
    if not (cursor.last_id and cursor.settled) or _lookback_open(cursor, lookback, page_size):
        return iso_ms(cursor.stamp - lookback), None
    return iso_ms(cursor.stamp), cursor.last_id  # SIA's own stamp text, as it sent it
