"""Sync health: what the sync reported about each user after its last pass, and the plain words the
Settings and admin pages show for it.

The sync calls `PUT /api/v1/service/sync_health/{user_id}` after every pass of a user (routes/health.py);
SIA keeps the last report per user, stamps it on its own clock, and remembers the last pass that went
through ("last success"). Times are shown in the rep's own time zone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from mock_sia.errors import ValidationFailed
from mock_sia.models import SyncHealth, User
from mock_sia.store import SiaStore, UserInfo
from mock_sia.wire import ms_to_iso, zone
from tasksync_common.instants import parse_instant

STATES = ("ok", "stopped", "deferred")
COUNTS = ("created", "updated", "deleted", "skipped", "conflicts", "deletions")
MAX_ERRORS = 50

# Why a sync stops, in the words a rep understands, and what to do about it (by the engine's error code).
REASONS = {
    "INVALID_LOGIN": "Salesforce refused the login — reconnect",
    "NOT_CONNECTED": "Salesforce is not connected — connect it below",
    "NO_SF_USER": "the Salesforce user of this connection was not found — check the username",
    "INSUFFICIENT_ACCESS": "Salesforce does not allow this user to edit tasks — ask your Salesforce admin",
    "REQUEST_LIMIT_EXCEEDED": "Salesforce's API allowance for today is used up; sync resumes when it resets",
    "API_BUDGET": "the sync is saving Salesforce's API allowance; it resumes on a later pass",
}


def record(store: SiaStore, user: UserInfo, body: Any) -> dict:
    """Keep a user's latest pass outcome (validated; unknown fields are refused)."""
    if not isinstance(body, Mapping):
        raise ValidationFailed("the body must be a JSON object")
    allowed = {"state", "code", "reason", "errors", *COUNTS}
    for key in body:
        if key not in allowed:
            raise ValidationFailed(f"unknown field '{key}'", field=key)
    state = body.get("state")
    if state not in STATES:
        raise ValidationFailed("'state' must be one of ok, stopped, deferred", field="state")
    for key in ("code", "reason"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise ValidationFailed(f"'{key}' must be a string or null", field=key)
    counts = {}
    for key in COUNTS:
        value = body.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationFailed(f"'{key}' must be a whole number >= 0", field=key)
        counts[key] = value
    errors = body.get("errors", [])
    if not isinstance(errors, list) or not all(isinstance(e, Mapping) for e in errors):
        raise ValidationFailed("'errors' must be a list of objects", field="errors")
    errors = [
        {k: str(e.get(k) or "")[:500] for k in ("task", "code", "message")} for e in errors[:MAX_ERRORS]
    ]
    now = store.now_ms()
    with store.tx() as s:
        row = s.get(SyncHealth, user.pk)
        if row is None:
            row = SyncHealth(user_pk=user.pk)
            s.add(row)
        row.state = state
        row.code = (body.get("code") or None) and str(body["code"])[:64]
        row.reason = body.get("reason")
        row.last_pass_ms = now
        if state == "ok":
            row.last_success_ms = now
        row.report_json = json.dumps({**counts, "errors": errors})
        s.flush()
        return _to_dict(row, user.id)


def get(store: SiaStore, user: UserInfo) -> dict | None:
    with store.tx() as s:
        row = s.get(SyncHealth, user.pk)
        return _to_dict(row, user.id) if row is not None else None


def overview(store: SiaStore) -> list[dict]:
    """Every user with their task-sync switch and last reported health (the admin page)."""
    with store.tx() as s:
        out = []
        for user in s.scalars(select(User).order_by(User.pk)):
            row = s.get(SyncHealth, user.pk)
            out.append(
                {
                    "user": store._info(user),
                    "enabled": bool(user.task_sync and user.task_sync.enabled),
                    "connected": user.salesforce is not None,
                    "health": _to_dict(row, user.public_id) if row is not None else None,
                }
            )
        return out


def _to_dict(row: SyncHealth, user_id: str) -> dict:
    report = json.loads(row.report_json or "{}")
    return {
        "user_id": user_id,
        "state": row.state,
        "code": row.code,
        "reason": row.reason,
        "last_pass_at": ms_to_iso(row.last_pass_ms),
        "last_success_at": ms_to_iso(row.last_success_ms),
        **{key: report.get(key, 0) for key in COUNTS},
        "errors": report.get("errors", []),
    }


# -- plain words for the pages ----------------------------------------------------------------------------
def ago(then_iso: str | None, now: datetime) -> str:
    """'just now', '2 minutes ago', '3 hours ago', '2 days ago'."""
    if then_iso is None:
        return "never"
    then = parse_instant(then_iso)
    seconds = max(0, int((now - then).total_seconds()))
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return "just now"


def local_time(iso: str | None, time_zone: str) -> str | None:
    """A UTC stamp as the rep reads it: '28 Nov 2026, 13:05 (Europe/Berlin)'."""
    if iso is None:
        return None
    at = parse_instant(iso).astimezone(zone(time_zone))
    return f"{at.day} {at:%b %Y, %H:%M} ({time_zone})"


def reason_words(code: str | None, reason: str | None) -> str:
    if code in REASONS:
        return REASONS[code]
    return reason or code or "unknown reason"


def describe(health: dict | None, enabled: bool, time_zone: str, now: datetime) -> dict:
    """The status line of the Settings page: a headline, its tone, and details."""
    if health is None:
        if enabled:
            return {
                "tone": "info",
                "headline": "Waiting for the first sync. The first sync may take a while.",
                "details": [],
            }
        return {"tone": "muted", "headline": "Task sync is off.", "details": []}
    details = []
    if health["last_success_at"]:
        details.append(
            f"Last successful sync {ago(health['last_success_at'], now)}, "
            f"{local_time(health['last_success_at'], time_zone)}."
        )
    if health["state"] == "stopped":
        tone, headline = "error", f"Sync stopped: {reason_words(health['code'], health['reason'])}."
    elif health["state"] == "deferred":
        tone, headline = "warn", f"Sync paused: {reason_words(health['code'], health['reason'])}."
    elif health["errors"]:
        n = len(health["errors"])
        tone = "warn"
        headline = (
            f"Last synced {ago(health['last_pass_at'], now)}, "
            f"but {n} task{'' if n == 1 else 's'} could not be synced."
        )
        details = []
    else:
        tone, headline = "ok", f"Last synced {ago(health['last_pass_at'], now)}."
        details = [f"At {local_time(health['last_pass_at'], time_zone)}."]
    if not enabled:
        headline = "Task sync is off. " + headline
    done = [
        f"{health[k]} {label}"
        for k, label in (("conflicts", "conflict(s) resolved"), ("deletions", "deletion(s) applied"))
        if health[k]
    ]
    if done:
        details.append("Last pass: " + ", ".join(done) + ".")
    return {"tone": tone, "headline": headline, "details": details}
