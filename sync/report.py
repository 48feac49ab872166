"""The per-pass report: created / updated / deleted / skipped / conflicts / errors / API calls per side."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


def _sides() -> dict[str, Any]:
    return {"sia": 0, "salesforce": 0}


@dataclass
class UserReport:
    user_id: str
    start: str | None = None  # "first" | "previously_enabled" | None (continuous)
    created: dict[str, int] = field(default_factory=_sides)  # tasks created IN that side
    updated: dict[str, int] = field(default_factory=_sides)
    deleted: dict[str, int] = field(default_factory=_sides)
    skipped: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    deletions: list[dict[str, Any]] = field(default_factory=list)
    api_calls: dict[str, int] = field(default_factory=_sides)
    stopped: str | None = None
    deferred: str | None = None  # put off to a later pass: F3/F4 API allocation, F8 LEASE_HELD
    alerts: list[dict[str, Any]] = field(default_factory=list)  # F16: mass deletions held for confirmation
    unlinked: list[dict[str, Any]] = field(default_factory=list)  # R1.4/R1.1: links retired, tasks untouched

    @property
    def outcome(self) -> str:
        """ok | stopped | deferred (F3/F4: put off by the API budget, resumed on a later pass)."""
        if self.deferred:
            return "deferred"
        return "stopped" if self.stopped else "ok"

    @property
    def writes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.deleted.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "start": self.start,
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "skipped": self.skipped,
            "conflicts": self.conflicts,
            "errors": self.errors,
            "deletions": self.deletions,
            "api_calls": self.api_calls,
            "stopped": self.stopped,
            "deferred": self.deferred,
            "alerts": self.alerts,
            "unlinked": self.unlinked,
            "outcome": self.outcome,
        }


@dataclass
class PassReport:
    run_id: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    users: list[UserReport] = field(default_factory=list)
    sia_calls_total: int = 0  # includes the per-pass service calls (sync_users, subject_template)
    error: str | None = None

    def user(self, user_id: str) -> UserReport:
        return next(u for u in self.users if u.user_id == user_id)

    def total(self, name: str) -> Any:  # a per-side dict for sided figures, an int for counts
        if name in ("skipped",):
            return sum(u.skipped for u in self.users)
        if name in ("conflicts", "errors", "deletions", "alerts"):
            return sum(len(getattr(u, name)) for u in self.users)
        out = _sides()
        for u in self.users:
            for side, n in getattr(u, name).items():
                out[side] += n
        return out

    @property
    def api_calls(self) -> dict[str, int]:
        return {"sia": self.sia_calls_total, "salesforce": self.total("api_calls")["salesforce"]}

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "totals": {
                "created": self.total("created"),
                "updated": self.total("updated"),
                "deleted": self.total("deleted"),
                "skipped": self.total("skipped"),
                "conflicts": self.total("conflicts"),
                "errors": self.total("errors"),
                "api_calls": self.api_calls,
                "alerts": self.total("alerts"),
                "deferred": sum(1 for u in self.users if u.deferred),
            },
            "users": [u.to_dict() for u in self.users],
            "error": self.error,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        return render_text(self.to_dict())


def render_text(data: dict[str, Any]) -> str:
    """A report dict (as stored per run) as a few readable lines."""
    t = data["totals"]

    def sides(d: dict[str, Any]) -> str:
        return f"SIA {d['sia']}, Salesforce {d['salesforce']}"

    lines = [
        f"sync pass #{data['run_id']}  {data['started_at']} -> {data['finished_at']}  "
        f"({len(data['users'])} user(s) with sync on)",
        f"  created   {sides(t['created'])}",
        f"  updated   {sides(t['updated'])}",
        f"  deleted   {sides(t['deleted'])}",
        f"  skipped   {t['skipped']}   conflicts {t['conflicts']}   errors {t['errors']}"
        + (f"   ALERTS {t['alerts']}" if t.get("alerts") else "")
        + (f"   deferred {t['deferred']} user(s)" if t.get("deferred") else ""),
        f"  API calls {sides(t['api_calls'])}",
    ]
    if data.get("error"):
        lines.append(f"  pass error: {data['error']}")
    for u in data["users"]:
        head = f"  user {u['user_id']}"
        if u["start"]:
            head += f" [{u['start'].replace('_', ' ')} start]"
        if u["stopped"]:
            head += f" STOPPED: {u['stopped']}"
        if u.get("deferred"):
            head += f" DEFERRED: {u['deferred']}"
        lines.append(head + f": calls {sides(u['api_calls'])}")
        for c in u["conflicts"]:
            lines.append(f"    conflict {c['field']} on {c['sia_id']}/{c['sf_id']}: {c['winner']} won (R4.3)")
        for d in u["deletions"]:
            lines.append(f"    deleted in {d['deleted_in']}: {d['sia_id']}/{d['sf_id']} - {d['how_found']}")
        for a in u.get("alerts", []):
            lines.append(f"    ALERT {a['alert']} ({a['rule']}): {a['message']}")
        for e in u["errors"]:
            lines.append(f"    error {e['code']}: {e['message']} {e['task']}")
        for x in u.get("unlinked", []):
            lines.append(f"    unlinked {x['sia_id']}/{x['sf_id']}: {x['reason']}")
    return "\n".join(lines)
