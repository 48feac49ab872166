"""Users, logins, sessions and the daily API allocation of an org (a part of `Org`)."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mock_core.errors import AdminError
from mock_salesforce import errors as E
from mock_salesforce.ids import to18
from mock_salesforce.models import User as UserRow
from mock_salesforce.state import OrgBase

DEFAULT_USERNAME = "admin@example.com"
DEFAULT_PASSWORD = "password"
DEFAULT_TOKEN = "token"


@dataclass
class SessionInfo:
    user_id: str
    issued: datetime
    last_used: datetime


class SessionsMixin(OrgBase):
    """Users and sessions (SF-ORG-1..3) and the API allocation window."""

    # -- users and sessions ------------------------------------------------------------------------
    def create_user(self, data: dict | None = None, **fields: Any) -> dict[str, Any]:
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

    def set_user_active(self, user: str, active: bool) -> dict[str, Any]:
        with self.tx() as s:
            row = self._find_user(s, user)
            row.IsActive = bool(active)
            row.LastModifiedDate = row.SystemModstamp = self.now()
        return self._user_dict(row)

    def set_user_password(self, user: str, password: str) -> dict[str, Any]:
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

    def list_users(self) -> list[dict[str, Any]]:
        with self.tx() as s:
            return [self._user_dict(u) for u in s.scalars(select(UserRow).order_by(UserRow.Id))]

    def default_user(self) -> dict[str, Any]:
        with self.tx() as s:
            return self._user_dict(s.scalars(select(UserRow).order_by(UserRow.Id).limit(1)).one())

    @staticmethod
    def _user_dict(u: UserRow) -> dict[str, Any]:
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

    def set_api_allocation(self, max: int | None = None, used: int | None = None) -> dict[str, Any]:  # noqa: A002
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

    def api_allocation(self) -> dict[str, Any]:
        with self._lock:
            self._roll_api_window()
            return {
                "max": self.api_max,
                "used": self.api_used,
                "remaining": max(0, self.api_max - self.api_used),
            }

    def limit_info(self) -> str:
        return f"api-usage={self.api_used}/{self.api_max}"
