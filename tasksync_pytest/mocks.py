"""Fixtures for the two mocks (registered by `tasksync_pytest.plugin` when `[mocks]` is installed).

Salesforce, in-process (no socket; unchanged simple-salesforce code reaches the org while it is active):
- `sf_org` — a fresh org (`mock_salesforce.Org`) on `tasksync_clock`: its users (`create_user`,
  `default_user`), `journal`, `faults` and `clock`;
- `sf_client` — a `simple_salesforce.Salesforce` logged in to `sf_org` as its default user.

Salesforce over real HTTPS (a throw-away CA; one server per session, reset before each test):
- `sf_https_server` — the `mock_core.server.ServerThread` (session-scoped);
- `sf_https` — a `SalesforceServer`: the reset org, `url`, `ca_path`, `session()`, `client()`;
- `sf_https_client` — a `simple_salesforce.Salesforce` logged in over HTTPS.

SIA, in-process (while active, https://sia.mock goes to the instance):
- `sia_app` — the Flask app on `tasksync_clock`; `sia_instance` — its backend (`mock_sia.SiaService`);
- `sia_client` — a factory: `sia_client("ann@sia.example")` is a `mock_sia.SiaClient` acting as Ann.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import pytest
import requests
from flask import Flask
from simple_salesforce.api import Salesforce

from mock_core.server import ServerThread
from mock_salesforce import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_USERNAME,
    Org,
    create_app,
    get_org,
    mock_salesforce,
    salesforce_session,
)
from mock_sia import SiaClient, SiaService, mock_sia
from mock_sia import create_app as create_sia_app
from mock_sia import sia_client as sia_client_for
from tasksync_common.clock import Clock


def login(
    username: str = DEFAULT_USERNAME, password: str = DEFAULT_PASSWORD, security_token: str = DEFAULT_TOKEN
) -> dict[str, str]:
    """simple-salesforce's SOAP-login keywords (default: the org's default user)."""
    return {"username": username, "password": password, "security_token": security_token}


# -- Salesforce in-process -----------------------------------------------------------------------
@pytest.fixture
def sf_org(tasksync_clock: Clock) -> Iterator[Org]:
    """A fresh org; while the test runs, simple-salesforce's calls to login/test.salesforce.com and
    the org's instance host go to it in-process."""
    with mock_salesforce(config={"CLOCK": tasksync_clock}) as org:
        yield org


@pytest.fixture
def sf_client(sf_org: Org) -> Salesforce:
    """An unmodified `simple_salesforce.Salesforce`, logged in (SOAP) to `sf_org` as admin@example.com."""
    return Salesforce(username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, security_token=DEFAULT_TOKEN)


# -- Salesforce over HTTPS -----------------------------------------------------------------------
@dataclass
class SalesforceServer:
    """The org behind `sf_https_server`, reset for this test, and the ways to reach it over HTTPS."""

    server: ServerThread
    org: Org
    _sessions: list[requests.Session] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The server's base URL (also the org's instance URL)."""
        return self.server.url

    @property
    def ca_path(self) -> str | None:
        """The PEM file of the CA that issued the server's certificate."""
        return self.server.ca_path

    @property
    def admin_url(self) -> str:
        return f"{self.url}/__admin"

    def session(self) -> requests.Session:
        """A `requests.Session` for `Salesforce(session=...)`: it trusts the server's CA and sends
        login.salesforce.com / test.salesforce.com and the default instance host to the server."""
        http = salesforce_session(self.server)
        self._sessions.append(http)
        return http

    def client(
        self,
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        security_token: str = DEFAULT_TOKEN,
    ) -> Salesforce:
        """`Salesforce(username=..., password=..., security_token=..., session=self.session())`;
        by default the org's default user (admin@example.com)."""
        return Salesforce(
            username=username, password=password, security_token=security_token, session=self.session()
        )

    def close(self) -> None:
        for http in self._sessions:
            http.close()
        self._sessions.clear()


@pytest.fixture(scope="session")
def sf_https_server() -> Iterator[ServerThread]:
    """One threaded HTTPS server of the Salesforce mock for the session (its org is its own host)."""
    server = ServerThread(create_app({"INSTANCE_URL": None}), port=0, tls=True).start()
    yield server
    server.stop()


@pytest.fixture
def sf_https(sf_https_server: ServerThread, tasksync_clock: Clock) -> Iterator[SalesforceServer]:
    """The server's org reset to a fresh one, its clock set to where `tasksync_clock` stands (frozen
    if that is frozen). The server keeps its own clock: move it with `sf_https.org.clock`."""
    org = get_org(sf_https_server.app)
    org.reset()
    org.clock.reset()
    if tasksync_clock.frozen:
        org.clock.freeze(tasksync_clock.now())
    else:
        org.clock.set(tasksync_clock.now())
    handle = SalesforceServer(sf_https_server, org)
    yield handle
    handle.close()


@pytest.fixture
def sf_https_client(sf_https: SalesforceServer) -> Salesforce:
    """An unmodified `simple_salesforce.Salesforce` logged in over real HTTPS as the default user."""
    return sf_https.client()


# -- SIA -----------------------------------------------------------------------------------------
class SiaClientFactory(Protocol):
    def __call__(
        self, user: str | None = None, *, token: str | None = None, acting_for: str | None = None
    ) -> SiaClient: ...


@pytest.fixture
def sia_app(tasksync_clock: Clock) -> Flask:
    """A fresh SIA instance as a Flask app (in-memory SQLite; admin@sia.example and ann@sia.example)."""
    return create_sia_app({"CLOCK": tasksync_clock})


@pytest.fixture
def sia_instance(sia_app: Flask) -> Iterator[SiaService]:
    """The SIA backend (users, tasks, settings, clock, journal, faults); while the test runs, requests
    to https://sia.mock go to it in-process."""
    with mock_sia(app=sia_app) as sia:
        yield sia


@pytest.fixture
def sia_client(sia_app: Flask, sia_instance: SiaService) -> Iterator[SiaClientFactory]:
    """`sia_client("ann@sia.example")`: a client acting as that user with their own API token;
    `sia_client(token=..., acting_for=...)` for any token (e.g. the service token); `sia_client()`
    anonymous. Paths are relative to the instance: `.get("/api/v1/tasks")`."""
    made: list[SiaClient] = []

    def make(
        user: str | None = None, *, token: str | None = None, acting_for: str | None = None
    ) -> SiaClient:
        client = sia_client_for(sia_app, user, token=token, acting_for=acting_for)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
