"""The canonical view of a reminder task on each side, plus content hashes and stamp arithmetic.

Each side is observed in its own terms: an SIA task by its five synced fields (`SIA_FIELDS`), a
Salesforce Task by the five raw fields it maps to (`SF_FIELDS`). The due date is a plain ISO
`YYYY-MM-DD` string end to end and is never parsed into a datetime (R2.4).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from tasksync_common.instants import parse_instant

if TYPE_CHECKING:
    from requests import Response

Row = dict[str, Any]  # one task or record as a side's API answers it

SIA_FIELDS = ("name", "status", "priority", "due_date", "details")
SF_FIELDS = ("Subject", "Status", "Priority", "ActivityDate", "Description")
SF_READ_FIELDS = SF_FIELDS + (
    "Id",
    "IsClosed",
    "IsDeleted",
    "OwnerId",
    "SIA_Task_Id__c",
    "CreatedDate",
    "SystemModstamp",
)
EXTERNAL_ID_FIELD = "SIA_Task_Id__c"


@dataclass
class LinkObs:
    """What both sides of one link looked like when last synced; the stamps are each side's clock at
    that sync (R4.3 baselines)."""

    sia_id: str
    sf_id: str
    live: bool = True
    sia_values: Row = field(default_factory=dict)
    sf_values: Row = field(default_factory=dict)
    sia_hash: str = ""
    sf_hash: str = ""
    sia_stamp: datetime | None = None
    sf_stamp: datetime | None = None
    generation: int = 0
    row_id: int | None = None


@dataclass
class Conflict:
    field: str
    sia_value: object
    sf_value: object
    winner: str  # "sia" | "salesforce"


def _blank_to_none(value: Any) -> Any:
    # An empty text and a null mean the same on both sides (no details, no due date).
    return None if value == "" else value


def sia_view(task: Row) -> Row:
    """The synced fields of an SIA task (R2.1-R2.5)."""
    return {f: _blank_to_none(task.get(f)) for f in SIA_FIELDS}


def sf_view(record: Row) -> Row:
    """The synced raw fields of a Salesforce Task, values untouched (R2.4: ActivityDate stays a string)."""
    return {f: _blank_to_none(record.get(f)) for f in SF_FIELDS}


def content_hash(view: Row) -> str:
    """A stable hash of one side's synced fields; equal hashes mean nothing to do (R4.5)."""
    text = json.dumps(view, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def instant(value: str | None) -> datetime | None:
    """A stamp from one system's wire text (`...Z` from SIA, `...+0000` from Salesforce), or None."""
    return parse_instant(value) if value else None


def answer_time(response: Response) -> datetime | None:
    """The answering system's clock (its HTTP `Date` header, whole seconds, UTC), or None.

    R4.3: each side's "time since the last sync" is measured on that side's own clock."""
    date = response.headers.get("Date")
    if not date:
        return None
    try:
        return parsedate_to_datetime(date).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def stamp_delta(later: str | None, earlier: datetime | None) -> timedelta:
    """How long after the baseline `earlier` the wire stamp `later` lies (both of the SAME system's clock)."""
    if not later or not earlier:
        return timedelta(0)
    return parse_instant(later) - earlier


def later_stamp(a: str | None, b: str | None) -> datetime | None:
    """The later of two wire stamps of the SAME system's clock (None: unknown). R4.3 never mixes clocks."""
    at, bt = instant(a), instant(b)
    if at is None or bt is None:
        return at or bt
    return at if at >= bt else bt
