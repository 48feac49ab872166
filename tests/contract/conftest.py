"""Contract fixtures: the real simple-salesforce against the org, in-process and over real HTTPS.

`sfx` (parametrized by `mode`) hands out an org and clients for it:
- inprocess: `with mock_salesforce() as org` — simple-salesforce runs unchanged, no socket;
- server: one threaded HTTPS server for the whole session (reset before each test), reached with
  `salesforce_session(server)` passed as `Salesforce(session=...)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import requests
from simple_salesforce import Salesforce

from mock_core.server import ServerThread
from mock_salesforce import create_app, get_org, mock_salesforce, salesforce_session
from mock_salesforce.store import Org

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LOGIN = {"username": "admin@example.com", "password": "password", "security_token": "token"}


@dataclass
class SalesforceContext:
    """One org plus the way to reach it in this mode."""

    mode: str
    org: Org
    instance_url: str
    http: requests.Session | None  # server mode: the routed, CA-trusting session
    admin_url: str | None = None

    def session_kw(self) -> dict:
        return {"session": self.http} if self.http is not None else {}

    def client(self, **kwargs) -> Salesforce:
        """A Salesforce client; defaults to the SOAP login of the default user."""
        if not kwargs:
            kwargs = dict(LOGIN)
        return Salesforce(**kwargs, **self.session_kw())

    def direct(self, user: str | None = None, **kwargs) -> Salesforce:
        """A client on a session id with no way to log in again (`Salesforce(instance_url, session_id)`)."""
        return Salesforce(
            instance_url=self.instance_url,
            session_id=self.org.new_session(user),
            **kwargs,
            **self.session_kw(),
        )


@pytest.fixture(scope="session")
def sf_server():
    app = create_app({"INSTANCE_URL": None})
    server = ServerThread(app, port=0, tls=True).start()
    yield server
    server.stop()


@pytest.fixture(params=["inprocess", "server"])
def mode(request) -> str:
    return request.param


@pytest.fixture
def sfx(mode, request):
    if mode == "inprocess":
        with mock_salesforce() as org:
            org.clock.freeze(T0)
            yield SalesforceContext(mode, org, org.instance_url, None)
        return
    server = request.getfixturevalue("sf_server")
    org = get_org(server.app)
    org.reset()
    org.clock.reset()
    org.clock.freeze(T0)
    http = salesforce_session(server)
    yield SalesforceContext(mode, org, server.url, http, admin_url=f"{server.url}/__admin")
    http.close()


@pytest.fixture
def sf(sfx) -> Salesforce:
    return sfx.client()
