"""The org backend: state in SQLAlchemy, the domain verbs, and the Python control-plane API.

`Org` is a `mock_core.service.MockService`; `create_app()` installs one per Flask app, reachable as
`app.extensions["salesforce_org"]` (or `get_org(app)`). Every verb runs in one short transaction
under the org's lock; sObject Collections write up to 200 records in a single transaction.
"""

from __future__ import annotations

import contextlib
import json
import random
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Response
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from mock_core.clock import Clock
from mock_core.db import make_engine
from mock_core.errors import AdminError
from mock_core.faults import Fault
from mock_core.guard import GuardLimits, InputRejected
from mock_core.service import MockService
from mock_salesforce import errors as E
from mock_salesforce.describe import (
    DEFAULT_PRIORITY,
    DEFAULT_STATUS,
    SOQL_TYPES,
    FieldDef,
    SObjectSchema,
    build_schemas,
)
from mock_salesforce.ids import IdFactory, to18
from mock_salesforce.models import CUSTOM_TEXT_SLOTS, Base, CustomField, Setting
from mock_salesforce.models import Task as TaskRow
from mock_salesforce.models import User as UserRow
from mock_salesforce.wire import attributes, format_value, naive_utc, parse_date, parse_datetime
from tasksync_common.routing import MOCK_INSTANCE_URL

DEFAULT_INSTANCE_URL = MOCK_INSTANCE_URL
DEFAULT_USERNAME = "admin@example.com"
DEFAULT_PASSWORD = "password"
DEFAULT_TOKEN = "token"
RECYCLE_BIN_DAYS = 15  # deleted rows are purged after 15 days of clock time (reference §2.9)
UPDATED_WINDOW_DAYS = 30  # getUpdated looks back at most 30 days (reference §2.9)
MAX_REPLICATION_IDS = 600_000
LOCATOR_TTL = timedelta(days=2)  # query cursors live 2 days (reference §2.10)
MAX_LOCATORS = 100
SNAPSHOT_MAX = 50_000  # larger result sets page by re-running the query with an offset
COLLECTION_MAX = 200
# The edge guard (mock_core.guard): Salesforce's URI limit is 16,384 bytes (HTTP 414); bodies and JSON
# nesting are bounded by this mock (Salesforce answers a body it cannot parse with JSON_PARSER_ERROR).
SF_GUARD_LIMITS = GuardLimits(max_body_bytes=50 * 1024 * 1024, max_json_depth=64, max_url_bytes=16_384)
INPUT_ERROR_CODES = {
    "url_too_long": "URI_TOO_LONG",
    "body_too_large": "REQUEST_ENTITY_TOO_LARGE",
    "not_utf8": "JSON_PARSER_ERROR",
    "json_too_deep": "JSON_PARSER_ERROR",
    "invalid_unicode": "JSON_PARSER_ERROR",
}


@dataclass
class SessionInfo:
    user_id: str
    issued: datetime
    last_used: datetime


@dataclass
class QueryCursor:
    locator: str
    object_name: str
    fields: list  # soql FieldInfo
    total: int
    batch: int
    expires: datetime
    ids: list[str] | None = None  # the snapshot of matching ids in order
    conds: list = field(default_factory=list)  # for re-running when there is no snapshot
    order_by: list = field(default_factory=list)
    base_offset: int = 0


def _now_naive(clock: Clock) -> datetime:
    return naive_utc(clock.now())


def _minute(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0)


class Org(MockService):
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
                    self.ids.skip_to(prefix, _decode62(top[5:15]))
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

    @contextlib.contextmanager
    def tx(self) -> Iterator[Session]:
        """One short transaction under the org's lock."""
        with self._lock, Session(self.engine, expire_on_commit=False) as s, s.begin():
            yield s

    def now(self) -> datetime:
        """The org's current time: naive UTC, millisecond precision (the storage form)."""
        return _now_naive(self.clock)

    def _rebuild_schemas(self) -> None:
        with self.tx() as s:
            custom = list(s.scalars(select(CustomField)))
        self.schemas: dict[str, SObjectSchema] = build_schemas(
            self.picklists["Status"], self.picklists["Priority"], custom
        )
        self._soql_objects = None

    def schema(self, sobject: str) -> SObjectSchema:
        found = self.schemas.get(sobject.lower())
        if found is None:
            raise E.NotFound()
        return found

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
    ) -> dict:
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
    ) -> dict:
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

    # -- users and sessions ------------------------------------------------------------------------
    def create_user(self, data: dict | None = None, **fields: Any) -> dict:
        """Add a user. Keys (any case): Username (required), FirstName, LastName, Email, Password,
        SecurityToken, IsActive, TimeZoneSidKey."""
        given = {k.lower(): v for k, v in {**(data or {}), **fields}.items()}
        username = given.get("username")
        if not username or not isinstance(username, str):
            raise AdminError("'Username' is required")
        now = self.now()
        first = given.get("firstname")
        last = given.get("lastname") or username.split("@")[0]
        tz = given.get("timezonesidkey", "UTC")
        # The User fields' lengths (as the org's describe and its columns say): PostgreSQL enforces
        # VARCHAR widths where SQLite does not, so both refuse here, as the caller's mistake.
        for key, value, most in (
            ("Username", username, 80),
            ("FirstName", first, 40),
            ("LastName", last, 80),
            ("Email", given.get("email"), 80),
        ):
            if value is not None and (not isinstance(value, str) or len(value) > most or "\x00" in value):
                raise AdminError(f"'{key}' must be text of at most {most} characters")
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(tz)
        except Exception as exc:
            raise AdminError(f"unknown time zone {tz!r}") from exc
        with self.tx() as s:
            if s.scalar(select(UserRow.Id).where(func.lower(UserRow.Username) == username.lower())):
                raise AdminError(f"username {username} is taken", code="conflict", status=409)
            user = UserRow(
                Id=self.ids.new("005"),
                Username=username,
                FirstName=first,
                LastName=last,
                Name=f"{first} {last}" if first else last,
                Email=given.get("email") or username,
                IsActive=bool(given.get("isactive", True)),
                TimeZoneSidKey=tz,
                Password=str(given.get("password", DEFAULT_PASSWORD)),
                SecurityToken=str(given.get("securitytoken", given.get("security_token", DEFAULT_TOKEN))),
                CreatedDate=now,
                LastModifiedDate=now,
                SystemModstamp=now,
            )
            s.add(user)
        return self._user_dict(user)

    def set_user_active(self, user: str, active: bool) -> dict:
        with self.tx() as s:
            row = self._find_user(s, user)
            row.IsActive = bool(active)
            row.LastModifiedDate = row.SystemModstamp = self.now()
        return self._user_dict(row)

    def set_user_password(self, user: str, password: str) -> dict:
        """An admin resets a user's password: the old one stops working and the user's sessions end, so
        a client must log in again (and is refused with the old password)."""
        with self.tx() as s:
            row = self._find_user(s, user)
            row.Password = str(password)
            row.LastModifiedDate = row.SystemModstamp = self.now()
        with self._lock:
            for session_id in [k for k, v in self._sessions.items() if v.user_id == row.Id]:
                del self._sessions[session_id]
        return self._user_dict(row)

    def list_users(self) -> list[dict]:
        with self.tx() as s:
            return [self._user_dict(u) for u in s.scalars(select(UserRow).order_by(UserRow.Id))]

    def default_user(self) -> dict:
        with self.tx() as s:
            return self._user_dict(s.scalars(select(UserRow).order_by(UserRow.Id).limit(1)).one())

    @staticmethod
    def _user_dict(u: UserRow) -> dict:
        return {
            "Id": u.Id,
            "Username": u.Username,
            "Name": u.Name,
            "Email": u.Email,
            "IsActive": u.IsActive,
            "TimeZoneSidKey": u.TimeZoneSidKey,
        }

    def _find_user(self, s: Session, ref: str) -> UserRow:
        row = None
        with contextlib.suppress(ValueError):
            row = s.get(UserRow, to18(ref))
        if row is None and "\x00" not in str(ref):  # no username holds NUL (PostgreSQL cannot compare it)
            row = s.scalar(select(UserRow).where(func.lower(UserRow.Username) == str(ref).lower()))
        if row is None:
            raise AdminError(f"no user {ref!r}", code="not_found", status=404)
        return row

    def check_password(self, username: str, secret: str, *, token_optional: bool = False) -> str | None:
        """The user id when `secret` is password+token (or just the password when allowed)."""
        if "\x00" in username:
            return None  # no username holds NUL (see create_user); PostgreSQL could not compare it
        with self.tx() as s:
            user = s.scalar(select(UserRow).where(func.lower(UserRow.Username) == username.lower()))
        if user is None or not user.IsActive:
            return None
        if secret == user.Password + user.SecurityToken:
            return user.Id
        if token_optional and secret == user.Password:
            return user.Id
        return None

    def new_session(self, user: str | None = None) -> str:
        """Start a session for a user (id or username; default: the default user) and return its id."""
        with self.tx() as s:
            row = (
                self._find_user(s, user) if user else s.scalars(select(UserRow).order_by(UserRow.Id)).first()
            )
        now = self.clock.now()
        session_id = f"{self.org_id[:15]}!{secrets.token_urlsafe(40)}"
        with self._lock:
            self._sessions[session_id] = SessionInfo(row.Id, now, now)
        return session_id

    def new_refresh_token(self, user_id: str) -> str:
        token = f"5Aep{secrets.token_urlsafe(40)}"
        with self._lock:
            self._refresh_tokens[token] = user_id
        return token

    def refresh_token_user(self, token: str) -> str | None:
        return self._refresh_tokens.get(token)

    def revoke(self, token: str) -> bool:
        """End a session (access token) or a refresh token and the sessions of its user; False when
        the token is neither (OAuth revoke, SOAP logout)."""
        with self._lock:
            if token in self._sessions:
                del self._sessions[token]
                return True
            user_id = self._refresh_tokens.pop(token, None)
            if user_id is None:
                return False
            for sid in [k for k, v in self._sessions.items() if v.user_id == user_id]:
                del self._sessions[sid]
            return True

    def authenticate(self, session_id: str | None) -> str:
        """SF-ORG-13: the session's user id; expired or unknown sessions -> INVALID_SESSION_ID (401)."""
        if not session_id:
            raise E.InvalidSession()
        now = self.clock.now()
        with self._lock:
            info = self._sessions.get(session_id)
            if info is None:
                raise E.InvalidSession()
            if now - info.last_used > self.session_ttl:
                del self._sessions[session_id]
                raise E.InvalidSession()
            info.last_used = now
            return info.user_id

    def expire_sessions(self) -> int:
        """End every session now (clients that can log in again will do so on the 401)."""
        with self._lock:
            n = len(self._sessions)
            self._sessions.clear()
        return n

    # -- API allocation ----------------------------------------------------------------------------
    def _roll_api_window(self) -> None:
        now = self.clock.now()
        if now - self._api_window_start >= timedelta(hours=24):
            self._api_window_start = now
            self.api_used = 0

    def count_api_call(self) -> None:
        """SF-ORG-14: count one REST call; when the allocation is spent -> 403 REQUEST_LIMIT_EXCEEDED."""
        with self._lock:
            self._roll_api_window()
            if self.api_used >= self.api_max:
                raise E.RequestLimitExceeded()
            self.api_used += 1

    def set_api_allocation(self, max: int | None = None, used: int | None = None) -> dict:  # noqa: A002
        with self._lock:
            if max is not None:
                if int(max) < 0:
                    raise AdminError("'max' must not be negative")
                self.api_max = int(max)
            if used is not None:
                if int(used) < 0:
                    raise AdminError("'used' must not be negative")
                self.api_used = int(used)
                self._api_window_start = self.clock.now()
            return self.api_allocation()

    def api_allocation(self) -> dict:
        with self._lock:
            self._roll_api_window()
            return {
                "max": self.api_max,
                "used": self.api_used,
                "remaining": max(0, self.api_max - self.api_used),
            }

    def limit_info(self) -> str:
        return f"api-usage={self.api_used}/{self.api_max}"

    # -- MockService hooks -------------------------------------------------------------------------
    def principal(self) -> str | None:
        from flask import g

        return g.get("sf_user_id")

    def counts_as_api_call(self) -> bool:
        from flask import g

        return bool(g.get("sf_counted"))

    def render_input_error(self, exc: InputRejected) -> Response:
        """The edge guard's refusals with Salesforce's codes (docs/salesforce-coverage.md)."""
        code = INPUT_ERROR_CODES.get(exc.kind, "BAD_REQUEST")
        return E.SalesforceError(exc.message, status=exc.status, error_code=code).render()

    def render_error(self, status: int, code: str | None, message: str | None) -> Response:
        error = E.SalesforceError(
            message or f"Injected fault {status}",
            status=status,
            error_code=code or E.STATUS_DEFAULT_CODES.get(status, "UNKNOWN_EXCEPTION"),
        )
        return error.render()

    def extra_fault(self, kind: str, options: dict) -> dict | None:
        if kind == "expire_sessions":
            return {"kind": kind, "expired": self.expire_sessions()}
        if kind == "api_limit":
            try:
                result = self.set_api_allocation(options.get("max"), options.get("used"))
            except (TypeError, ValueError) as exc:
                raise AdminError("'max' and 'used' must be whole numbers") from exc
            return {"kind": kind, **result}
        return None

    def apply_fault(self, fault: Fault) -> Response | None:
        return None

    # -- field values ------------------------------------------------------------------------------
    def _coerce(self, s: Session, fdef: FieldDef, value: Any) -> Any:
        """A JSON value -> the stored value, with Salesforce's errors."""
        name, label = fdef.name, fdef.label
        if value is None:
            return False if fdef.type == "boolean" else None
        if fdef.type in ("string", "combobox", "textarea", "picklist", "email"):
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, int | float):
                value = str(value)
            elif not isinstance(value, str):
                raise E.JsonParserError(
                    f"Cannot deserialize instance of string from "
                    f"{'START_ARRAY' if isinstance(value, list) else 'START_OBJECT'} "
                    f"value for field {name}",
                    fields=[name],
                )
            if value == "":
                return None  # SF-ORG-6: Salesforce stores empty text as null
            if "\x00" in value:  # decided: refused (PostgreSQL cannot store it; SQLite answers the same)
                raise E.JsonParserError(f"{label}: the NUL character (\\u0000) is not allowed", fields=[name])
            if fdef.length and len(value) > fdef.length:
                raise E.StringTooLong(
                    f"{label}: data value too large: {value} (max length={fdef.length})", fields=[name]
                )
            if fdef.restricted and value not in fdef.picklist:
                raise E.RestrictedPicklist(
                    f"{label}: bad value for restricted picklist field: {value}", fields=[name]
                )
            return value
        if fdef.type == "boolean":
            if not isinstance(value, bool):
                raise E.JsonParserError(
                    f"Cannot deserialize instance of boolean from value {value!r} for field {name}",
                    fields=[name],
                )
            return value
        if fdef.type == "date":
            try:
                return parse_date(value) if isinstance(value, str) else _fail()
            except (ValueError, TypeError) as exc:
                raise E.JsonParserError(
                    f"Cannot deserialize value of type `java.util.Date` from String "
                    f'"{value}": expected format "yyyy-MM-dd"',
                    fields=[name],
                ) from exc
        if fdef.type == "datetime":
            try:
                return parse_datetime(value) if isinstance(value, str) else _fail()
            except (ValueError, TypeError) as exc:
                raise E.JsonParserError(
                    f"Cannot deserialize value of type `java.util.Date` from String "
                    f'"{value}": not a valid representation',
                    fields=[name],
                ) from exc
        if fdef.type == "reference":
            if not isinstance(value, str):
                raise E.MalformedId(
                    value, fields=[name], message=f"{label}: id value of incorrect type: {value}"
                )
            try:
                ref = to18(value)
            except ValueError as exc:
                raise E.MalformedId(
                    value, fields=[name], message=f"{label}: id value of incorrect type: {value}"
                ) from exc
            if fdef.reference_to == ("User",):
                user = s.get(UserRow, ref)
                if user is None:
                    raise E.InvalidCrossReference(
                        f"{label}: id value of incorrect type: {value}"
                        if not ref.startswith("005")
                        else "invalid cross reference id",
                        fields=[name],
                    )
                if not user.IsActive and name == "OwnerId":
                    raise E.InactiveOwner(
                        f"operation performed with inactive user [{ref}] as owner of task", fields=[]
                    )
            return ref
        raise E.InvalidField(f"No such column '{name}' on sobject of type Task")

    def _values(
        self, s: Session, schema: SObjectSchema, data: dict, *, creating: bool, skip: tuple[str, ...] = ()
    ) -> dict[FieldDef, Any]:
        """Validate a record body: unknown fields, read-only fields, then each value (SF-ORG-1, SF-ORG-5)."""
        out: dict[FieldDef, Any] = {}
        read_only: list[str] = []
        for key, value in data.items():
            if key == "attributes" or key.lower() in skip:
                continue
            fdef = schema.get(key)
            if fdef is None:
                raise E.InvalidField(f"No such column '{key}' on sobject of type {schema.name}")
            if not (fdef.createable if creating else fdef.updateable):
                read_only.append(fdef.name)
                continue
            out[fdef] = value
        if read_only:
            raise E.InvalidFieldForInsertUpdate.for_fields(read_only)
        return {fdef: self._coerce(s, fdef, value) for fdef, value in out.items()}

    def _apply(
        self,
        s: Session,
        schema: SObjectSchema,
        row: TaskRow,
        values: dict[FieldDef, Any],
        batch_seen: dict | None,
    ) -> None:
        """Check the merged record (required fields, unique values), then write it: nothing is changed
        on the row unless every check passes."""
        final = {fdef.attr: value for fdef, value in values.items()}

        def current(attr: str):
            return final[attr] if attr in final else getattr(row, attr)

        missing = [name for name in ("Status", "Priority", "OwnerId") if current(name) is None]
        if missing:
            raise E.RequiredFieldMissing(missing)
        self._unique_check(s, schema, row.Id, current, batch_seen)
        status_before = row.Status
        for attr, value in final.items():
            setattr(row, attr, value)
        # SF-ORG-3: derived fields (TaskStatus.IsClosed, TaskPriority.IsHighPriority).
        closed = self.picklists["Status"].get("closed", ["Completed"])
        row.IsClosed = row.Status in closed
        row.IsHighPriority = row.Priority in self.picklists["Priority"].get("high", ["High"])
        if row.IsClosed and (status_before is None or status_before not in closed):
            row.CompletedDateTime = self.now()
        elif not row.IsClosed:
            row.CompletedDateTime = None

    def _unique_check(
        self, s: Session, schema: SObjectSchema, row_id: str, current, batch_seen: dict | None
    ) -> None:
        for fdef in schema.fields:
            if not fdef.unique or not fdef.custom:
                continue
            value = current(fdef.attr)
            if value is None:
                continue
            key = value if fdef.case_sensitive else value.lower()
            column = schema.column(fdef)
            expr = column if fdef.case_sensitive else func.lower(column)
            clash = s.scalar(
                select(TaskRow.Id)
                .where(expr == key, TaskRow.IsDeleted.is_(False), TaskRow.Id != row_id)
                .limit(1)
            )
            if batch_seen is not None and not clash:
                other = batch_seen.get((fdef.name, key))
                clash = other if other not in (None, row_id) else None
            if clash:
                raise E.DuplicateValue(
                    f"duplicate value found: {fdef.name} duplicates value on record with id: {clash}",
                    fields=[fdef.name],
                )
        if batch_seen is not None:
            for fdef in schema.fields:
                if fdef.unique and fdef.custom and current(fdef.attr) is not None:
                    value = current(fdef.attr)
                    batch_seen[(fdef.name, value if fdef.case_sensitive else value.lower())] = row_id

    # -- record verbs (inside a transaction) --------------------------------------------------------
    def _create(
        self,
        s: Session,
        schema: SObjectSchema,
        data: dict,
        actor: str,
        batch_seen: dict | None = None,
        extra: dict[FieldDef, Any] | None = None,
    ) -> TaskRow:
        if not schema.writable:
            raise E.InsufficientAccess(f"You do not have permission to create {schema.name} records")
        if any(k.lower() == "id" for k in data):
            raise E.InvalidFieldForInsertUpdate(
                "Record ID: cannot specify Id in an insert call", fields=["Id"]
            )
        values = self._values(s, schema, data, creating=True)
        values.update(extra or {})
        now = self.now()
        row = TaskRow(  # SF-ORG-2: the create defaults
            Id=self.ids.new(schema.key_prefix),
            Status=self.picklists["Status"]["default"],
            Priority=self.picklists["Priority"]["default"],
            OwnerId=actor,
            TaskSubtype="Task",
            IsReminderSet=False,
            IsArchived=False,
            IsDeleted=False,
            CreatedDate=now,
            CreatedById=actor,
            LastModifiedDate=now,
            LastModifiedById=actor,
            SystemModstamp=now,
        )
        self._apply(s, schema, row, values, batch_seen)
        s.add(row)
        return row

    def _update(
        self,
        s: Session,
        schema: SObjectSchema,
        row: TaskRow,
        data: dict,
        actor: str,
        batch_seen: dict | None = None,
        skip: tuple[str, ...] = (),
    ) -> TaskRow:
        if not schema.writable:
            raise E.InsufficientAccess(f"You do not have permission to edit {schema.name} records")
        body_id = next((v for k, v in data.items() if k.lower() == "id"), None)
        if body_id is not None and _safe18(body_id) != row.Id:
            raise E.InvalidFieldForInsertUpdate(
                "Record ID: id value in the body does not match the URL", fields=["Id"]
            )
        values = self._values(s, schema, data, creating=False, skip=("id", *skip))
        self._apply(s, schema, row, values, batch_seen)
        now = self.now()
        row.LastModifiedDate = row.SystemModstamp = now  # SF-ORG-4: every write bumps both (ms precision)
        row.LastModifiedById = actor
        return row

    def _delete(self, s: Session, row: TaskRow, actor: str) -> None:
        now = self.now()
        row.IsDeleted = True
        row.DeletedDate = now
        row.SystemModstamp = now  # SF-ORG-4: a delete bumps SystemModstamp too
        row.LastModifiedById = actor

    def _live_row(self, s: Session, schema: SObjectSchema, record_id: str, *, for_write: bool) -> Any:
        """SF-ORG-8: the row for a path id (404 NOT_FOUND if malformed or foreign; ENTITY_IS_DELETED)."""
        try:
            rid = to18(record_id)
        except ValueError as exc:
            raise E.ExternalIdNotFound(record_id) from exc
        if not rid.startswith(schema.key_prefix):
            raise E.ExternalIdNotFound(record_id)
        row = s.get(schema.model, rid)
        if row is None:
            raise E.EntityIsDeleted() if for_write else E.NotFound()
        if getattr(row, "IsDeleted", False):
            raise E.EntityIsDeleted() if for_write else E.NotFound()
        return row

    def to_record(
        self, schema: SObjectSchema, row: Any, version: str, fields: list[FieldDef] | None = None
    ) -> dict:
        out: dict = {"attributes": attributes(version, schema.name, row.Id)}
        for fdef in fields or schema.fields:
            out[fdef.name] = format_value(fdef.type, getattr(row, fdef.attr))
        return out

    def _select_fields(self, schema: SObjectSchema, names: str | list[str] | None) -> list[FieldDef] | None:
        if not names:
            return None
        parts = names.split(",") if isinstance(names, str) else list(names)
        out = []
        for part in (p.strip() for p in parts):
            if not part:
                continue
            fdef = schema.get(part)
            if fdef is None:
                raise E.InvalidField(
                    f"No such column '{part}' on entity '{schema.name}'. If you are attempting "
                    "to use a custom field, be sure to append the '__c' after the custom field "
                    "name. Please reference your WSDL or the describe call for the appropriate "
                    "names."
                )
            out.append(fdef)
        return out

    # -- REST verbs ------------------------------------------------------------------------------
    def create_record(self, sobject: str, data: dict, actor: str) -> str:
        schema = self.schema(sobject)
        with self.tx() as s:
            return self._create(s, schema, data, actor).Id

    def get_record(self, sobject: str, record_id: str, version: str, fields: str | None = None) -> dict:
        schema = self.schema(sobject)
        selected = self._select_fields(schema, fields)
        with self.tx() as s:
            self._maybe_purge(s)
            row = self._live_row(s, schema, record_id, for_write=False)
            return self.to_record(schema, row, version, selected)

    def update_record(self, sobject: str, record_id: str, data: dict, actor: str) -> None:
        schema = self.schema(sobject)
        with self.tx() as s:
            row = self._live_row(s, schema, record_id, for_write=True)
            self._update(s, schema, row, data, actor)

    def delete_record(self, sobject: str, record_id: str, actor: str) -> None:
        schema = self.schema(sobject)
        if not schema.writable:
            raise E.InsufficientAccess(f"You do not have permission to delete {schema.name} records")
        with self.tx() as s:
            row = self._live_row(s, schema, record_id, for_write=True)
            self._delete(s, row, actor)

    def external_field(self, schema: SObjectSchema, name: str) -> FieldDef:
        fdef = schema.get(name)
        if fdef is None or not (fdef.external_id or fdef.name == "Id"):
            raise E.ExternalIdNotFound(name)
        return fdef

    def _match(self, s: Session, schema: SObjectSchema, fdef: FieldDef, value: str) -> list:
        if fdef.name == "Id":
            try:
                rid = to18(value)
            except ValueError as exc:
                raise E.MalformedId(value) from exc
            row = s.get(schema.model, rid)
            return [row] if row is not None and not row.IsDeleted else []
        if "\x00" in value:
            return []  # no stored value holds NUL (see _coerce); PostgreSQL could not even compare it
        column = schema.column(fdef)
        cond = column == value if fdef.case_sensitive else func.lower(column) == value.lower()
        return list(
            s.scalars(
                select(schema.model).where(cond, schema.model.IsDeleted.is_(False)).order_by(schema.model.Id)
            )
        )

    def get_by_external(
        self, sobject: str, field_name: str, value: str, version: str, fields: str | None = None
    ) -> dict | list[str]:
        """One record, or a list of record URLs when several match (the 300 answer)."""
        schema = self.schema(sobject)
        fdef = self.external_field(schema, field_name)
        selected = self._select_fields(schema, fields)
        with self.tx() as s:
            rows = self._match(s, schema, fdef, value)
            if not rows:
                raise E.NotFound()
            if len(rows) > 1:
                return [attributes(version, schema.name, r.Id)["url"] for r in rows]
            return self.to_record(schema, rows[0], version, selected)

    def upsert(
        self, sobject: str, field_name: str, value: str, data: dict, actor: str, version: str
    ) -> tuple[str, bool] | list[str]:
        """Upsert by external id: (id, created) or the matching record URLs when several match.

        SF-ORG-9 matching (case-insensitive, live rows); SF-ORG-10 the body may repeat the URL value only."""
        schema = self.schema(sobject)
        fdef = self.external_field(schema, field_name)
        body_value = next((v for k, v in data.items() if k.lower() == fdef.name.lower()), None)
        if body_value is not None and fdef.name != "Id" and str(body_value).lower() != value.lower():
            raise E.InvalidField(
                f"The value of the external ID field {fdef.name} in the body must match the value in the URL",
                fields=[fdef.name],
            )
        with self.tx() as s:
            if fdef.name == "Id" and not value:
                return self._create(s, schema, data, actor).Id, True
            rows = self._match(s, schema, fdef, value)
            if len(rows) > 1:
                return [attributes(version, schema.name, r.Id)["url"] for r in rows]
            if rows:
                return self._update(s, schema, rows[0], data, actor, skip=(fdef.name.lower(),)).Id, False
            if fdef.name == "Id":
                raise E.NotFound()
            body = {k: v for k, v in data.items() if k.lower() != fdef.name.lower()}
            return self._create(s, schema, body, actor, extra={fdef: self._coerce(s, fdef, value)}).Id, True

    def delete_by_external(
        self, sobject: str, field_name: str, value: str, actor: str, version: str
    ) -> list[str] | None:
        schema = self.schema(sobject)
        fdef = self.external_field(schema, field_name)
        with self.tx() as s:
            rows = self._match(s, schema, fdef, value)
            if not rows:
                raise E.NotFound()
            if len(rows) > 1:
                return [attributes(version, schema.name, r.Id)["url"] for r in rows]
            self._delete(s, rows[0], actor)
        return None

    # -- sObject Collections (one transaction for up to 200 records) -----------------------------
    def _collection_size(self, n: int) -> None:
        if n > COLLECTION_MAX:
            raise E.ExceededIdLimit(
                "record limit reached. cannot submit more than 200 records into this call"
            )

    def _run_collection(self, items: list, all_or_none: bool, work) -> list[dict]:
        """SF-ORG-11: run `work(s, item, batch_seen) -> result dict` per item in one transaction.

        With allOrNone, one failure rolls all back: failures keep their errors, the others report
        ALL_OR_NONE_OPERATION_ROLLED_BACK.
        """
        results: list[dict] = []
        failed = False
        # autoflush off: the rows go to the database in one flush at commit (fast); duplicates inside
        # the batch are caught by batch_seen, and no row is touched before its checks pass.
        with self._lock, Session(self.engine, expire_on_commit=False, autoflush=False) as s:
            s.begin()
            batch_seen: dict = {}
            for item in items:
                try:
                    results.append(work(s, item, batch_seen))
                except E.SalesforceError as exc:
                    failed = True
                    results.append({"id": None, "success": False, "errors": [exc.to_record_error()]})
            if all_or_none and failed:
                s.rollback()
                rolled = E.RolledBack().to_record_error()
                return [
                    r if not r["success"] else {"id": None, "success": False, "errors": [rolled]}
                    for r in results
                ]
            s.commit()
        return results

    def collection_create(self, records: list, all_or_none: bool, actor: str) -> list[dict]:
        self._collection_size(len(records))

        def work(s, rec, seen):
            schema = self._record_schema(rec)
            row = self._create(s, schema, rec, actor, seen)
            return {"id": row.Id, "success": True, "errors": []}

        return self._run_collection(records, all_or_none, work)

    def collection_update(self, records: list, all_or_none: bool, actor: str) -> list[dict]:
        self._collection_size(len(records))

        def work(s, rec, seen):
            schema = self._record_schema(rec)
            rid = next((v for k, v in rec.items() if k.lower() == "id"), None)
            if not rid:
                raise E.MissingArgument("Id not specified in an update call", fields=[])
            try:
                rid18 = to18(rid)
            except (ValueError, TypeError) as exc:
                raise E.MalformedId(rid, fields=[]) from exc
            row = s.get(schema.model, rid18)
            if row is None or row.IsDeleted or not rid18.startswith(schema.key_prefix):
                raise E.EntityIsDeleted()
            self._update(s, schema, row, rec, actor, seen)
            return {"id": row.Id, "success": True, "errors": []}

        return self._run_collection(records, all_or_none, work)

    def collection_upsert(
        self, sobject: str, field_name: str, records: list, all_or_none: bool, actor: str
    ) -> list[dict]:
        self._collection_size(len(records))
        schema = self.schema(sobject)
        fdef = self.external_field(schema, field_name)
        values = [
            next((v for k, v in r.items() if k.lower() == fdef.name.lower()), None)
            if isinstance(r, dict)
            else None
            for r in records
        ]
        keys = [str(v).lower() if v is not None else None for v in values]
        duplicates = {k for k in keys if k is not None and keys.count(k) > 1}

        def work(s, item, seen):
            rec, value = item
            self._record_schema(rec, expect=schema.name)
            if value is None or value == "":
                raise E.MissingArgument(f"{fdef.name} not specified", fields=[fdef.name])
            if str(value).lower() in duplicates:
                raise E.DuplicateExternalId(f"Duplicate external id specified: {value}", fields=[fdef.name])
            rows = self._match(s, schema, fdef, str(value))
            if len(rows) > 1:
                raise E.DuplicateExternalId(
                    f"{fdef.name}: more than one record found for external id field: "
                    f"[{', '.join(r.Id for r in rows)}]",
                    fields=[fdef.name],
                )
            if rows:
                row = self._update(s, schema, rows[0], rec, actor, seen, skip=(fdef.name.lower(),))
                created = False
            else:
                body = {k: v for k, v in rec.items() if k.lower() != fdef.name.lower()}
                row = self._create(s, schema, body, actor, seen, extra={fdef: self._coerce(s, fdef, value)})
                created = True
            return {"id": row.Id, "success": True, "errors": [], "created": created}

        return self._run_collection(list(zip(records, values, strict=True)), all_or_none, work)

    def collection_delete(self, ids: list[str], all_or_none: bool, actor: str) -> list[dict]:
        self._collection_size(len(ids))

        def work(s, rid, seen):
            try:
                rid18 = to18(rid)
            except ValueError as exc:
                raise E.MalformedId(rid, fields=[]) from exc
            schema = next((sc for sc in self.schemas.values() if rid18.startswith(sc.key_prefix)), None)
            if schema is None:
                raise E.MalformedId(rid, fields=[])
            if not schema.writable:
                raise E.InsufficientAccess(f"You do not have permission to delete {schema.name} records")
            row = s.get(schema.model, rid18)
            if row is None or row.IsDeleted:
                raise E.EntityIsDeleted()
            self._delete(s, row, actor)
            return {"id": row.Id, "success": True, "errors": []}

        return self._run_collection(ids, all_or_none, work)

    def collection_retrieve(
        self, sobject: str, ids: list[str], fields: list[str] | str, version: str
    ) -> list:
        schema = self.schema(sobject)
        selected = self._select_fields(schema, fields)
        if not selected:
            raise E.MissingArgument("fields is required", fields=[])
        if len(ids) > 2000:
            raise E.ExceededIdLimit("Too many ids: at most 2000")
        wanted = {}
        for rid in ids:
            with contextlib.suppress(ValueError, TypeError):
                wanted[rid] = to18(rid)
        with self.tx() as s:
            rows = {
                r.Id: r
                for r in s.scalars(select(schema.model).where(schema.model.Id.in_(set(wanted.values()))))
            }
        out = []
        for rid in ids:
            row = rows.get(wanted.get(rid, ""))
            deleted = getattr(row, "IsDeleted", False)
            out.append(None if row is None or deleted else self.to_record(schema, row, version, selected))
        return out

    def _record_schema(self, rec: Any, expect: str | None = None) -> SObjectSchema:
        if not isinstance(rec, dict):
            raise E.JsonParserError(
                "Cannot deserialize instance of SObject from a non-object record", fields=[]
            )
        attrs = rec.get("attributes")
        kind = attrs.get("type") if isinstance(attrs, dict) else None
        if not kind:
            if expect:
                return self.schema(expect)
            raise E.InvalidType("Must specify a type in attributes", fields=[])
        schema = self.schemas.get(str(kind).lower())
        if schema is None:
            raise E.InvalidType(f"sObject type '{kind}' is not supported.", fields=[])
        if expect and schema.name != expect:
            raise E.InvalidType(f"Expected {expect} but the record says {kind}", fields=[])
        return schema

    # -- recycle bin -----------------------------------------------------------------------------
    def _maybe_purge(self, s: Session) -> None:
        """SF-ORG-12: lazily purge rows deleted over 15 days ago (clock time), at most once a clock minute."""
        now = self.now()
        if self._last_purge is not None and timedelta(0) <= now - self._last_purge < timedelta(minutes=1):
            return
        self._last_purge = now
        s.execute(
            delete(TaskRow).where(
                TaskRow.IsDeleted.is_(True), TaskRow.DeletedDate < now - timedelta(days=RECYCLE_BIN_DAYS)
            )
        )

    def recycle_bin(self) -> list[dict]:
        with self.tx() as s:
            self._maybe_purge(s)
            rows = s.scalars(select(TaskRow).where(TaskRow.IsDeleted.is_(True)).order_by(TaskRow.DeletedDate))
            return [
                {"Id": r.Id, "Subject": r.Subject, "DeletedDate": format_value("datetime", r.DeletedDate)}
                for r in rows
            ]

    def restore(self, task_id: str | list[str]) -> list[str]:
        """Undelete from the recycle bin (bumps SystemModstamp/LastModifiedDate)."""
        ids = [task_id] if isinstance(task_id, str) else list(task_id)
        restored = []
        with self.tx() as s:
            self._maybe_purge(s)
            schema = self.schemas["task"]
            for rid in ids:
                try:
                    row = s.get(TaskRow, to18(rid))
                except ValueError as exc:
                    raise AdminError(f"malformed id {rid}") from exc
                if row is None or not row.IsDeleted:
                    raise AdminError(f"{rid} is not in the recycle bin", code="not_found", status=404)
                try:
                    self._unique_check(s, schema, row.Id, lambda attr, r=row: getattr(r, attr), None)
                except E.DuplicateValue as exc:
                    raise AdminError(exc.message, code="conflict", status=409) from exc
                row.IsDeleted = False
                row.DeletedDate = None
                row.LastModifiedDate = row.SystemModstamp = self.now()
                restored.append(row.Id)
        return restored

    def purge_recycle_bin(self) -> int:
        with self.tx() as s:
            n = s.execute(delete(TaskRow).where(TaskRow.IsDeleted.is_(True))).rowcount
        self._manual_purge_at = self.now()
        return n

    # -- replication (updated / deleted) ------------------------------------------------------------
    def _window(self, start: str | None, end: str | None, days: int) -> tuple[datetime, datetime, datetime]:
        """SF-ORG-17: the replication window, checked the way getUpdated/getDeleted check it."""
        if not start or not end:
            raise E.InvalidReplicationDate(
                "Both start and end are required, e.g. ?start=2026-11-27T00:00:00%2B00:00"
                "&end=2026-11-28T00:00:00%2B00:00"
            )
        parsed = []
        for value in (start, end):
            try:
                parsed.append(_minute(parse_datetime(value)))  # seconds are truncated
            except ValueError as exc:
                raise E.InvalidReplicationDate(
                    f"Unable to parse the date: {value}. Use ISO-8601 with an offset, e.g. "
                    "2026-11-27T00:00:00+00:00"
                ) from exc
        begin, finish = parsed
        now = self.now()
        if finish - begin < timedelta(minutes=1):
            raise E.InvalidReplicationDate("startDate must be at least one minute greater than endDate")
        if begin < _minute(now) - timedelta(days=days):
            raise E.InvalidReplicationDate(f"startDate cannot be more than {days} days ago")
        return begin, finish, min(finish, _minute(now))

    def updated(self, sobject: str, start: str | None, end: str | None) -> dict:
        schema = self.schema(sobject)
        begin, _finish, covered = self._window(start, end, UPDATED_WINDOW_DAYS)
        model = schema.model
        with self.tx() as s:
            stmt = select(model.Id).where(model.SystemModstamp >= begin, model.SystemModstamp < covered)
            if model is TaskRow:
                stmt = stmt.where(TaskRow.IsDeleted.is_(False))
            ids = list(
                s.scalars(stmt.order_by(model.SystemModstamp, model.Id).limit(MAX_REPLICATION_IDS + 1))
            )
        if len(ids) > MAX_REPLICATION_IDS:
            raise E.ExceededIdLimit("There are more than 600,000 ids in the window; use a shorter window")
        return {"ids": ids, "latestDateCovered": format_value("datetime", covered)}

    def deleted(self, sobject: str, start: str | None, end: str | None) -> dict:
        schema = self.schema(sobject)
        begin, _finish, covered = self._window(start, end, RECYCLE_BIN_DAYS)
        now = self.now()
        earliest = _minute(now - timedelta(days=RECYCLE_BIN_DAYS))
        if self._manual_purge_at is not None and self._manual_purge_at > earliest:
            earliest = _minute(self._manual_purge_at)
        if begin < earliest:
            raise E.InvalidReplicationDate(
                "startDate is before earliestDateAvailable "
                f"{format_value('datetime', earliest)}: the recycle bin was purged"
            )
        records: list[dict] = []
        if schema.model is TaskRow:
            with self.tx() as s:
                self._maybe_purge(s)
                rows = s.execute(
                    select(TaskRow.Id, TaskRow.DeletedDate)
                    .where(
                        TaskRow.IsDeleted.is_(True),
                        TaskRow.DeletedDate >= begin,
                        TaskRow.DeletedDate < covered,
                    )
                    .order_by(TaskRow.DeletedDate, TaskRow.Id)
                    .limit(MAX_REPLICATION_IDS + 1)
                ).all()
            if len(rows) > MAX_REPLICATION_IDS:
                raise E.ExceededIdLimit("There are more than 600,000 ids in the window; use a shorter window")
            records = [{"id": rid, "deletedDate": format_value("datetime", when)} for rid, when in rows]
        return {
            "deletedRecords": records,
            "earliestDateAvailable": format_value("datetime", earliest),
            "latestDateCovered": format_value("datetime", covered),
        }

    # -- SOQL query with cursors --------------------------------------------------------------------
    def soql_objects(self) -> dict:
        if self._soql_objects is None:
            from mock_salesforce.soql import FieldInfo, ObjectInfo

            objects = {}
            for key, schema in self.schemas.items():
                infos = {
                    f.name.lower(): FieldInfo(
                        name=f.name,
                        type=SOQL_TYPES.get(f.type, f.type),
                        column=schema.column(f),
                        filterable=f.filterable,
                        sortable=f.sortable,
                    )
                    for f in schema.fields
                }
                objects[key] = ObjectInfo(name=schema.name, fields=infos)
            self._soql_objects = objects
        return self._soql_objects

    def query(
        self, soql: str | None, *, include_deleted: bool, batch_size: int, user_id: str | None, version: str
    ) -> dict:
        from mock_salesforce.soql import SoqlError, compile_soql

        if not soql:
            raise E.MalformedQuery("A query string has to be specified", fields=None)
        if "\x00" in soql:  # decided, as for stored text (see _coerce)
            raise E.MalformedQuery("the NUL character (\\u0000) is not allowed in a query", fields=None)
        tz = "UTC"
        with self.tx() as s:
            if user_id:
                tz = s.scalar(select(UserRow.TimeZoneSidKey).where(UserRow.Id == user_id)) or "UTC"
        try:
            cq = compile_soql(soql, self.soql_objects(), now=self.clock.now(), tz=tz)
        except SoqlError as exc:
            raise E.SalesforceError(exc.message, error_code=exc.error_code) from exc
        schema = self.schemas[cq.object.name.lower()]
        model = schema.model
        conds = [] if cq.where is None else [cq.where]
        if model is TaskRow and not include_deleted:
            conds.append(TaskRow.IsDeleted.is_(False))  # SF-ORG-16: query hides the bin; queryAll shows it
        with self.tx() as s:
            self._maybe_purge(s)
            limited = select(model.Id).where(*conds)
            if cq.limit is not None or cq.offset:
                limited = limited.order_by(*cq.order_by).limit(cq.limit).offset(cq.offset)
            total = s.scalar(select(func.count()).select_from(limited.subquery()))
            if cq.count_only:
                return {"totalSize": total, "done": True, "records": []}
            columns = [fi.column for fi in cq.fields]
            first = min(batch_size, total)
            cursor = None
            if total <= batch_size:
                rows = s.execute(
                    select(*columns, model.Id)
                    .where(*conds)
                    .order_by(*cq.order_by)
                    .limit(cq.limit)
                    .offset(cq.offset)
                ).all()
            else:
                cursor = QueryCursor(
                    self.ids.new("01g"),
                    schema.name,
                    cq.fields,
                    total,
                    batch_size,
                    self.clock.now() + LOCATOR_TTL,
                )
                if total <= SNAPSHOT_MAX:
                    cursor.ids = list(
                        s.scalars(
                            select(model.Id)
                            .where(*conds)
                            .order_by(*cq.order_by)
                            .limit(cq.limit)
                            .offset(cq.offset)
                        )
                    )
                    rows = self._rows_by_ids(s, model, columns, cursor.ids[:first])
                else:
                    # Every page re-runs the query with an offset, so the order must be total: the Id breaks
                    # ties (PostgreSQL's bounded sorts order equal keys differently per LIMIT/OFFSET, and
                    # pages would repeat some rows and miss others).
                    order = [*cq.order_by, model.Id]
                    cursor.conds, cursor.order_by, cursor.base_offset = conds, order, cq.offset or 0
                    rows = s.execute(
                        select(*columns, model.Id)
                        .where(*conds)
                        .order_by(*order)
                        .limit(first)
                        .offset(cursor.base_offset)
                    ).all()
        records = [self._row_record(schema, cq.fields, row, version) for row in rows]
        out: dict = {"totalSize": total, "done": cursor is None}
        if cursor is not None:
            with self._lock:
                self._cursors[cursor.locator] = cursor
                while len(self._cursors) > MAX_LOCATORS:
                    self._cursors.popitem(last=False)
            out["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor.locator}-{first}"
        out["records"] = records
        return out

    def query_more(self, locator: str, version: str) -> dict:
        """SF-ORG-15: the next page of `<locator>-<position>`; unknown or expired -> INVALID_QUERY_LOCATOR."""
        key, _, pos_text = locator.rpartition("-")
        with self._lock:
            cursor = self._cursors.get(key)
            if cursor is not None and self.clock.now() > cursor.expires:
                del self._cursors[key]
                cursor = None
        if cursor is None or not pos_text.isdigit() or int(pos_text) >= cursor.total:
            raise E.InvalidQueryLocator()
        position = int(pos_text)
        schema = self.schemas[cursor.object_name.lower()]
        model = schema.model
        columns = [fi.column for fi in cursor.fields]
        end = min(position + cursor.batch, cursor.total)
        with self.tx() as s:
            if cursor.ids is not None:
                rows = self._rows_by_ids(s, model, columns, cursor.ids[position:end])
            else:
                rows = s.execute(
                    select(*columns, model.Id)
                    .where(*cursor.conds)
                    .order_by(*cursor.order_by)
                    .limit(end - position)
                    .offset(cursor.base_offset + position)
                ).all()
        out: dict = {"totalSize": cursor.total, "done": end >= cursor.total}
        if end < cursor.total:
            out["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor.locator}-{end}"
        out["records"] = [self._row_record(schema, cursor.fields, row, version) for row in rows]
        return out

    @staticmethod
    def _rows_by_ids(s: Session, model, columns: list, ids: list[str]) -> list:
        found = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in s.execute(select(*columns, model.Id).where(model.Id.in_(chunk))):
                found[row[-1]] = row
        return [found[i] for i in ids if i in found]

    @staticmethod
    def _row_record(schema: SObjectSchema, fields: list, row, version: str) -> dict:
        out: dict = {"attributes": attributes(version, schema.name, row[-1])}
        for fi, value in zip(fields, row[:-1], strict=False):
            out[fi.name] = format_value(fi.type, value)
        return out

    # -- seeding -----------------------------------------------------------------------------------
    def seed(
        self,
        count: int,
        seed: int | None = None,
        owner: str | None = None,
        spread_days: float = 0,
        **options: Any,
    ) -> dict:
        """Insert `count` realistic tasks (Faker, reproducible with `seed`), owned by `owner`.

        `spread_days` spreads CreatedDate/SystemModstamp back over that many days (default: all now).
        """
        if options:
            raise AdminError(f"unknown seed option(s): {', '.join(sorted(options))}")
        from faker import Faker

        rng = random.Random(seed)
        fake = Faker()
        fake.seed_instance(seed if seed is not None else rng.randrange(1 << 30))
        people = [fake.name() for _ in range(200)]
        companies = [fake.company() for _ in range(100)]
        sentences = [fake.sentence(nb_words=10) for _ in range(200)]
        templates = [
            "Call {p}",
            "Email {p} about the proposal",
            "Follow up with {p}",
            "Send quote to {c}",
            "Prepare demo for {c}",
            "Check in with {p} ({c})",
            "Book meeting with {p}",
            "Review {c} contract",
        ]
        statuses = self.picklists["Status"]["values"]
        priorities = self.picklists["Priority"]["values"]
        with self.tx() as s:
            owner_id = (
                self._find_user(s, owner).Id
                if owner
                else s.scalars(select(UserRow.Id).order_by(UserRow.Id)).first()
            )
        now = self.now()
        today = self.clock.today()
        closed = set(self.picklists["Status"].get("closed", []))
        high = set(self.picklists["Priority"].get("high", []))
        ids: list[str] = []
        rows = []
        for _ in range(int(count)):
            status = rng.choices(
                statuses, weights=[5, 2, 2, 1, 1][: len(statuses)] + [1] * (len(statuses) - 5)
            )[0]
            priority = rng.choice(priorities)
            stamp = now - timedelta(seconds=rng.uniform(0, spread_days * 86400)) if spread_days else now
            stamp = naive_utc(stamp.replace(tzinfo=UTC))
            due = today + timedelta(days=rng.randint(-10, 20)) if rng.random() < 0.85 else None
            rid = self.ids.new("00T")
            ids.append(rid)
            rows.append(
                {
                    "Id": rid,
                    "Subject": rng.choice(templates).format(p=rng.choice(people), c=rng.choice(companies)),
                    "Status": status,
                    "Priority": priority,
                    "ActivityDate": due,
                    "Description": rng.choice(sentences) if rng.random() < 0.6 else None,
                    "OwnerId": owner_id,
                    "WhoId": None,
                    "WhatId": None,
                    "Type": rng.choice(["Call", "Email", None]),
                    "TaskSubtype": "Task",
                    "IsClosed": status in closed,
                    "IsHighPriority": priority in high,
                    "IsReminderSet": False,
                    "ReminderDateTime": None,
                    "CompletedDateTime": stamp if status in closed else None,
                    "IsArchived": False,
                    "IsDeleted": False,
                    "DeletedDate": None,
                    "CreatedDate": stamp,
                    "CreatedById": owner_id,
                    "LastModifiedDate": stamp,
                    "LastModifiedById": owner_id,
                    "SystemModstamp": stamp,
                }
            )
            if len(rows) >= 5000:
                with self.tx() as s:
                    s.connection().execute(insert(TaskRow.__table__), rows)  # Core executemany: fast
                rows = []
        if rows:
            with self.tx() as s:
                s.connection().execute(insert(TaskRow.__table__), rows)  # Core executemany: fast
        if self.engine.dialect.name == "postgresql" and len(ids) >= 10_000:
            # Fresh planner statistics after a bulk load: otherwise PostgreSQL plans the next reads for
            # an empty table (bitmap scan + sort of every row) until autovacuum gets to analyze it.
            with self.tx() as s:
                s.execute(text("ANALYZE sf_task"))
        out: dict = {"created": len(ids), "owner": owner_id}
        if len(ids) <= 1000:
            out["ids"] = ids
        return out

    def count_tasks(self, include_deleted: bool = False) -> int:
        with self.tx() as s:
            stmt = select(func.count()).select_from(TaskRow)
            if not include_deleted:
                stmt = stmt.where(TaskRow.IsDeleted.is_(False))
            return s.scalar(stmt)

    def get_task(self, task_id: str) -> dict | None:
        """The stored task (including the recycle bin) as the API would show it, or None."""
        with self.tx() as s:
            row = s.get(TaskRow, to18(task_id))
            return None if row is None else self.to_record(self.schemas["task"], row, "59.0")

    def organization(self) -> dict:
        return {"Id": self.org_id, "InstanceUrl": self.instance_url}


def _fail():
    raise TypeError


def _safe18(value: Any) -> str | None:
    try:
        return to18(value)
    except (ValueError, TypeError):
        return None


_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _decode62(text: str) -> int:
    n = 0
    for ch in text:
        n = n * 62 + _B62.index(ch)
    return n


def today_in(tz: str, now: datetime) -> date:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(tz)).date()
