"""The SIA mock's domain verbs over its tables. No HTTP here: routes call these and render the result.

Every verb runs in one short transaction under one lock (the in-memory SQLite database is a single
connection shared by all server threads). Times come from the injected clock, as epoch milliseconds.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import secrets
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker
from werkzeug.security import check_password_hash, generate_password_hash

from mock_core.clock import Clock
from mock_sia.errors import BadRequest, Conflict, Forbidden, NotFound, SiaError, ValidationFailed
from mock_sia.models import (
    ApiToken,
    Base,
    IdempotencyKey,
    InstanceSetting,
    PageSession,
    SalesforceConnection,
    Task,
    TaskSyncSetting,
    User,
)
from mock_sia.template import (
    DEFAULT_TEMPLATE,
    DYNAMIC_FIELDS,
    TemplateError,
    render_subject,
    validate_template,
)
from mock_sia.wire import (
    BATCH_MAX,
    EMAIL,
    ROLES,
    SUBJECT_TEMPLATE_KEY,
    TASK_TYPES,
    body_hash,
    clean_task_fields,
    connection_to_dict,
    encode_cursor,
    ms_to_iso,
    no_nul,
    parse_task_id,
    parse_user_id,
    sync_to_dict,
    task_to_dict,
    text_field,
    to_ms,
    zone,
)

# What a fresh sandbox instance holds (SEED_DEFAULTS): fixed, printed, well-known tokens.
DEFAULT_SERVICE_TOKEN = "sia-service-token"
DEFAULT_USERS = (
    {
        "name": "Ada Admin",
        "email": "admin@sia.example",
        "time_zone": "Europe/Berlin",
        "role": "admin",
        "api_token": "sia-admin-token",
    },
    {
        "name": "Ann Jones",
        "email": "ann@sia.example",
        "time_zone": "America/New_York",
        "role": "user",
        "api_token": "sia-ann-token",
    },
)


@dataclass(frozen=True)
class UserInfo:
    """A user as the request layer sees it (detached from any session)."""

    pk: int
    id: str
    name: str
    email: str
    time_zone: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "time_zone": self.time_zone,
            "role": self.role,
        }


@dataclass(frozen=True)
class ListQuery:
    updated_since_ms: int | None = None
    include_deleted: bool = False
    status: str | None = None
    due_before: date | None = None
    due_after: date | None = None
    limit: int = 100
    cursor: tuple[int, int] | None = None
    after: tuple[int, int] | None = None  # keyset start: (updated_at, id) strictly greater than this


# Cursors carry a MAC so a hand-made or altered one is refused (400), as the API document says.


def default_password(email: str) -> str:
    """A user made without a password signs in with `NAME-password` (`ann@sia.example` -> `ann-password`)."""
    return f"{email.split('@', 1)[0].lower()}-password"


def hash_password(password: str) -> str:
    # pbkdf2 with a modest work factor: a mock's users sign in often in tests.
    return generate_password_hash(password, method="pbkdf2:sha256:20000")


class SiaStore:
    """The domain verbs of one SIA instance over one database."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.lock = threading.RLock()
        Base.metadata.create_all(engine)

    @contextlib.contextmanager
    def tx(self) -> Iterator[Session]:
        with self.lock, self._sessions.begin() as session:
            yield session

    def now_ms(self) -> int:
        return to_ms(self.clock.now())

    def wipe(self) -> None:
        with self.lock:
            Base.metadata.drop_all(self.engine)
            Base.metadata.create_all(self.engine)

    # -- users ------------------------------------------------------------------------------------
    def user_count(self) -> int:
        with self.tx() as s:
            return s.scalar(select(func.count()).select_from(User)) or 0

    def create_user(
        self,
        name: Any,
        email: Any,
        time_zone: Any = "UTC",
        role: Any = "user",
        api_token: str | None = None,
        password: Any = None,
    ) -> dict:
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise ValidationFailed("'name' is required (1..255 characters)", field="name")
        no_nul(name, "name")
        if not isinstance(email, str) or not EMAIL.match(email) or len(email) > 255:
            raise ValidationFailed("'email' must be an e-mail address", field="email")
        zone(time_zone)
        if role not in ROLES:
            raise ValidationFailed("'role' must be user or admin", field="role")
        if api_token is not None and (not isinstance(api_token, str) or not 8 <= len(api_token) <= 128):
            raise ValidationFailed("'api_token' must be 8..128 characters", field="api_token")
        if password is not None and (not isinstance(password, str) or not 8 <= len(password) <= 128):
            raise ValidationFailed("'password' must be 8..128 characters", field="password")
        token = api_token or "sia_" + secrets.token_urlsafe(24)
        password_hash = hash_password(password if password is not None else default_password(email))
        now = self.now_ms()
        try:
            with self.tx() as s:
                if s.scalar(select(User.pk).where(func.lower(User.email) == email.lower())) is not None:
                    raise Conflict(f"a user with e-mail {email} exists", field="email")
                if s.get(ApiToken, token) is not None:
                    raise Conflict("that API token is taken", field="api_token")
                user = User(
                    name=name.strip(),
                    email=email,
                    time_zone=time_zone,
                    role=role,
                    created_ms=now,
                    password_hash=password_hash,
                )
                user.tokens.append(ApiToken(token=token, created_ms=now))
                s.add(user)
                s.flush()
                return self._user_dict(user, token)
        except IntegrityError as exc:  # a racing duplicate
            raise Conflict("that user or token exists") from exc

    def _user_dict(self, user: User, token: str | None = None) -> dict:
        out = UserInfo(user.pk, user.public_id, user.name, user.email, user.time_zone, user.role).to_dict()
        out["api_token"] = token if token is not None else (user.tokens[0].token if user.tokens else None)
        out["task_sync"] = sync_to_dict(user.task_sync)
        out["salesforce_connected"] = user.salesforce is not None
        return out

    def list_users(self) -> list[dict]:
        with self.tx() as s:
            return [self._user_dict(u) for u in s.scalars(select(User).order_by(User.pk))]

    def update_user(self, user: UserInfo, data: Any) -> dict:
        """A user's own profile: `name` and `time_zone` (the zone the Command Center uses, R6.1)."""
        if not isinstance(data, Mapping):
            raise ValidationFailed("the body must be a JSON object")
        for key in data:
            if key not in ("name", "time_zone"):
                raise ValidationFailed(f"'{key}' cannot be changed here", field=key)
        if "name" in data and (
            not isinstance(data["name"], str) or not data["name"].strip() or len(data["name"]) > 255
        ):
            raise ValidationFailed("'name' must be 1..255 characters", field="name")
        if "name" in data:
            no_nul(data["name"], "name")
        if "time_zone" in data:
            zone(data["time_zone"])
        with self.tx() as s:
            row = s.get(User, user.pk)
            if row is None:
                raise NotFound(f"no user {user.id}", field="user_id")
            if "name" in data:
                row.name = data["name"].strip()
            if "time_zone" in data:
                row.time_zone = data["time_zone"]
            return self._info(row).to_dict()

    def user_by_token(self, token: str) -> UserInfo | None:
        with self.tx() as s:
            row = s.get(ApiToken, token)
            return None if row is None else self._info(row.user)

    def user_by_id(self, user_id: str) -> UserInfo | None:
        pk = parse_user_id(user_id)
        if pk is None:
            return None
        with self.tx() as s:
            user = s.get(User, pk)
            return None if user is None else self._info(user)

    def user_by_email(self, email: str) -> UserInfo | None:
        with self.tx() as s:
            user = s.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
            return None if user is None else self._info(user)

    # -- the login page: passwords and server-side sessions -------------------------------------------
    def check_password(self, email: str, password: str) -> UserInfo | None:
        """The user whose e-mail and page password these are, else None."""
        with self.tx() as s:
            user = s.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
            if user is None or not user.password_hash:
                return None
            if not check_password_hash(user.password_hash, password or ""):
                return None
            return self._info(user)

    def open_page_session(self, user: UserInfo) -> str:
        sid = secrets.token_urlsafe(32)
        with self.tx() as s:
            s.add(PageSession(sid=sid, user_pk=user.pk, created_ms=self.now_ms()))
        return sid

    def page_session_user(self, sid: str | None) -> UserInfo | None:
        if not sid or not isinstance(sid, str):
            return None
        with self.tx() as s:
            row = s.get(PageSession, sid)
            user = None if row is None else s.get(User, row.user_pk)
            return None if user is None else self._info(user)

    def close_page_session(self, sid: str | None) -> None:
        if sid and isinstance(sid, str):
            with self.tx() as s:
                s.execute(delete(PageSession).where(PageSession.sid == sid))

    @staticmethod
    def _info(user: User) -> UserInfo:
        return UserInfo(user.pk, user.public_id, user.name, user.email, user.time_zone, user.role)

    # -- tasks ------------------------------------------------------------------------------------
    def _own_task(self, s: Session, user: UserInfo, task_id: str, *, include_deleted: bool = False) -> Task:
        """The user's task, else 404 — also for another user's id, which must stay invisible (R1.4)."""
        pk = parse_task_id(task_id)
        task = s.get(Task, pk) if pk is not None else None
        if task is None or task.user_pk != user.pk or (task.deleted_ms is not None and not include_deleted):
            raise NotFound(f"no task {task_id}", field="id")
        return task

    def _touch(self, task: Task) -> None:
        """`updated_at` never goes backwards and always moves: +1 ms within the same millisecond."""
        task.updated_ms = max(self.now_ms(), task.updated_ms + 1)

    def get_task(self, user: UserInfo, task_id: str, include_deleted: bool = False) -> dict:
        with self.tx() as s:
            return task_to_dict(self._own_task(s, user, task_id, include_deleted=include_deleted), user.id)

    def list_tasks(self, user: UserInfo, query: ListQuery) -> tuple[list[dict], str | None]:
        """Ordered by (updated_at, id); keyset paging so ties on updated_at never skip or repeat."""
        stmt = select(Task).where(Task.user_pk == user.pk)
        if not query.include_deleted:
            stmt = stmt.where(Task.deleted_ms.is_(None))
        if query.updated_since_ms is not None:
            stmt = stmt.where(Task.updated_ms >= query.updated_since_ms)
        if query.status:
            stmt = stmt.where(Task.status == query.status)
        if query.due_before:
            stmt = stmt.where(Task.due_date <= query.due_before)
        if query.due_after:
            stmt = stmt.where(Task.due_date >= query.due_after)
        for bound in (query.after, query.cursor):  # both strict keyset bounds on (updated_at, id)
            if bound:
                updated_ms, pk = bound
                stmt = stmt.where(
                    or_(Task.updated_ms > updated_ms, and_(Task.updated_ms == updated_ms, Task.pk > pk))
                )
        stmt = stmt.order_by(Task.updated_ms, Task.pk).limit(query.limit + 1)
        with self.tx() as s:
            rows = list(s.scalars(stmt))
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        next_cursor = encode_cursor(rows[-1].updated_ms, rows[-1].pk) if more and rows else None
        return [task_to_dict(t, user.id) for t in rows], next_cursor

    def create_task(self, user: UserInfo, data: Any, idempotency_key: str | None = None) -> dict:
        """Create a task; with an Idempotency-Key the same key gives the first result, never a second task."""
        result = self.batch(
            user, [{"op": "create", "data": data, "idempotency_key": idempotency_key}], single=True
        )
        return result[0]["data"]

    def update_task(self, user: UserInfo, task_id: str, data: Any) -> dict:
        fields = clean_task_fields(data, partial=True)
        with self.tx() as s:
            return self._update_in(s, user, task_id, fields)

    def _update_in(self, s: Session, user: UserInfo, task_id: str, fields: dict) -> dict:
        task = self._own_task(s, user, task_id)
        for key, value in fields.items():
            setattr(task, key, value)
        self._touch(task)  # a PATCH always moves updated_at, even when nothing changed
        return task_to_dict(task, user.id)

    def delete_task(self, user: UserInfo, task_id: str) -> None:
        with self.tx() as s:
            self._delete_in(s, user, task_id)

    def _delete_in(self, s: Session, user: UserInfo, task_id: str) -> None:
        """Tombstone the task (R6.2: gone from the Command Center; still listed with include_deleted).

        Deleting an already deleted task of one's own succeeds again without changing it (retries).
        """
        task = self._own_task(s, user, task_id, include_deleted=True)
        if task.deleted_ms is None:
            self._touch(task)
            task.deleted_ms = task.updated_ms

    def batch(self, user: UserInfo, operations: Any, *, single: bool = False) -> list[dict]:
        """Up to 200 creates/updates/deletes; each item is independent and answered in request order.

        Set-based (issue 9): one transaction and a few statements per batch - the tasks the updates and
        deletes name and the idempotency keys the creates carry are read with one SELECT each, the new
        tasks go in with one flush, their keys with another. Each item still fails alone: every check
        runs before the item changes anything. `single` is `create_task`'s path (its errors raise)."""
        if not isinstance(operations, list):
            raise ValidationFailed("'operations' must be a list", field="operations")
        if not 1 <= len(operations) <= BATCH_MAX:
            raise ValidationFailed(f"'operations' must hold 1..{BATCH_MAX} items", field="operations")
        parsed: list[tuple | SiaError] = []
        for op in operations:
            try:
                parsed.append(self._parse_op(op, single))
            except SiaError as exc:
                if single:
                    raise
                parsed.append(exc)
        results: list[dict] = [{} for _ in parsed]
        with self.tx() as s:
            pks = {parse_task_id(p[1]) for p in parsed if isinstance(p, tuple) and p[0] != "create"}
            if pks - {None}:
                # into the identity map, which holds rows weakly: s.info keeps them for the batch
                s.info["held"] = list(s.scalars(select(Task).where(Task.pk.in_(pks - {None}))))
            keys = {p[3] for p in parsed if isinstance(p, tuple) and p[0] == "create" and p[3] is not None}
            known: dict[str, tuple[str, int | None]] = {}  # key -> (body hash, the result's index or None)
            stored: dict[str, str] = {}  # key -> the stored first answer
            if keys:
                for row in s.scalars(
                    select(IdempotencyKey).where(
                        IdempotencyKey.user_pk == user.pk, IdempotencyKey.key.in_(keys)
                    )
                ):
                    known[row.key], stored[row.key] = (row.body_hash, None), row.response_json
            created: list[tuple[int, Task, str | None, str]] = []
            replays: list[tuple[int, int]] = []
            s.autoflush = False  # the new rows go in together below, not one by one
            for i, item in enumerate(parsed):
                try:
                    if isinstance(item, SiaError):
                        raise item
                    kind, task_id, fields, key, data = item
                    if kind == "update":
                        results[i] = {"status": 200, "data": self._update_in(s, user, task_id, fields)}
                    elif kind == "delete":
                        self._delete_in(s, user, task_id)
                        results[i] = {"status": 204, "id": task_id}
                    else:
                        digest = body_hash(data) if key is not None else ""
                        if key is not None and key in known:
                            first_hash, first = known[key]
                            if first_hash != digest:
                                raise Conflict(
                                    "this Idempotency-Key was used with a different body",
                                    field="Idempotency-Key",
                                )
                            if first is None:
                                results[i] = {"status": 201, "data": json.loads(stored[key])}
                            else:
                                replays.append((i, first))
                            continue
                        now = self.now_ms()
                        task = Task(user_pk=user.pk, created_ms=now, updated_ms=now, **fields)
                        s.add(task)
                        created.append((i, task, key, digest))
                        if key is not None:
                            known[key] = (digest, i)
                except SiaError as exc:
                    if single:
                        raise
                    results[i] = {"status": exc.status, "error": exc.to_dict()["error"]}
            if created:
                if self.engine.dialect.name == "sqlite":
                    # SQLite cannot say which new rowid belongs to which row of a multi-row INSERT, so
                    # SQLAlchemy would insert one row at a time: number them here as SQLite would (max +
                    # 1; we hold the lock), and the rows go in with one executemany.
                    with s.no_autoflush:
                        top = s.scalar(select(func.max(Task.pk))) or 0
                    for n, (_, task, _, _) in enumerate(created, start=1):
                        task.pk = top + n
                s.flush()  # one INSERT for the batch's new tasks (PostgreSQL: one INSERT .. RETURNING)
                keyed = []
                for i, task, key, digest in created:
                    out = task_to_dict(task, user.id)
                    results[i] = {"status": 201, "data": out}
                    if key is not None:
                        keyed.append(
                            {
                                "user_pk": user.pk,
                                "key": key,
                                "body_hash": digest,
                                "task_pk": task.pk,
                                "response_json": json.dumps(out),
                                "created_ms": task.created_ms,
                            }
                        )
                if keyed:
                    s.execute(insert(IdempotencyKey), keyed)  # one executemany
            for i, first in replays:
                results[i] = {"status": 201, "data": json.loads(json.dumps(results[first]["data"]))}
        return results

    @staticmethod
    def _parse_op(op: Any, single: bool) -> tuple:
        """An operation's shape and body checked: (kind, task id, clean fields, idempotency key, data)."""
        if single:
            key = op.get("idempotency_key")
            if key is not None and (not key.strip() or len(key) > 255):
                raise BadRequest("'Idempotency-Key' must be 1..255 characters", field="Idempotency-Key")
            return ("create", None, clean_task_fields(op.get("data"), partial=False), key, op.get("data"))
        if not isinstance(op, Mapping):
            raise ValidationFailed("an operation must be a JSON object", field="op")
        unknown = set(op) - {"op", "id", "data", "idempotency_key"}
        if unknown:
            first = sorted(unknown)[0]
            raise ValidationFailed(f"unknown operation key '{first}'", field=first)
        kind = op.get("op")
        if kind == "create":
            key = op.get("idempotency_key")
            if key is not None and not isinstance(key, str):
                raise ValidationFailed("'idempotency_key' must be a string", field="idempotency_key")
            if key is not None and (not key.strip() or len(key) > 255):
                raise BadRequest("'Idempotency-Key' must be 1..255 characters", field="Idempotency-Key")
            return ("create", None, clean_task_fields(op.get("data"), partial=False), key, op.get("data"))
        if kind in ("update", "delete"):
            if not isinstance(op.get("id"), str):
                raise ValidationFailed(f"'{kind}' needs the task 'id'", field="id")
            fields = clean_task_fields(op.get("data"), partial=True) if kind == "update" else {}
            return (kind, op["id"], fields, None, op.get("data"))
        raise ValidationFailed("'op' must be create, update or delete", field="op")

    # -- the Command Center (R6) ------------------------------------------------------------------
    def command_center(self, user: UserInfo) -> dict:
        """R6.1: open tasks due today and tomorrow in the user's own time zone; R6.2: never deleted ones."""
        today = self.clock.today(zone(user.time_zone))
        tomorrow = today + timedelta(days=1)
        stmt = (
            select(Task)
            .where(
                Task.user_pk == user.pk,
                Task.deleted_ms.is_(None),
                Task.status == "open",
                Task.due_date.in_([today, tomorrow]),
            )
            .order_by(Task.due_date, Task.created_ms, Task.pk)
        )
        with self.tx() as s:
            rows = list(s.scalars(stmt))
        # High priority first within a day, then by creation.
        rows.sort(key=lambda t: (t.due_date, t.priority != "high", t.created_ms, t.pk))
        return {
            "date": today.isoformat(),
            "time_zone": user.time_zone,
            "today": [task_to_dict(t, user.id) for t in rows if t.due_date == today],
            "tomorrow": [task_to_dict(t, user.id) for t in rows if t.due_date == tomorrow],
        }

    # -- settings: task sync (R1.1, R1.3) ------------------------------------------------------------
    def get_task_sync(self, user: UserInfo) -> dict:
        with self.tx() as s:
            return sync_to_dict(s.get(TaskSyncSetting, user.pk))

    def set_task_sync(self, user: UserInfo, enabled: Any) -> dict:
        """R1.1: saving `enabled=true` starts sync; the first time is kept (first_enabled_at), every
        off->on moves last_enabled_at; R1.3: off records last_disabled_at. Needs a Salesforce connection."""
        if not isinstance(enabled, bool):
            raise ValidationFailed("'enabled' must be true or false", field="enabled")
        with self.tx() as s:
            setting = s.get(TaskSyncSetting, user.pk)
            if setting is None:
                setting = TaskSyncSetting(user_pk=user.pk, enabled=False)
                s.add(setting)
            now = self.now_ms()
            if enabled and not setting.enabled:
                if s.get(SalesforceConnection, user.pk) is None:
                    # A conflict with the user's state, not a malformed body (the body is valid).
                    raise Conflict("connect Salesforce before switching task sync on", field="enabled")
                setting.enabled = True
                setting.first_enabled_ms = setting.first_enabled_ms or now
                setting.last_enabled_ms = now
            elif not enabled and setting.enabled:
                setting.enabled = False
                setting.last_disabled_ms = now
            s.flush()
            return sync_to_dict(setting)

    # -- settings: the Salesforce connection (R1.1, R1.4) ----------------------------------------------
    def get_salesforce(self, user: UserInfo) -> dict:
        with self.tx() as s:
            return connection_to_dict(s.get(SalesforceConnection, user.pk))

    def connect_salesforce(self, user: UserInfo, data: Any) -> dict:
        """R1.1: one connection per user; connecting again replaces it."""
        if not isinstance(data, Mapping):
            raise ValidationFailed("the body must be a JSON object")
        allowed = {"instance_url", "username", "password", "security_token", "salesforce_user_id"}
        for key in data:
            if key not in allowed:
                raise ValidationFailed(f"unknown field '{key}'", field=key)
        url = data.get("instance_url")
        try:
            parts = urlsplit(url) if isinstance(url, str) else None
            _ = parts.port if parts is not None else None  # a port beyond 65535 raises ValueError
        except ValueError:  # https://[::1/ (an unclosed IPv6 bracket), port 99999999
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationFailed("'instance_url' must be an http(s) URL", field="instance_url")
        text_field(data, "instance_url", 500)  # the column's width, checked before the database does
        username = text_field(data, "username", 255, required=True)
        password = text_field(data, "password", 255, required=True)
        if not username.strip():
            raise ValidationFailed("'username' must not be blank", field="username")
        if not password:
            raise ValidationFailed("'password' must not be empty", field="password")
        security_token = text_field(data, "security_token", 255) or ""
        sf_user = data.get("salesforce_user_id")
        if sf_user is not None and (
            not isinstance(sf_user, str)
            or not re.fullmatch(r"005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?", sf_user)
        ):
            raise ValidationFailed(
                "'salesforce_user_id' must be a Salesforce user id (005...)", field="salesforce_user_id"
            )
        with self.tx() as s:
            conn = s.get(SalesforceConnection, user.pk)
            if conn is None:
                conn = SalesforceConnection(user_pk=user.pk)
                s.add(conn)
            conn.instance_url = url.rstrip("/")
            conn.username = username
            conn.password = password
            conn.security_token = security_token
            conn.salesforce_user_id = sf_user
            conn.connected_ms = self.now_ms()
            s.flush()
            return connection_to_dict(conn)

    def disconnect_salesforce(self, user: UserInfo) -> dict:
        """Disconnecting switches task sync off (there is nothing left to sync with)."""
        with self.tx() as s:
            conn = s.get(SalesforceConnection, user.pk)
            if conn is not None:
                s.delete(conn)
            setting = s.get(TaskSyncSetting, user.pk)
            if setting is not None and setting.enabled:
                setting.enabled = False
                setting.last_disabled_ms = self.now_ms()
        return connection_to_dict(None)

    # -- settings: the subject template (R5.1a) ---------------------------------------------------------
    def get_subject_template(self) -> dict:
        with self.tx() as s:
            row = s.get(InstanceSetting, SUBJECT_TEMPLATE_KEY)
        custom = row.value if row is not None else None
        return {
            "template": custom if custom is not None else DEFAULT_TEMPLATE,
            "is_default": custom is None,
            "fields": list(DYNAMIC_FIELDS),
            "updated_at": ms_to_iso(row.updated_ms) if row else None,
        }

    def subject_template_text(self) -> str:
        return self.get_subject_template()["template"]

    def set_subject_template(self, user: UserInfo | None, template: Any) -> dict:
        """R5.1a: admins only; an unknown `{{field}}` is rejected; null restores the default."""
        if user is not None and not user.is_admin:
            raise Forbidden("only an admin may change the subject template")
        if template is not None:
            check_template(template)
            no_nul(template, "template")
        with self.tx() as s:
            row = s.get(InstanceSetting, SUBJECT_TEMPLATE_KEY)
            if row is None:
                row = InstanceSetting(key=SUBJECT_TEMPLATE_KEY)
                s.add(row)
            row.value = template
            row.updated_ms = self.now_ms()
        return self.get_subject_template()

    def preview_subject(self, user: UserInfo, template: Any, task: Any, task_id: Any = None) -> dict:
        if template is None:
            template = self.subject_template_text()
        else:
            check_template(template)
        if task_id is not None:
            if not isinstance(task_id, str):
                raise ValidationFailed("'task_id' must be a task id", field="task_id")
            task = self.get_task(user, task_id)
        elif task is None:
            task = {}
        if not isinstance(task, Mapping):
            raise ValidationFailed("'task' must be a JSON object", field="task")
        return {"template": template, "subject": render_subject(template, task)}

    # -- service view ---------------------------------------------------------------------------------------
    def sync_users(self) -> list[dict]:
        """Every user with task sync on, with the connection the sync needs (secrets included)."""
        stmt = (
            select(User)
            .join(TaskSyncSetting, TaskSyncSetting.user_pk == User.pk)
            .where(TaskSyncSetting.enabled.is_(True))
            .order_by(User.pk)
            # 3 queries, not 1 + 2 per user: a fleet's workers read this list for thousands of reps
            .options(selectinload(User.salesforce), selectinload(User.task_sync))
        )
        with self.tx() as s:
            out = []
            for user in s.scalars(stmt):
                conn = user.salesforce
                salesforce = None
                if conn is not None:
                    salesforce = {
                        "instance_url": conn.instance_url,
                        "username": conn.username,
                        "password": conn.password,
                        "security_token": conn.security_token,
                        "salesforce_user_id": conn.salesforce_user_id,
                    }
                out.append(
                    {
                        "user_id": user.public_id,
                        "email": user.email,
                        "name": user.name,
                        "time_zone": user.time_zone,
                        "task_sync": sync_to_dict(user.task_sync),
                        "salesforce": salesforce,
                    }
                )
            return out

    # -- seeding --------------------------------------------------------------------------------------------
    def seed_tasks(self, user: UserInfo, count: int, seed: int | None) -> list[str]:
        """`count` plausible tasks for `user` (Faker; the same seed gives the same tasks)."""
        from faker import Faker  # here: importing Faker costs ~0.3 s, and only seeding needs it

        fake = Faker()
        fake.seed_instance(seed)
        rng = random.Random(seed)
        today = self.clock.today(zone(user.time_zone))
        ids = []
        for _ in range(count):
            kind = rng.choice(TASK_TYPES)
            person = fake.name()
            name = {
                "email": f"Email {person}",
                "call": f"Call {person}",
                "inmail": f"InMail {person}",
                "custom": f"{fake.bs().capitalize()} for {person}",
            }[kind]
            offset = rng.randint(-5, 10)
            data: dict[str, Any] = {
                "type": kind,
                "name": name,
                "status": "complete" if rng.random() < 0.15 else "open",
                "priority": "high" if rng.random() < 0.25 else "normal",
                "due_date": None if rng.random() < 0.1 else (today + timedelta(days=offset)).isoformat(),
                "details": fake.paragraph(nb_sentences=2),
            }
            if rng.random() < 0.3:
                data.update(
                    sales_campaign_name=f"{fake.catch_phrase()} campaign",
                    sales_campaign_day=rng.randint(1, 20),
                    sales_campaign_step=rng.randint(1, 8),
                )
            if kind == "call" and rng.random() < 0.5:
                data.update(call_reason=rng.choice(["Follow-up", "Discovery", "Renewal", "Demo"]))
            ids.append(self.create_task(user, data)["id"])
        return ids


def check_template(template: Any) -> None:
    """`validate_template` with its error turned into a 422 naming the offending field (R5.1a)."""
    if not isinstance(template, str):
        raise ValidationFailed("'template' must be a string or null", field="template")
    try:
        validate_template(template)
    except TemplateError as exc:
        raise ValidationFailed(exc.message, field=exc.field or "template") from exc
