"""SIA's settings: task sync, the Salesforce connection, the subject template, the service view."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from mock_sia.accounts import UserInfo
from mock_sia.errors import Conflict, Forbidden, ValidationFailed
from mock_sia.models import (
    InstanceSetting,
    SalesforceConnection,
    TaskSyncSetting,
    User,
)
from mock_sia.tasks import TasksMixin
from mock_sia.template import (
    DEFAULT_TEMPLATE,
    DYNAMIC_FIELDS,
    TemplateError,
    render_subject,
    validate_template,
)
from mock_sia.wire import (
    SUBJECT_TEMPLATE_KEY,
    connection_to_dict,
    ms_to_iso,
    no_nul,
    sync_to_dict,
    text_field,
)


class SettingsMixin(TasksMixin):
    """Settings verbs (R1.1, R1.3, R1.4, R5.1a; a part of `SiaStore`)."""

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
        """Every user with task sync on, with the connection the sync needs (secrets included).

        One Core SELECT (users, their switch, their connection outer-joined), no ORM objects: every
        sync pass and a fleet's workers read this list, for thousands of reps (issue 9)."""
        users, switch, conn = User.__table__.c, TaskSyncSetting.__table__.c, SalesforceConnection.__table__.c
        stmt = (
            select(
                users.pk,
                users.email,
                users.name,
                users.time_zone,
                switch.enabled,
                switch.first_enabled_ms,
                switch.last_enabled_ms,
                switch.last_disabled_ms,
                conn.user_pk.label("connected"),
                conn.instance_url,
                conn.username,
                conn.password,
                conn.security_token,
                conn.salesforce_user_id,
            )
            .join_from(User.__table__, TaskSyncSetting.__table__, switch.user_pk == users.pk)
            .outerjoin(SalesforceConnection.__table__, conn.user_pk == users.pk)
            .where(switch.enabled.is_(True))
            .order_by(users.pk)
        )
        with self.tx() as s:
            rows = s.execute(stmt).all()
        return [
            {
                "user_id": f"usr_{row.pk}",
                "email": row.email,
                "name": row.name,
                "time_zone": row.time_zone,
                "task_sync": {
                    "enabled": row.enabled,
                    "first_enabled_at": ms_to_iso(row.first_enabled_ms),
                    "last_enabled_at": ms_to_iso(row.last_enabled_ms),
                    "last_disabled_at": ms_to_iso(row.last_disabled_ms),
                },
                "salesforce": None
                if row.connected is None
                else {
                    "instance_url": row.instance_url,
                    "username": row.username,
                    "password": row.password,
                    "security_token": row.security_token,
                    "salesforce_user_id": row.salesforce_user_id,
                },
            }
            for row in rows
        ]


def check_template(template: Any) -> None:
    """`validate_template` with its error turned into a 422 naming the offending field (R5.1a)."""
    if not isinstance(template, str):
        raise ValidationFailed("'template' must be a string or null", field="template")
    try:
        validate_template(template)
    except TemplateError as exc:
        raise ValidationFailed(exc.message, field=exc.field or "template") from exc
