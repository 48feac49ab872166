"""Salesforce's wire formats: datetimes, dates, record JSON with `attributes`, field-value parsing."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

from flask import Response, current_app

from mock_salesforce.errors import JSON_CONTENT_TYPE, JsonParserError
from tasksync_common.instants import parse_instant, salesforce_ms

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def ms(dt: datetime) -> datetime:
    """Truncate to millisecond precision (what Salesforce stores)."""
    return dt.replace(microsecond=dt.microsecond // 1000 * 1000)


def naive_utc(dt: datetime) -> datetime:
    """The storage form: naive UTC with millisecond precision."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return ms(dt)


def format_datetime(value: datetime | None) -> str | None:
    """`2026-11-28T17:01:54.000+0000` — millis, `+0000` without a colon (naive values are UTC)."""
    return None if value is None else salesforce_ms(value)


def format_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def format_value(kind: str, value: Any) -> Any:
    """A stored value in its JSON form, by describe type."""
    if value is None:
        return None
    if kind == "datetime":
        return format_datetime(value)
    if kind == "date":
        return format_date(value)
    if kind == "boolean":
        return bool(value)
    if kind == "double":
        return float(value)
    if kind == "int":
        return int(value)
    return value


def parse_datetime(text: str) -> datetime:
    """Parse an ISO-8601 datetime as Salesforce accepts it (Z, +hh:mm, +hhmm, fractions) -> naive UTC.

    A value without an offset is read as UTC. Raises ValueError.
    """
    if "T" not in text or not text.strip():
        raise ValueError(text)
    return naive_utc(parse_instant(text))


def parse_date(text: str) -> date:
    if not _DATE_RE.match(text.strip()):
        raise ValueError(text)
    return date.fromisoformat(text.strip())


def record_url(version: str, sobject: str, record_id: str) -> str:
    return f"/services/data/v{version}/sobjects/{sobject}/{record_id}"


def attributes(version: str, sobject: str, record_id: str | None) -> dict[str, str]:
    out = {"type": sobject}
    if record_id:
        out["url"] = record_url(version, sobject, record_id)
    return out


def sf_json(data: Any, status: int = 200) -> Response:
    """`jsonify`'s body (the app's JSON provider, compact unless debugging) in one Response with
    Salesforce's content type, not a response made and then re-typed (issue 9)."""
    provider = current_app.json
    if getattr(provider, "compact", None) is False or (
        getattr(provider, "compact", None) is None and current_app.debug
    ):
        body = provider.dumps(data, indent=2)
    else:
        body = provider.dumps(data, separators=(",", ":"))
    return Response(f"{body}\n", status=status, content_type=JSON_CONTENT_TYPE)


def load_json_body(raw: bytes) -> object:
    """Parse a request body; errors in the style of Salesforce's Jackson parser (JSON_PARSER_ERROR)."""
    text = raw.decode("utf-8", errors="replace") if raw else ""
    if not text.strip():
        raise JsonParserError("No content to map due to end-of-input at [line:1, column:0]")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        char = text[exc.pos] if exc.pos < len(text) else ""
        if char:
            message = (
                f"Unexpected character ('{char}' (code {ord(char)})): {exc.msg.lower()} "
                f"at [line:{exc.lineno}, column:{exc.colno}]"
            )
        else:
            message = f"Unexpected end-of-input: {exc.msg.lower()} at [line:{exc.lineno}, column:{exc.colno}]"
        raise JsonParserError(message) from exc


def load_json_object(raw: bytes, what: str = "the sObject") -> dict[str, Any]:
    data = load_json_body(raw)
    if not isinstance(data, dict):
        token = "START_ARRAY" if isinstance(data, list) else "VALUE_STRING"
        raise JsonParserError(
            f"Cannot deserialize instance of {what} from {token} value at [line:1, column:1]"
        )
    return data
