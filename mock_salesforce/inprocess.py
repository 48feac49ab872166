"""Ways to reach an org without writing any plumbing.

- `mock_salesforce()` — decorator and context manager (the name simple-mockforce users know): while
  active, every `requests` call to https://login.salesforce.com, https://test.salesforce.com and the
  org's instance host goes in-process to a fresh org, so unchanged simple-salesforce code works.
- `salesforce_session(server)` / `salesforce_session(url, ca_path)` — a `requests.Session` for a running
  mock server: it trusts the server's certificate and sends the login hosts to it.
"""

from __future__ import annotations

from contextlib import ContextDecorator
from urllib.parse import urlsplit

import requests
from flask import Flask

from mock_core.transport import Interceptor
from mock_salesforce.app import create_app, get_org
from mock_salesforce.store import Org
from tasksync_common.routing import SALESFORCE_LOGIN_HOSTS, salesforce_server_session

LOGIN_HOSTS = SALESFORCE_LOGIN_HOSTS


class _MockSalesforce(ContextDecorator):
    def __init__(self, app: Flask | None = None, config: dict | None = None) -> None:
        self._app = app
        self._config = config
        self._stack: list[tuple[Interceptor, Org]] = []

    def __enter__(self) -> Org:
        app = self._app or create_app(self._config)
        org = get_org(app)
        interceptor = Interceptor({f"https://{host}": app for host in LOGIN_HOSTS})
        if org.instance_url:
            parts = urlsplit(org.instance_url)
            interceptor.add(f"https://{parts.netloc}", app)
        interceptor.start()
        self._stack.append((interceptor, org))
        return org

    def __exit__(self, *exc) -> None:
        interceptor, _org = self._stack.pop()
        interceptor.stop()

    @property
    def org(self) -> Org | None:
        """The org of the innermost active use (handy inside a decorated function)."""
        return self._stack[-1][1] if self._stack else None


def mock_salesforce(func=None, *, app: Flask | None = None, config: dict | None = None):
    """`@mock_salesforce`, `@mock_salesforce()`, or `with mock_salesforce() as org:`.

    Each use without `app=` gets a fresh org (in-memory SQLite). `app=` shares an existing app
    (e.g. one made with a shared Clock); `config=` is passed to create_app().
    """
    if callable(func):
        return _MockSalesforce(app, config)(func)
    return _MockSalesforce(app, config)


def salesforce_session(server, ca_path: str | None = None) -> requests.Session:
    """A session for `Salesforce(session=...)` against a running mock server.

    `server` is a mock_core.server.ServerThread, or the server's base URL (then give `ca_path`, the CA
    certificate the server printed; None for plain HTTP). Logins at login/test.salesforce.com and calls to
    the default instance host go to the server; the server's own URL is trusted.
    """
    if hasattr(server, "url"):
        url, ca_path = server.url, ca_path or getattr(server, "ca_path", None)
    else:
        url = str(server)
    return salesforce_server_session(url, ca_path)
