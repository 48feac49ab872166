"""How the features write dates, moments, durations and lists of task names, turned into values.

Relative dates ("today", "tomorrow", "in 3 days") are counted in the acting user's own time zone
on the shared clock, as the user would read them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

NAME = r'"(?P<name>[^"]+)"'
QUOTED = re.compile(r'"([^"]+)"')
_DURATION = re.compile(r"^(?P<n>\d+|an?|one)\s+(?P<unit>second|minute|hour|day|week)s?$")
_IN_DAYS = re.compile(r"^in (?P<n>\d+) days?$")
_DAYS_AGO = re.compile(r"^(?P<n>\d+) days? ago$")


def names(text: str) -> list[str]:
    """'"A", "B" and "C"' -> ["A", "B", "C"]."""
    found = QUOTED.findall(text)
    if not found:
        raise ValueError(f"expected one or more quoted task names in {text!r}")
    return found


def duration(text: str) -> timedelta:
    """'3 hours', '1 day', 'an hour', '20 days' -> timedelta."""
    match = _DURATION.match(text.strip().removesuffix(" ago").strip())
    if not match:
        raise ValueError(f"not a duration: {text!r} (write e.g. '3 hours' or '20 days')")
    n = match["n"]
    count = 1 if n in ("a", "an", "one") else int(n)
    return timedelta(**{match["unit"] + "s": count})


def calendar_date(text: str, today: date) -> date | None:
    """'5 March 2026', 'today', 'tomorrow', 'yesterday', 'in 3 days', '3 days ago', 'none'."""
    value = text.strip()
    lowered = value.lower()
    if lowered in ("none", "no due date", ""):
        return None
    if lowered == "today":
        return today
    if lowered == "tomorrow":
        return today + timedelta(days=1)
    if lowered == "yesterday":
        return today - timedelta(days=1)
    if match := _IN_DAYS.match(lowered):
        return today + timedelta(days=int(match["n"]))
    if match := _DAYS_AGO.match(lowered):
        return today - timedelta(days=int(match["n"]))
    try:
        return datetime.strptime(value, "%d %B %Y").date()
    except ValueError:
        raise ValueError(f"not a date: {text!r} (write e.g. '5 March 2026' or 'tomorrow')") from None


def iso_date(text: str, today: date) -> str | None:
    parsed = calendar_date(text, today)
    return parsed.isoformat() if parsed else None


def moment(text: str) -> datetime:
    """'2 March 2026, 23:30 UTC' -> an aware UTC datetime."""
    value = text.strip()
    if not value.endswith(" UTC"):
        raise ValueError(f"write moments in UTC, e.g. '2 March 2026, 23:30 UTC', not {text!r}")
    return datetime.strptime(value.removesuffix(" UTC"), "%d %B %Y, %H:%M").replace(tzinfo=UTC)


def table_rows(datatable: list[list[str]]) -> list[dict[str, str]]:
    """A Gherkin data table with a header row -> one dict per row (keys lower-case, trimmed)."""
    header = [cell.strip().lower() for cell in datatable[0]]
    return [dict(zip(header, (cell.strip() for cell in row), strict=True)) for row in datatable[1:]]
