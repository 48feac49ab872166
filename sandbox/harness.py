"""One object that wires both mocks and the sync engine together, for tests, features and the sandbox.

    with Harness() as h:                       # mode="inprocess" (default) or "servers"
        h.enable_sync()                        # Ann switches task sync on (as the settings page does)
        sf = h.salesforce()                    # simple-salesforce client as the connected SF user
        sf.Task.create({"Subject": "Call Ann"})
        report = h.run_pass()                  # one sync pass -> sync.report.PassReport
        h.sia_api("GET", "/tasks").json()      # SIA API as Ann (her own token)

Everything shares ONE mock_core.Clock (`h.clock`), so "24 hours ago" and "15 days later" are
`h.clock.advance(...)`, never sleeping. In "inprocess" mode simple-salesforce's HTTPS calls are
routed into the Salesforce app by an Interceptor and SIA is reached through an in-process
transport; in "servers" mode both apps run as threaded servers (Salesforce over TLS with a
throw-away CA) and everything goes over real sockets.
"""

from __future__ import annotations

from datetime import UTC, datetime

import requests
from simple_salesforce import Salesforce

from mock_core import Clock
from mock_core.server import ServerThread
from mock_salesforce import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_USERNAME,
    create_app,
    get_org,
    salesforce_session,
)
from mock_salesforce import mock_salesforce as _intercept_salesforce
from mock_sia.app import DEFAULT_BASE_URL, get_sia, sia_session
from mock_sia.app import create_app as create_sia_app
from mock_sia.app import page_password as sia_page_password
from sync.adapters.salesforce import SalesforceAdapter
from sync.adapters.sia import SiaAdapter
from sync.engine import Engine, EngineSettings, Hooks
from sync.retry import RetryPolicy
from sync.state import StateStore

DEFAULT_SIA_USER = "ann@sia.example"
DEFAULT_SIA_TOKEN = "sia-ann-token"
START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


class Harness:
    """Both mocks + the engine. `clock=None` makes a frozen clock at 2026-11-28 12:00 UTC."""

    def __init__(
        self,
        mode: str = "inprocess",
        clock: Clock | None = None,
        db_url: str | None = None,
        *,
        sf_config: dict | None = None,
        sia_config: dict | None = None,
        settings: EngineSettings | None = None,
        retry: RetryPolicy | None = None,
        sf_timeout: float = 30.0,
    ) -> None:
        if mode not in ("inprocess", "servers"):
            raise ValueError("mode must be 'inprocess' or 'servers'")
        self.mode = mode
        self.sf_timeout = sf_timeout
        self.clock = clock or Clock(frozen_at=START)
        self.retry = retry or RetryPolicy(attempts=4, base=0.01, cap=0.05)
        self._servers: list[ServerThread] = []
        self._interceptor = None
        sf_cfg = {"CLOCK": self.clock, **(sf_config or {})}
        if mode == "servers":
            sf_cfg.setdefault("INSTANCE_URL", None)  # the server's own host
        self.sf_app = create_app(sf_cfg)
        self.org = get_org(self.sf_app)
        self.sia_app = create_sia_app({"CLOCK": self.clock, **(sia_config or {})})
        self.sia = get_sia(self.sia_app)

        if mode == "inprocess":
            self._interceptor = _intercept_salesforce(app=self.sf_app)
            self._interceptor.__enter__()
            self.sia_url = DEFAULT_BASE_URL
            self.sf_url = self.org.instance_url
            self.ca_path = None
        else:
            sf_server = ServerThread(self.sf_app, tls=True).start()
            sia_server = ServerThread(self.sia_app, tls=False).start()
            self._servers = [sf_server, sia_server]
            self.sia_url, self.sf_url, self.ca_path = sia_server.url, sf_server.url, sf_server.ca_path
            self.sia_app.config["SALESFORCE_CA_BUNDLE"] = self.ca_path  # the Settings page's login check

        self._db_url, self._settings = db_url, settings
        self.sia_client = SiaAdapter(
            self.sia_url, self.sia.service_token, session=self._sia_session(), retry=self.retry
        )
        self.state = StateStore(db_url)
        self._connect_defaults()

    def _connect_defaults(self) -> None:
        """The default pair - SIA user Ann connected to the org's default user admin@example.com -
        and an engine with a fresh state store."""
        self.sf_user_id = self.org.default_user()["Id"]
        self.user_id = self.sia.user_by_email(DEFAULT_SIA_USER).id
        self.connect(self.user_id, DEFAULT_USERNAME, DEFAULT_PASSWORD, DEFAULT_TOKEN, self.sf_user_id)
        self.tokens = {self.user_id: DEFAULT_SIA_TOKEN}
        self.engine = Engine(
            sia=self.sia_client,
            salesforce_factory=self.salesforce_port,
            state=self.state,
            clock=self.clock,
            settings=self._settings,
            hooks=Hooks(),
        )

    def reset(self, at: datetime | None = None) -> None:
        """Back to a fresh start, keeping the running servers (cheap between scenarios): both mocks
        reset through their own reset verbs, Ann connected again, an empty sync state, a new engine;
        the shared clock set to `at` (default: where a new Harness starts)."""
        self.clock.set(at or START)
        self.org.reset()
        self.sia.reset()
        self.state.close()
        self.state = StateStore(self._db_url)
        self._connect_defaults()

    # -- wiring ------------------------------------------------------------------------------
    def _sia_session(self, token: str | None = None) -> requests.Session:
        if self.mode == "inprocess":
            return sia_session(self.sia_app, self.sia_url, token=token)
        session = requests.Session()
        if token:
            session.headers["Authorization"] = f"Bearer {token}"
        return session

    def _sf_session(self) -> requests.Session | None:
        return salesforce_session(self._servers[0]) if self.mode == "servers" else None

    def salesforce_port(self, connection: dict) -> SalesforceAdapter:
        """The engine's factory: one simple-salesforce adapter for a user's Salesforce connection."""
        return SalesforceAdapter(
            connection["username"],
            connection["password"],
            connection["security_token"],
            session=self._sf_session(),
            retry=self.retry,
            timeout=self.sf_timeout,
        )

    def connect(self, user_id: str, username: str, password: str, token: str, sf_user_id: str | None) -> None:
        self.sia.connect_salesforce(
            user_id,
            self.sf_url or "https://mock-org.my.salesforce.com",
            username,
            password,
            token,
            salesforce_user_id=sf_user_id,
        )

    def page_password(self, email: str = DEFAULT_SIA_USER) -> str:
        """The password of an SIA user on the login page (for browser tests)."""
        return sia_page_password(email)

    # -- acting ------------------------------------------------------------------------------
    def run_pass(self):
        """One sync pass for every user with sync on -> `sync.report.PassReport`."""
        return self.engine.run_pass()

    def enable_sync(self, user_id: str | None = None) -> dict:
        return self.sia.set_task_sync(user_id or self.user_id, True)

    def disable_sync(self, user_id: str | None = None) -> dict:
        return self.sia.set_task_sync(user_id or self.user_id, False)

    def salesforce(
        self,
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        security_token: str = DEFAULT_TOKEN,
    ) -> Salesforce:
        """A simple-salesforce client logged in as that Salesforce user (default: Ann's connected user)."""
        return Salesforce(
            username=username, password=password, security_token=security_token, session=self._sf_session()
        )

    def sia_user_session(self, user_id: str | None = None) -> requests.Session:
        """A requests.Session acting as an SIA user (with their own API token)."""
        return self._sia_session(self.tokens[user_id or self.user_id])

    def sia_api(self, method: str, path: str, user_id: str | None = None, **kwargs) -> requests.Response:
        """Call the SIA API as a user: `h.sia_api("POST", "/tasks", json={"name": "x"})`."""
        return self.sia_user_session(user_id).request(method, f"{self.sia_url}/api/v1{path}", **kwargs)

    def add_user_pair(self, name: str, email: str, sf_username: str) -> str:
        """Another SIA user connected to a new Salesforce user; returns the SIA user id."""
        created = self.sia.create_user(name, email, "UTC", "user")
        sf_user = self.org.create_user({"Username": sf_username})
        self.connect(created["id"], sf_username, DEFAULT_PASSWORD, DEFAULT_TOKEN, sf_user["Id"])
        self.tokens[created["id"]] = created["api_token"]
        return created["id"]

    def sia_tasks(self, user_id: str | None = None, include_deleted: bool = False) -> list[dict]:
        return self.sia.list_tasks(user_id or self.user_id, include_deleted)

    def sf_tasks(self, owner_id: str | None = None) -> list[dict]:
        """Live Salesforce tasks of an owner (default: Ann's Salesforce user), read over the API."""
        owner = owner_id or self.sf_user_id
        rows = self.salesforce().query_all(
            "SELECT Id, Subject, Status, Priority, ActivityDate, Description, Type, OwnerId, SIA_Task_Id__c "
            f"FROM Task WHERE OwnerId = '{owner}' ORDER BY CreatedDate, Id"
        )["records"]
        return [{k: v for k, v in r.items() if k != "attributes"} for r in rows]

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        if self._interceptor is not None:
            self._interceptor.__exit__(None, None, None)
            self._interceptor = None
        for server in self._servers:
            server.stop()
        self._servers = []
        self.state.close()

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
