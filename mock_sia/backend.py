"""The SIA mock's backend: one per app, kept in `app.extensions["sia"]`, with a Python API that
mirrors the control plane (for test harnesses) on top of the domain verbs in `store.py`."""

from __future__ import annotations

import math
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from mock_core.clock import Clock
from mock_core.db import make_engine
from mock_core.service import MockService
from mock_sia.errors import NotFound, SiaError, ValidationFailed
from mock_sia.models import Base
from mock_sia.store import DEFAULT_SERVICE_TOKEN, DEFAULT_USERS, ListQuery, SiaStore, UserInfo
from mock_sia.wire import decode_cursor


class LoginThrottle:
    """Per-account throttling of the login page: after `max_failures` wrong passwords in a row an
    account is locked for `lock_seconds` of clock time (answered 429 with Retry-After)."""

    def __init__(self, clock: Clock, max_failures: int = 5, lock_seconds: int = 300) -> None:
        self.clock = clock
        self.max_failures = max_failures
        self.lock_seconds = lock_seconds
        self._failures: dict[str, int] = {}
        self._locked_until: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def retry_after(self, account: str) -> int:
        """Seconds until `account` may try again (0: now)."""
        with self._lock:
            until = self._locked_until.get(account.lower())
            if until is None:
                return 0
            left = (until - self.clock.now()).total_seconds()
            if left <= 0:
                self._locked_until.pop(account.lower(), None)
                self._failures.pop(account.lower(), None)
                return 0
            return max(1, math.ceil(left))

    def failed(self, account: str) -> None:
        key = account.lower()
        with self._lock:
            self._failures[key] = self._failures.get(key, 0) + 1
            if self._failures[key] >= self.max_failures:
                self._locked_until[key] = self.clock.now() + timedelta(seconds=self.lock_seconds)

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._failures.pop(account.lower(), None)
            self._locked_until.pop(account.lower(), None)

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()
            self._locked_until.clear()


class SiaService(MockService):
    """State and verbs of one Sales Insight Actions instance."""

    extension_name = "sia"
    extra_fault_kinds = ("rate_limit",)

    def __init__(
        self,
        clock: Clock | None = None,
        engine: Engine | None = None,
        *,
        service_token: str = DEFAULT_SERVICE_TOKEN,
        seed_defaults: bool = True,
    ) -> None:
        super().__init__(clock)
        self.service_token = service_token
        self.seed_defaults = seed_defaults
        self.engine = engine or make_engine(None)
        self._open()

    def _open(self) -> None:
        """(Re)build the state around the database: the store, the login throttle, the default users
        (a persisted database keeps its users). `reset()` drops the tables and runs this again, as
        moto's `BaseBackend.reset()` re-runs `__init__`."""
        self.store = SiaStore(self.engine, self.clock)
        self.login_throttle = LoginThrottle(self.clock)
        if self.seed_defaults and self.store.user_count() == 0:
            self._seed_default_users()

    def _seed_default_users(self) -> None:
        for user in DEFAULT_USERS:
            self.store.create_user(**user)

    # -- MockService contract --------------------------------------------------------------------
    def reset(self) -> None:
        """A fresh instance (same clock, same database URL): empty tables, the default users again, no
        faults, an empty journal - by re-running the set-up, as the Salesforce org does."""
        with self.store.lock:
            Base.metadata.drop_all(self.engine)
            self.journal.clear()
            self.faults.clear()
            self._open()

    def seed(self, count: int, seed: int | None = None, **options: Any) -> dict:
        """`count` Faker tasks (reproducible with `seed`) for `user_id` (default: the first non-admin)."""
        unknown = set(options) - {"user_id"}
        if unknown:
            raise ValidationFailed(f"unknown seed option '{sorted(unknown)[0]}'", field=sorted(unknown)[0])
        if count > 100_000:
            raise ValidationFailed("'count' must be at most 100000", field="count")
        user_id = options.get("user_id")
        if user_id is not None:
            user = self.user(user_id)
        else:
            users = self.store.list_users()
            candidates = [u for u in users if u["role"] == "user"] or users
            if not candidates:
                self.store.create_user(**DEFAULT_USERS[1])
                candidates = [u for u in self.store.list_users() if u["role"] == "user"]
            user = self.user(candidates[0]["id"])
        ids = self.store.seed_tasks(user, count, seed)
        return {"created": len(ids), "user_id": user.id, "task_ids": ids}

    def create_user(
        self,
        name: str | dict | None = None,
        email: str | None = None,
        time_zone: str = "UTC",
        role: str = "user",
        api_token: str | None = None,
        password: str | None = None,
    ) -> dict:
        """A new user with an API token: `create_user("Bo", "bo@x.example", "Asia/Tokyo", "user")`
        or, as the control plane calls it, `create_user({"name": ..., "email": ..., ...})`."""
        if isinstance(name, dict):
            data = dict(name)
            unknown = set(data) - {"name", "email", "time_zone", "role", "api_token", "password"}
            if unknown:
                raise ValidationFailed(f"unknown field '{sorted(unknown)[0]}'", field=sorted(unknown)[0])
            return self.store.create_user(
                data.get("name"),
                data.get("email"),
                data.get("time_zone", "UTC"),
                data.get("role", "user"),
                data.get("api_token"),
                data.get("password"),
            )
        return self.store.create_user(name, email, time_zone, role, api_token, password)

    def list_users(self) -> list[dict]:
        return self.store.list_users()

    # -- Python API for harnesses (same verbs as the HTTP API) --------------------------------------
    def user(self, user_id: str) -> UserInfo:
        found = self.store.user_by_id(user_id)
        if found is None:
            raise NotFound(f"no user {user_id}", field="user_id")
        return found

    def user_by_email(self, email: str) -> UserInfo:
        found = self.store.user_by_email(email)
        if found is None:
            raise NotFound(f"no user with e-mail {email}", field="email")
        return found

    def set_time_zone(self, user_id: str, time_zone: str) -> dict:
        """The user's IANA time zone (their SIA profile), as `PATCH /api/v1/users/me` sets it."""
        return self.store.update_user(self.user(user_id), {"time_zone": time_zone})

    def set_task_sync(self, user_id: str, enabled: bool) -> dict:
        return self.store.set_task_sync(self.user(user_id), enabled)

    def task_sync(self, user_id: str) -> dict:
        return self.store.get_task_sync(self.user(user_id))

    def connect_salesforce(
        self,
        user_id: str,
        instance_url: str,
        username: str,
        password: str,
        security_token: str = "",
        salesforce_user_id: str | None = None,
    ) -> dict:
        data = {
            "instance_url": instance_url,
            "username": username,
            "password": password,
            "security_token": security_token,
            "salesforce_user_id": salesforce_user_id,
        }
        return self.store.connect_salesforce(self.user(user_id), data)

    def disconnect_salesforce(self, user_id: str) -> dict:
        return self.store.disconnect_salesforce(self.user(user_id))

    def set_subject_template(self, template: str | None) -> dict:
        """R5.1a: set the instance's template as an admin would (None restores the default)."""
        return self.store.set_subject_template(None, template)

    def subject_template(self) -> str:
        return self.store.subject_template_text()

    def create_task(self, user_id: str, data: dict, idempotency_key: str | None = None) -> dict:
        return self.store.create_task(self.user(user_id), data, idempotency_key)

    def update_task(self, user_id: str, task_id: str, data: dict) -> dict:
        return self.store.update_task(self.user(user_id), task_id, data)

    def delete_task(self, user_id: str, task_id: str) -> None:
        self.store.delete_task(self.user(user_id), task_id)

    def get_task(self, user_id: str, task_id: str, include_deleted: bool = False) -> dict:
        return self.store.get_task(self.user(user_id), task_id, include_deleted)

    def list_tasks(self, user_id: str, include_deleted: bool = False) -> list[dict]:
        """Every task of the user (all pages), ordered by (updated_at, id)."""
        user = self.user(user_id)
        out: list[dict] = []
        cursor = None
        while True:
            page, next_cursor = self.store.list_tasks(
                user, ListQuery(include_deleted=include_deleted, limit=1000, cursor=cursor)
            )
            out.extend(page)
            if next_cursor is None:
                return out
            cursor = decode_cursor(next_cursor)

    def command_center(self, user_id: str) -> dict:
        return self.store.command_center(self.user(user_id))

    def sync_users(self) -> list[dict]:
        return self.store.sync_users()


__all__ = ["SiaError", "SiaService"]
