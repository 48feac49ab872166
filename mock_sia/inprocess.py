"""Ways to reach an SIA instance without writing any plumbing (the twin of `mock_salesforce.inprocess`).

- `mock_sia()` — decorator and context manager: while active, every `requests` call to https://sia.mock
  (or the `base_url=` given) goes in-process to a fresh SIA instance, so unchanged client code works;
  `with mock_sia() as sia:` hands out the backend (users, tasks, clock, journal, faults).
- `SiaClient` — a `requests.Session` acting as one SIA user that takes paths relative to the instance
  (`client.get("/api/v1/tasks")`); `sia_client(sia, "ann@sia.example")` makes one with that user's token.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ContextDecorator
from typing import Any, TypeVar, overload

import requests
from flask import Flask

from mock_core.transport import Interceptor, WSGITransport
from mock_sia.app import DEFAULT_BASE_URL, create_app, get_sia
from mock_sia.backend import SiaService

F = TypeVar("F", bound=Callable[..., Any])


class _MockSia(ContextDecorator):
    def __init__(self, app: Flask | None, config: dict[str, Any] | None, base_url: str) -> None:
        self._app = app
        self._config = config
        self._base_url = base_url.rstrip("/")
        self._stack: list[tuple[Interceptor, Flask]] = []

    def __enter__(self) -> SiaService:
        app = self._app or create_app(self._config)
        interceptor = Interceptor({self._base_url: app}).start()
        self._stack.append((interceptor, app))
        return get_sia(app)

    def __exit__(self, *exc: object) -> None:
        interceptor, _app = self._stack.pop()
        interceptor.stop()

    @property
    def app(self) -> Flask | None:
        """The Flask app of the innermost active use."""
        return self._stack[-1][1] if self._stack else None

    @property
    def sia(self) -> SiaService | None:
        """The backend of the innermost active use (handy inside a decorated function)."""
        return get_sia(self._stack[-1][1]) if self._stack else None


@overload
def mock_sia(func: F) -> F: ...


@overload
def mock_sia(
    func: None = None,
    *,
    app: Flask | None = None,
    config: dict[str, Any] | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> _MockSia: ...


def mock_sia(
    func: F | None = None,
    *,
    app: Flask | None = None,
    config: dict[str, Any] | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> F | _MockSia:
    """`@mock_sia`, `@mock_sia()`, or `with mock_sia() as sia:`.

    Each use without `app=` gets a fresh instance (in-memory SQLite, the default users seeded);
    `app=` shares an existing app (e.g. one made with a shared Clock); `config=` is passed to
    `create_app()`; `base_url=` is the address client code calls (default https://sia.mock).
    """
    if callable(func):
        return _MockSia(app, config, base_url)(func)
    return _MockSia(app, config, base_url)


class SiaClient(requests.Session):
    """A session for the SIA API and pages: paths starting with `/` are taken relative to `base_url`.

    With `token`, every request carries `Authorization: Bearer <token>`; with `acting_for` (for the
    service token), `X-SIA-User: <user id>`. With `app`, calls go in-process to that app even when no
    `mock_sia()` is active.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        token: str | None = None,
        acting_for: str | None = None,
        *,
        app: Flask | None = None,
    ) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        if app is not None:
            self.mount(self.base_url + "/", WSGITransport(app))
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        if acting_for:
            self.headers["X-SIA-User"] = acting_for

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith("/"):
            url = self.base_url + url
        return super().request(method, url, *args, **kwargs)


def token_of(sia: SiaService, email: str) -> str:
    """The API token of the user with that e-mail (raises mock_sia's NotFound for an unknown one)."""
    user = sia.user_by_email(email)
    for row in sia.list_users():
        if row["id"] == user.id and row.get("api_token"):
            return str(row["api_token"])
    raise LookupError(f"{email} has no API token")


def sia_client(
    sia_app: Flask,
    user: str | None = None,
    *,
    token: str | None = None,
    acting_for: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> SiaClient:
    """A client of the app's SIA instance acting as `user` (an e-mail: their own API token), or with an
    explicit `token` (e.g. the service token plus `acting_for=<user id>`), or anonymous."""
    if user is not None and token is None:
        token = token_of(get_sia(sia_app), user)
    return SiaClient(base_url, token, acting_for, app=sia_app)
