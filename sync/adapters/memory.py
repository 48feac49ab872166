"""In-memory twins of both sides, speaking the same ports as the real adapters (for unit tests).

They keep just enough of each vendor's behaviour for the engine's logic: Salesforce soft deletes
with a recycle bin, `IsClosed`, stamps from an injected clock, upsert by External ID, per-record
collection errors; SIA tombstones, `updated_at` that never goes backwards, idempotency keys.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sync.domain import EXTERNAL_ID_FIELD
from sync.ports import Clock, Row
from tasksync_common.instants import iso_ms, parse_instant, salesforce_ms

if TYPE_CHECKING:
    from sync.budget import ApiBudget
    from sync.report import UserReport

CLOSED_STATUSES = {"Completed"}


def _sf_stamp(clock: Clock) -> str:
    return salesforce_ms(clock.now())


def _err(code: str, message: str) -> Row:
    return {"id": None, "success": False, "errors": [{"statusCode": code, "message": message, "fields": []}]}


class MemorySalesforce:
    def __init__(self, clock: Clock, closed_statuses: set[str] | None = None) -> None:
        self.clock = clock
        self.records: dict[str, Row] = {}
        self.closed = set(closed_statuses or CLOSED_STATUSES)
        self._ids = itertools.count(1)
        self.calls = 0
        self.page_size = 2000
        self.last_total_size: int | None = None
        self.governor: ApiBudget | None = None  # the port's slot; the in-memory twin has no allocation
        self.users = {"admin@example.com": "005000000000001AAA"}

    @property
    def server_time(self) -> str:
        """Salesforce's clock now (the real adapter reads it from the last answer's Date header)."""
        return _sf_stamp(self.clock)

    # -- acting as a Salesforce user (test helpers) ------------------------------------------
    def create(self, owner_id: str, **fields: Any) -> str:
        task_id = f"00T{next(self._ids):012d}AAA"
        now = _sf_stamp(self.clock)
        record: Row = {
            "Id": task_id,
            "Subject": None,
            "Status": "Not Started",
            "Priority": "Normal",
            "ActivityDate": None,
            "Description": None,
            "OwnerId": owner_id,
            EXTERNAL_ID_FIELD: None,
            "IsDeleted": False,
            "CreatedDate": now,
            "SystemModstamp": now,
            "Type": None,
        }
        record.update(fields)
        record["IsClosed"] = record["Status"] in self.closed
        self.records[task_id] = record
        return task_id

    def edit(self, task_id: str, **fields: Any) -> None:
        record = self.records[task_id]
        record.update(fields)
        record["IsClosed"] = record["Status"] in self.closed
        record["SystemModstamp"] = _sf_stamp(self.clock)

    def remove(self, task_id: str) -> None:
        self.edit(task_id, IsDeleted=True)

    def undelete(self, task_id: str) -> None:
        self.edit(task_id, IsDeleted=False)

    def purge(self, task_id: str) -> None:
        self.records.pop(task_id, None)

    def live(self, owner_id: str | None = None) -> list[Row]:
        return [
            r
            for r in self.records.values()
            if not r["IsDeleted"] and (owner_id is None or r["OwnerId"] == owner_id)
        ]

    # -- the port ------------------------------------------------------------------------------
    def changes(
        self, owner_id: str, since: str | None, after_id: str | None = None, lookback_from: str | None = None
    ) -> list[Row]:
        self.calls += 1
        rows = [r for r in self.records.values() if r["OwnerId"] == owner_id]
        if since:
            floor = parse_instant(since)
            if after_id:
                window = parse_instant(lookback_from) if lookback_from else floor

                def wanted(r: Row) -> bool:
                    stamp = parse_instant(r["SystemModstamp"])
                    return (stamp, r["Id"]) > (floor, after_id) or window <= stamp < floor

                rows = [r for r in rows if wanted(r)]
            else:
                rows = [r for r in rows if parse_instant(r["SystemModstamp"]) >= floor]
        rows.sort(key=lambda r: (parse_instant(r["SystemModstamp"]), r["Id"]))
        return [dict(r) for r in rows]

    def change_pages(
        self, owner_id: str, since: str | None, after_id: str | None = None, lookback_from: str | None = None
    ) -> Iterator[list[Row]]:
        """`changes` in pages of `page_size` rows, each page one call (like queryAll's nextRecordsUrl)."""
        calls = self.calls
        rows = self.changes(owner_id, since, after_id, lookback_from)
        self.calls = calls
        self.last_total_size = len(rows)
        for start in range(0, max(len(rows), 1), self.page_size):
            self.calls += 1
            yield rows[start : start + self.page_size]

    def by_ids(self, ids: list[str]) -> list[Row]:
        self.calls += 1
        return [dict(self.records[i]) for i in ids if i in self.records]

    def by_external_ids(self, sia_ids: list[str]) -> list[Row]:
        self.calls += 1
        wanted = set(sia_ids)
        return [dict(r) for r in self.records.values() if r.get(EXTERNAL_ID_FIELD) in wanted]

    def find_user_id(self, username: str) -> str | None:
        self.calls += 1
        return self.users.get(username)

    def _check(self, fields: Row) -> Row | None:
        for name, limit in (("Subject", 255), ("Description", 32000)):
            if isinstance(fields.get(name), str) and len(fields[name]) > limit:
                return _err("STRING_TOO_LONG", f"{name}: data value too large (max length={limit})")
        return None

    def upsert(self, records: list[Row]) -> list[Row]:
        self.calls += 1
        out: list[Row] = []
        for rec in records:
            fields = {k: v for k, v in rec.items() if k != "attributes"}
            problem = self._check(fields)
            if problem:
                out.append(problem)
                continue
            match = [
                r
                for r in self.records.values()
                if r[EXTERNAL_ID_FIELD] == fields[EXTERNAL_ID_FIELD] and not r["IsDeleted"]
            ]
            if match:
                self.edit(match[0]["Id"], **fields)
                out.append({"id": match[0]["Id"], "success": True, "errors": [], "created": False})
            else:
                owner = fields.pop("OwnerId")
                out.append(
                    {"id": self.create(owner, **fields), "success": True, "errors": [], "created": True}
                )
        return out

    def update(self, records: list[Row]) -> list[Row]:
        self.calls += 1
        out: list[Row] = []
        for rec in records:
            fields = {k: v for k, v in rec.items() if k not in ("attributes", "Id")}
            record = self.records.get(rec["Id"])
            if record is None or record["IsDeleted"]:
                out.append(_err("ENTITY_IS_DELETED", "entity is deleted"))
                continue
            problem = self._check(fields)
            if problem:
                out.append(problem)
                continue
            self.edit(rec["Id"], **fields)
            out.append({"id": rec["Id"], "success": True, "errors": []})
        return out

    def delete(self, ids: list[str]) -> list[Row]:
        self.calls += 1
        out: list[Row] = []
        for task_id in ids:
            record = self.records.get(task_id)
            if record is None or record["IsDeleted"]:
                out.append(_err("ENTITY_IS_DELETED", "entity is deleted"))
            else:
                self.remove(task_id)
                out.append({"id": task_id, "success": True, "errors": []})
        return out


class MemorySia:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.users: dict[str, Row] = {}
        self.tasks: dict[str, Row] = {}
        self.template: str | None = None
        self._ids = itertools.count(1)
        self._keys: dict[tuple[str, str], str] = {}
        self.calls = 0
        self.page_size = 1000
        self.base_url: str | None = None

    def report_outcome(self, report: UserReport) -> bool:
        """SIA's pages show it; the in-memory twin has none."""
        return False

    @property
    def server_time(self) -> str:
        """SIA's clock now (the real adapter reads it from the last answer's Date header)."""
        return iso_ms(self.clock.now())

    # -- acting as SIA users (test helpers) ----------------------------------------------------
    def create_user(self, email: str, salesforce_user_id: str | None = "005000000000001AAA") -> str:
        user_id = f"usr_{len(self.users) + 1}"
        self.users[user_id] = {
            "user_id": user_id,
            "email": email,
            "time_zone": "UTC",
            "task_sync": {
                "enabled": False,
                "first_enabled_at": None,
                "last_enabled_at": None,
                "last_disabled_at": None,
            },
            "salesforce": {
                "instance_url": "https://memory",
                "username": email,
                "password": "password",
                "security_token": "token",
                "salesforce_user_id": salesforce_user_id,
            },
        }
        return user_id

    def set_sync(self, user_id: str, enabled: bool) -> None:
        setting = self.users[user_id]["task_sync"]
        now = iso_ms(self.clock.now())
        if enabled and not setting["enabled"]:
            setting["first_enabled_at"] = setting["first_enabled_at"] or now
            setting["last_enabled_at"] = now
        if not enabled and setting["enabled"]:
            setting["last_disabled_at"] = now
        setting["enabled"] = enabled

    def _stamp(self, previous: str | None = None) -> str:
        now = self.clock.now()
        if previous and parse_instant(previous) >= now:
            now = parse_instant(previous) + timedelta(milliseconds=1)
        return iso_ms(now)

    def create_task(self, user_id: str, name: str, **fields: Any) -> str:
        task_id = f"tsk_{next(self._ids)}"
        now = self._stamp()
        task: Row = {
            "id": task_id,
            "user_id": user_id,
            "type": "custom",
            "name": name,
            "status": "open",
            "priority": "normal",
            "due_date": None,
            "details": None,
            "sales_campaign_name": None,
            "sales_campaign_day": None,
            "sales_campaign_step": None,
            "call_outcome": None,
            "call_reason": None,
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
        }
        task.update(fields)
        self.tasks[task_id] = task
        return task_id

    def edit_task(self, task_id: str, **fields: Any) -> Row:
        task = self.tasks[task_id]
        task.update(fields)
        task["updated_at"] = self._stamp(task["updated_at"])
        return task

    def delete_task(self, task_id: str) -> None:
        task = self.tasks[task_id]
        task["deleted_at"] = task["updated_at"] = self._stamp(task["updated_at"])

    def live(self, user_id: str | None = None) -> list[Row]:
        return [
            t
            for t in self.tasks.values()
            if not t["deleted_at"] and (user_id is None or t["user_id"] == user_id)
        ]

    # -- the port ------------------------------------------------------------------------------
    def sync_users(self) -> list[Row]:
        self.calls += 1
        return [dict(u) for u in self.users.values() if u["task_sync"]["enabled"]]

    def subject_template(self) -> str | None:
        self.calls += 1
        return self.template

    def changes(self, user_id: str, since: str | None, after_id: str | None = None) -> list[Row]:
        self.calls += 1
        rows = [t for t in self.tasks.values() if t["user_id"] == user_id]
        if since and after_id:
            key = (parse_instant(since), after_id)
            rows = [t for t in rows if (parse_instant(t["updated_at"]), t["id"]) > key]
        elif since:
            rows = [t for t in rows if parse_instant(t["updated_at"]) >= parse_instant(since)]
        rows.sort(key=lambda t: (parse_instant(t["updated_at"]), t["id"]))
        return [dict(t) for t in rows]

    def change_pages(
        self, user_id: str, since: str | None, after_id: str | None = None
    ) -> Iterator[list[Row]]:
        """`changes` (one call, as counted here) handed out in pages of `page_size` tasks."""
        rows = self.changes(user_id, since, after_id)
        for start in range(0, max(len(rows), 1), self.page_size):
            yield rows[start : start + self.page_size]

    def get(self, user_id: str, task_id: str) -> Row | None:
        self.calls += 1
        task = self.tasks.get(task_id)
        return dict(task) if task and task["user_id"] == user_id else None

    def batch(self, user_id: str, operations: list[Row]) -> list[Row]:
        self.calls += 1
        out: list[Row] = []
        for op in operations:
            if op["op"] == "create":
                key = (user_id, op.get("idempotency_key") or "")
                if op.get("idempotency_key") and key in self._keys:
                    out.append({"status": 201, "data": dict(self.tasks[self._keys[key]])})
                    continue
                data = dict(op["data"])
                task_id = self.create_task(user_id, data.pop("name"), **data)
                if op.get("idempotency_key"):
                    self._keys[key] = task_id
                out.append({"status": 201, "data": dict(self.tasks[task_id])})
                continue
            task = self.tasks.get(op["id"])
            if task is None or task["user_id"] != user_id or task["deleted_at"]:
                out.append({"status": 404, "error": {"code": "not_found", "message": "no such task"}})
            elif op["op"] == "update":
                out.append({"status": 200, "data": dict(self.edit_task(op["id"], **op["data"]))})
            else:
                self.delete_task(op["id"])
                out.append({"status": 204})
        return out
