"""Contract fixtures: the real simple-salesforce against the org, in-process and over real HTTPS.

`sfx` (parametrized by `mode`) hands out an org and clients for it, from the project's own pytest
plugin (tasksync_pytest):
- inprocess: `sf_org` — simple-salesforce runs unchanged, no socket;
- server: `sf_https` — one threaded HTTPS server for the whole session (reset before each test),
  reached with a routed session passed as `Salesforce(session=...)`.
Both orgs start at the plugin's `tasksync_clock` instant, 2026-11-28 12:00 UTC, frozen.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests
from simple_salesforce import Salesforce

from mock_salesforce.store import Org
from tasksync_pytest.mocks import login

LOGIN = login()


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


@pytest.fixture(params=["inprocess", "server"])
def mode(request) -> str:
    return request.param


@pytest.fixture
def sfx(mode, request):
    if mode == "inprocess":
        org = request.getfixturevalue("sf_org")
        return SalesforceContext(mode, org, org.instance_url, None)
    server = request.getfixturevalue("sf_https")
    return SalesforceContext(mode, server.org, server.url, server.session(), admin_url=server.admin_url)


@pytest.fixture
def sf(sfx) -> Salesforce:
    return sfx.client()
