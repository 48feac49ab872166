"""The project's one time format: ISO-8601 instants in, aware UTC datetimes inside, vendor text out.

Both mocks and the engine parse and print instants here:

- `parse_instant` reads every form the project accepts - `Z`, `+hh:mm`, `+hhmm` (as Salesforce sends
  it), with or without fractions; a value without an offset is UTC - into an aware UTC datetime;
- `iso_ms` prints SIA's and the engine's form, `2026-11-28T17:01:54.007Z`;
- `salesforce_ms` prints Salesforce's, `2026-11-28T17:01:54.007+0000`;
- `iso_seconds` prints a whole-second SOQL literal, `2026-11-28T17:01:54Z`.

The formatters take aware datetimes (any zone) or naive ones meaning UTC; milliseconds are truncated.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["UTC", "iso_ms", "iso_seconds", "parse_instant", "salesforce_ms"]


def parse_instant(value: str) -> datetime:
    """An ISO-8601 instant as an aware UTC datetime; a value without an offset is UTC. Raises ValueError."""
    try:
        parsed = datetime.fromisoformat(value)  # the hot path: Python 3.11 reads Z, +hh:mm and +hhmm
    except ValueError:
        text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        if len(text) >= 5 and text[-5] in "+-" and text[-4:].isdigit() and ":" not in text[-5:]:
            text = text[:-2] + ":" + text[-2:]
        parsed = datetime.fromisoformat(text)
    tz = parsed.tzinfo
    if tz is None:
        return parsed.replace(tzinfo=UTC)
    if tz is UTC:
        return parsed
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00:00+14:00, 9999-12-31T23:59:59-14:00
        raise ValueError(f"instant out of range: {value}") from exc


def _naive_utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        return at
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    return at.replace(tzinfo=None)


def iso_ms(at: datetime) -> str:
    """`2026-11-28T17:01:54.007Z`: UTC with milliseconds and `Z` (SIA's stamps, the engine's state text)."""
    return _naive_utc(at).isoformat(timespec="milliseconds") + "Z"


def salesforce_ms(at: datetime) -> str:
    """`2026-11-28T17:01:54.007+0000`: Salesforce's datetime - milliseconds, `+0000` without a colon."""
    return _naive_utc(at).isoformat(timespec="milliseconds") + "+0000"


def iso_seconds(at: datetime) -> str:
    """`2026-11-28T17:01:54Z`: a SOQL datetime literal to the whole second, UTC."""
    return _naive_utc(at).isoformat(timespec="seconds") + "Z"
