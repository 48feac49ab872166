"""The org backend: one Salesforce org, composed moto-style of its parts.

`Org` is a `mock_core.service.MockService`; `create_app()` installs one per Flask app, reachable as
`app.extensions["salesforce_org"]` (or `get_org(app)`). Its verbs live in one module per concern -
`sessions` (users, logins, API allocation), `coercion` (field values), `records` (CRUD, upsert,
collections), `replication` (recycle bin, updated/deleted), `query` (SOQL execution, locators) and
`seed` - and this module holds the lifecycle: `reset()` drops the tables and re-runs the set-up, as
moto's `BaseBackend.reset()` re-runs `__init__`. No Flask object is used here: `app.py` renders.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text

from mock_core.db import make_engine
from mock_core.errors import AdminError
from mock_core.guard import GuardLimits
from mock_core.service import MockService
from mock_salesforce.describe import DEFAULT_PRIORITY, DEFAULT_STATUS
from mock_salesforce.ids import IdFactory, decode62, to18
from mock_salesforce.models import CUSTOM_TEXT_SLOTS, Base, CustomField, Setting
from mock_salesforce.models import Task as TaskRow
from mock_salesforce.models import User as UserRow
from mock_salesforce.query import QueryCursor, QueryMixin
from mock_salesforce.records import RecordsMixin
from mock_salesforce.seed import SeedMixin
from mock_salesforce.sessions import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_USERNAME,
    SessionInfo,
)
from tasksync_common.routing import MOCK_INSTANCE_URL

DEFAULT_INSTANCE_URL = MOCK_INSTANCE_URL
SF_GUARD_LIMITS = GuardLimits(max_body_bytes=50 * 1024 * 1024, max_json_depth=64, max_url_bytes=16_384)


class Org(SeedMixin, RecordsMixin, QueryMixin, MockService):
    """One Salesforce org: users, tasks, custom fields, sessions, API allocation, query cursors."""

    extension_name = "salesforce_org"
    guard_limits = SF_GUARD_LIMITS
    extra_fault_kinds = ("expire_sessions", "api_limit")

    def __init__(self, config: dict | None = None) -> None:
        config = dict(config or {})
        super().__init__(clock=config.get("CLOCK"))
        self.config = config
        self.engine = make_engine(config.get("DB_URL"))
        self.instance_url: str | None = config.get("INSTANCE_URL", DEFAULT_INSTANCE_URL)
        self.session_ttl = timedelta(seconds=int(config.get("SESSION_TTL_SECONDS", 7200)))
        self._lock = threading.RLock()
        self._open()

    # -- lifecycle ---------------------------------------------------------------------------------
    def _open(self) -> None:
        """(Re)build the in-memory state around the database; a reopened database keeps counting ids."""
        Base.metadata.create_all(self.engine)
        self._keep_connection()
        self.ids = IdFactory()
        self._sessions: dict[str, SessionInfo] = {}
        self._refresh_tokens: dict[str, str] = {}
        self._cursors: OrderedDict[str, QueryCursor] = OrderedDict()
        self.api_max = int(self.config.get("API_ALLOCATION", 15000))
        self.api_used = 0
        self._api_window_start = self.clock.now()
        self._last_purge: datetime | None = None
        self._manual_purge_at: datetime | None = None
        with self.tx() as s:
            for prefix, model in (("00T", TaskRow), ("005", UserRow)):
                key = model.Id.collate("C") if self.engine.dialect.name == "postgresql" else model.Id
                top = s.scalar(
                    select(model.Id).where(model.Id.startswith(prefix)).order_by(key.desc()).limit(1)
                )
                if top:
                    self.ids.skip_to(prefix, decode62(top[5:15]))
            settings = {row.Key: json.loads(row.Value) for row in s.scalars(select(Setting))}
            if "org_id" not in settings:
                settings["org_id"] = self.ids.new("00D")
                settings["picklists"] = {"Status": DEFAULT_STATUS, "Priority": DEFAULT_PRIORITY}
                for key in ("org_id", "picklists"):
                    s.add(Setting(Key=key, Value=json.dumps(settings[key])))
            self.org_id: str = settings["org_id"]
            self.picklists: dict = settings["picklists"]
            fresh = s.scalar(select(func.count()).select_from(UserRow)) == 0
        self._rebuild_schemas()
        if fresh:
            self.create_user(
                {
                    "Username": DEFAULT_USERNAME,
                    "FirstName": "Admin",
                    "LastName": "User",
                    "Email": DEFAULT_USERNAME,
                    "Password": DEFAULT_PASSWORD,
                    "SecurityToken": DEFAULT_TOKEN,
                }
            )
            self.declare_field(
                "Task",
                "SIA_Task_Id__c",
                label="SIA Task Id",
                length=255,
                external_id=True,
                unique=True,
                case_sensitive=False,
            )

    def reset(self) -> None:
        """Back to a fresh org (same clock, same database URL): like moto, re-run the set-up."""
        with self._lock:
            Base.metadata.drop_all(self.engine)
            self.journal.clear()
            self.faults.clear()
            self._open()

    # -- configuration ---------------------------------------------------------------------------
    def declare_field(
        self,
        sobject: str,
        name: str,
        *,
        label: str | None = None,
        length: int = 255,
        external_id: bool = False,
        unique: bool = False,
        case_sensitive: bool = False,
    ) -> dict[str, Any]:
        """Declare a custom text field (`Name__c`) on Task; it is stored in a free slot and indexed."""
        if sobject.lower() != "task":
            raise AdminError("custom fields can be declared on Task only")
        if not name.endswith("__c") or not name[:-3].replace("_", "a").isalnum() or not name[0].isalpha():
            raise AdminError("a custom field name looks like My_Field__c")
        if not 1 <= int(length) <= 255:
            raise AdminError("length must be between 1 and 255")
        if len(name) > 43 or len(label or "") > 80:  # the CustomField columns; Salesforce: 40 + __c
            raise AdminError("a custom field name has at most 40 characters before __c; a label at most 80")
        schema = self.schemas.get("task") if hasattr(self, "schemas") else None
        with self.tx() as s:
            existing = list(s.scalars(select(CustomField).where(CustomField.SObject == "Task")))
            if any(c.Name.lower() == name.lower() for c in existing) or (schema and schema.get(name)):
                raise AdminError(f"field {name} already exists on Task", code="conflict", status=409)
            used = {c.Slot for c in existing}
            free = [f"CustomText{n}" for n in range(1, CUSTOM_TEXT_SLOTS + 1) if f"CustomText{n}" not in used]
            if not free:
                raise AdminError(f"at most {CUSTOM_TEXT_SLOTS} custom fields per object")
            cf = CustomField(
                Name=name,
                SObject="Task",
                Label=label or name[:-3].replace("_", " "),
                Type="string",
                Length=int(length),
                ExternalId=bool(external_id),
                IsUnique=bool(unique),
                CaseSensitive=bool(case_sensitive),
                Slot=free[0],
            )
            s.add(cf)
        if external_id or unique:
            # Raw DDL: an Index object would attach itself to the shared (module-level) table metadata.
            column = f'"{cf.Slot}"'
            expr = column if case_sensitive else f"lower({column})"
            with self.engine.begin() as conn:
                conn.execute(
                    text(f"CREATE INDEX IF NOT EXISTS ix_task_{cf.Slot.lower()} ON sf_task ({expr})")
                )
        self._rebuild_schemas()
        return self.schemas["task"].get(name).describe()

    def configure_picklist(
        self,
        name: str,
        *,
        values: list[str] | None = None,
        restricted: bool | None = None,
        default: str | None = None,
        closed: list[str] | None = None,
        high: list[str] | None = None,
    ) -> dict[str, Any]:
        """SF-ORG-7: change Task.Status / Task.Priority values, restriction and default (persisted)."""
        if name not in ("Status", "Priority"):
            raise AdminError("only Status and Priority picklists are configurable")
        current = dict(self.picklists[name])
        if values is not None:
            current["values"] = [str(v) for v in values]
        if restricted is not None:
            current["restricted"] = bool(restricted)
        if default is not None:
            current["default"] = default
        if closed is not None and name == "Status":
            current["closed"] = list(closed)
        if high is not None and name == "Priority":
            current["high"] = list(high)
        if current["default"] not in current["values"]:
            raise AdminError("the default must be one of the values")
        self.picklists = {**self.picklists, name: current}
        with self.tx() as s:
            s.merge(Setting(Key="picklists", Value=json.dumps(self.picklists)))
        self._rebuild_schemas()
        return current

    # -- control plane -------------------------------------------------------------------------
    def extra_fault(self, kind: str, options: dict[str, Any]) -> dict[str, Any] | None:
        if kind == "expire_sessions":
            return {"kind": kind, "expired": self.expire_sessions()}
        if kind == "api_limit":
            try:
                result = self.set_api_allocation(options.get("max"), options.get("used"))
            except (TypeError, ValueError) as exc:
                raise AdminError("'max' and 'used' must be whole numbers") from exc
            return {"kind": kind, **result}
        return None

    def count_tasks(self, include_deleted: bool = False) -> int:
        with self.tx() as s:
            stmt = select(func.count()).select_from(TaskRow)
            if not include_deleted:
                stmt = stmt.where(TaskRow.IsDeleted.is_(False))
            return s.scalar(stmt)

    def get_task(self, task_id: str) -> dict[str, Any] | None:
        """The stored task (including the recycle bin) as the API would show it, or None."""
        with self.tx() as s:
            row = s.get(TaskRow, to18(task_id))
            return None if row is None else self.to_record(self.schemas["task"], row, "59.0")

    def organization(self) -> dict[str, Any]:
        return {"Id": self.org_id, "InstanceUrl": self.instance_url}
