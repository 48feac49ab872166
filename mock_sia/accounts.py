"""SIA's users: accounts, API tokens, page passwords and server-side page sessions (a part of `SiaStore`)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from mock_sia.database import StoreBase
from mock_sia.errors import Conflict, NotFound, ValidationFailed
from mock_sia.models import (
    ApiToken,
    PageSession,
    User,
)
from mock_sia.wire import (
    EMAIL,
    ROLES,
    no_nul,
    parse_user_id,
    sync_to_dict,
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


def default_password(email: str) -> str:
    """A user made without a password signs in with `NAME-password` (`ann@sia.example` -> `ann-password`)."""
    return f"{email.split('@', 1)[0].lower()}-password"


def hash_password(password: str) -> str:
    # pbkdf2 with a modest work factor: a mock's users sign in often in tests.
    return generate_password_hash(password, method="pbkdf2:sha256:20000")


class AccountsMixin(StoreBase):
    """Users, tokens, the login page's passwords and sessions."""

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

    # Who a request acts as, read on every API call: one Core SELECT of the columns, no ORM object.
    _USER_COLUMNS = (User.pk, User.name, User.email, User.time_zone, User.role)

    def user_by_token(self, token: str) -> UserInfo | None:
        stmt = select(*self._USER_COLUMNS).join(ApiToken, ApiToken.user_pk == User.pk)
        with self.tx() as s:
            row = s.execute(stmt.where(ApiToken.token == token)).first()
        return None if row is None else UserInfo(row[0], f"usr_{row[0]}", *row[1:])

    def user_by_id(self, user_id: str) -> UserInfo | None:
        pk = parse_user_id(user_id)
        if pk is None:
            return None
        with self.tx() as s:
            row = s.execute(select(*self._USER_COLUMNS).where(User.pk == pk)).first()
        return None if row is None else UserInfo(row[0], f"usr_{row[0]}", *row[1:])

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
