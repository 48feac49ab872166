"""SIA's wire formats: epoch-millisecond instants and ISO text, dates, time zones, list cursors, ids,
and the validation and rendering of task bodies. No state here: the store and the routes both use it."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mock_sia.errors import BadRequest, SiaError, ValidationFailed
from mock_sia.models import (
    SalesforceConnection,
    Task,
    TaskSyncSetting,
)
from tasksync_common.instants import iso_ms, parse_instant

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS = timedelta(milliseconds=1)

TASK_TYPES = ("email", "call", "inmail", "custom")
TASK_STATUSES = ("open", "complete")
TASK_PRIORITIES = ("normal", "high")
ROLES = ("user", "admin")
NAME_MAX = 1000
DETAILS_MAX = 32000
SHORT_TEXT_MAX = 255
BATCH_MAX = 200
LIST_LIMIT_MAX = 1000
SUBJECT_TEMPLATE_KEY = "subject_template"


READ_ONLY_FIELDS = ("id", "user_id", "created_at", "updated_at", "deleted_at")
WRITABLE_FIELDS = (
    "type",
    "name",
    "status",
    "priority",
    "due_date",
    "details",
    "sales_campaign_name",
    "sales_campaign_day",
    "sales_campaign_step",
    "call_outcome",
    "call_reason",
)
_WRITABLE = frozenset(WRITABLE_FIELDS)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# -- time on the wire -------------------------------------------------------------------------------


def to_ms(at: datetime) -> int:
    return (at - EPOCH) // ONE_MS


def ms_to_iso(ms: int | None) -> str | None:
    """UTC, ISO-8601 with milliseconds and `Z`."""
    return None if ms is None else iso_ms(EPOCH + timedelta(milliseconds=ms))


class IsoTimes(dict[int, str]):
    """`ms_to_iso` remembered for one page or batch, whose tasks mostly share their instants."""

    def __missing__(self, ms: int) -> str:
        text = self[ms] = ms_to_iso(ms)  # type: ignore[assignment]
        return text  # type: ignore[return-value]


def parse_date(value: Any, field: str, error: type[SiaError] = ValidationFailed) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE.match(value):
        raise error(f"'{field}' must be a date YYYY-MM-DD", field=field)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise error(f"'{field}' is not a real date: {value}", field=field) from exc


def zone(name: Any, field: str = "time_zone") -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValidationFailed(
            "'time_zone' must be an IANA time zone name such as Europe/Berlin", field=field
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(f"unknown time zone {name!r}", field=field) from exc


_CURSOR_KEY = b"mock-sia/cursor/v1"
_CURSOR_MAC = 12


def _cursor_mac(payload: bytes) -> bytes:
    return hmac.new(_CURSOR_KEY, payload, hashlib.sha256).digest()[:_CURSOR_MAC]


def encode_cursor(updated_ms: int, pk: int) -> str:
    payload = json.dumps([updated_ms, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload + _cursor_mac(payload)).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        if not cursor.isascii():
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload, mac = raw[:-_CURSOR_MAC], raw[-_CURSOR_MAC:]
        if len(raw) <= _CURSOR_MAC or not hmac.compare_digest(mac, _cursor_mac(payload)):
            raise ValueError
        updated_ms, pk = json.loads(payload)
        if not (isinstance(updated_ms, int) and isinstance(pk, int)):
            raise ValueError
        if max(abs(updated_ms), abs(pk)) > KEY_MAX:  # a forged cursor: no BIGINT holds it
            raise ValueError
        return updated_ms, pk
    except (ValueError, TypeError, binascii.Error) as exc:
        raise BadRequest("'cursor' is not a cursor this API gave out", field="cursor") from exc


def parse_after(value: str) -> tuple[int, int]:
    """`after=<updated_at>,<task id>` -> (updated ms, task pk); anything else -> 400 `field: "after"`.

    Task ids are `tsk_` + a zero-padded number, so their text order is the order of the list.
    """
    stamp, _, task_id = value.replace(" ", "+").rpartition(",")
    pk = parse_task_id(task_id.strip())
    try:
        if not stamp or pk is None:
            raise ValueError
        return to_ms(parse_instant(stamp.strip())), pk
    except ValueError as exc:
        raise BadRequest(
            "'after' must be '<updated_at>,<task id>', e.g. 2026-11-28T12:00:00.000Z,tsk_0000000042",
            field="after",
        ) from exc


def body_hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


INT_MAX = 2**31 - 1  # an INTEGER column (sales campaign day and step)
KEY_MAX = 2**63 - 1  # the largest key a BIGINT (and SQLite's rowid) holds; a bigger number is no id


_KEY_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: `str.isdigit()` also passes '²' and '١'


def parse_task_id(task_id: str) -> int | None:
    if isinstance(task_id, str) and task_id.startswith("tsk_") and _KEY_DIGITS.fullmatch(task_id[4:]):
        return int(task_id[4:]) if int(task_id[4:]) <= KEY_MAX else None
    return None


def parse_user_id(user_id: str) -> int | None:
    if isinstance(user_id, str) and user_id.startswith("usr_") and _KEY_DIGITS.fullmatch(user_id[4:]):
        return int(user_id[4:]) if int(user_id[4:]) <= KEY_MAX else None
    return None


# -- validation of task bodies ----------------------------------------------------------------------


def no_nul(value: str, key: str) -> str:
    """Text is stored as text: PostgreSQL refuses the NUL character, so it is a 422 on every database."""
    if "\x00" in value:
        raise ValidationFailed(f"'{key}' must not contain NUL (\\u0000) characters", field=key)
    return value


def text_field(data: Mapping, key: str, maximum: int, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise ValidationFailed(f"'{key}' is required", field=key)
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"'{key}' must be a string", field=key)
    if len(value) > maximum:
        raise ValidationFailed(f"'{key}' is longer than {maximum} characters", field=key)
    return no_nul(value, key)


def _choice(data: Mapping, key: str, choices: tuple[str, ...]) -> str:
    value = data.get(key)
    if value not in choices:
        raise ValidationFailed(f"'{key}' must be one of {', '.join(choices)}", field=key)
    return value


def _positive_int(data: Mapping, key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():  # JSON's 3.0 is the integer 3 (JSON Schema agrees)
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= INT_MAX:
        raise ValidationFailed(f"'{key}' must be a whole number 1..{INT_MAX}", field=key)
    return value


def clean_task_fields(data: Any, *, partial: bool) -> dict:
    """The writable fields of a create (`partial=False`) or PATCH body, validated (422 with `field`)."""
    if not isinstance(data, Mapping):
        raise ValidationFailed("the task must be a JSON object", field=None)
    if not _WRITABLE.issuperset(data):  # else every key is writable: no loop per key (issue 9)
        for key in data:
            if key in READ_ONLY_FIELDS:
                raise ValidationFailed(f"'{key}' is read-only", field=key)
            if key not in WRITABLE_FIELDS:
                raise ValidationFailed(f"unknown field '{key}'", field=key)
    out: dict[str, Any] = {}
    if not partial or "name" in data:
        name = text_field(data, "name", NAME_MAX, required=True)
        if not name or not name.strip():
            raise ValidationFailed("'name' must not be blank", field="name")
        out["name"] = name
    for key, choices, default in (
        ("type", TASK_TYPES, "custom"),
        ("status", TASK_STATUSES, "open"),
        ("priority", TASK_PRIORITIES, "normal"),
    ):
        if key in data:
            out[key] = _choice(data, key, choices)
        elif not partial:
            out[key] = default
    if "due_date" in data or not partial:
        out["due_date"] = parse_date(data.get("due_date"), "due_date")
    if "details" in data or not partial:
        out["details"] = text_field(data, "details", DETAILS_MAX)
    for key in ("sales_campaign_name", "call_outcome", "call_reason"):
        if key in data or not partial:
            out[key] = text_field(data, key, SHORT_TEXT_MAX)
    for key in ("sales_campaign_day", "sales_campaign_step"):
        if key in data or not partial:
            out[key] = _positive_int(data, key)
    return out


# The columns of a task, in the order `task_row_to_dict` reads them (a Core select of these is a row).
TASK_COLUMN_NAMES = ("pk", *WRITABLE_FIELDS, "created_ms", "updated_ms", "deleted_ms")
TASK_COLUMNS = tuple(Task.__table__.c[name] for name in TASK_COLUMN_NAMES)


def task_row_to_dict(row: Sequence[Any], user_id: str, iso: Mapping[int, str] | None = None) -> dict:
    """A task's wire form from its values in `TASK_COLUMN_NAMES` order (a Core row: no ORM object);
    `iso` (an `IsoTimes`) shares the instants' text across a page."""
    pk, type_, name, status, priority, due, details, campaign, day, step, outcome, reason, c, u, d = row
    times = iso if iso is not None else IsoTimes()
    return {
        "id": f"tsk_{pk:010d}",
        "user_id": user_id,
        "type": type_,
        "name": name,
        "status": status,
        "priority": priority,
        "due_date": due.isoformat() if due else None,
        "details": details,
        "sales_campaign_name": campaign,
        "sales_campaign_day": day,
        "sales_campaign_step": step,
        "call_outcome": outcome,
        "call_reason": reason,
        "created_at": times[c],
        "updated_at": times[u],
        "deleted_at": None if d is None else times[d],
    }


def task_to_dict(task: Task, user_id: str) -> dict:
    return task_row_to_dict([getattr(task, name) for name in TASK_COLUMN_NAMES], user_id)


def sync_to_dict(setting: TaskSyncSetting | None) -> dict:
    if setting is None:  # R1.1: off by default
        return {"enabled": False, "first_enabled_at": None, "last_enabled_at": None, "last_disabled_at": None}
    return {
        "enabled": setting.enabled,
        "first_enabled_at": ms_to_iso(setting.first_enabled_ms),
        "last_enabled_at": ms_to_iso(setting.last_enabled_ms),
        "last_disabled_at": ms_to_iso(setting.last_disabled_ms),
    }


def connection_to_dict(conn: SalesforceConnection | None, *, secrets_too: bool = False) -> dict:
    if conn is None:
        return {
            "connected": False,
            "instance_url": None,
            "username": None,
            "salesforce_user_id": None,
            "connected_at": None,
        }
    out = {
        "connected": True,
        "instance_url": conn.instance_url,
        "username": conn.username,
        "salesforce_user_id": conn.salesforce_user_id,
        "connected_at": ms_to_iso(conn.connected_ms),
    }
    if secrets_too:
        out["password"] = conn.password
        out["security_token"] = conn.security_token
    return out
