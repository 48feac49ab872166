"""The running systems behind a scenario, in either mode, with one shared clock.

`Systems` is what `World` talks to. It is built on `sandbox.harness.Harness` when that exists and
adds the few admin verbs the scenarios need (a second user, a user's time zone, the recycle bin, a
custom closed status, faults). In servers mode one Harness serves the whole session and is reset
before every scenario.
"""

from __future__ import annotations

from datetime import UTC, datetime

import requests
from simple_salesforce import Salesforce

from mock_core.clock import Clock
from mock_core.server import ServerThread, routed_session
from mock_core.transport import make_session
from mock_salesforce import DEFAULT_PASSWORD, DEFAULT_TOKEN, DEFAULT_USERNAME, get_org
from mock_salesforce import create_app as create_sf_app
from mock_salesforce.inprocess import LOGIN_HOSTS
from mock_sia.app import create_app as create_sia_app
from mock_sia.app import get_sia
from sync.adapters.salesforce import SalesforceAdapter
from sync.adapters.sia import SiaAdapter
from sync.engine import Engine
from sync.state.store import StateStore

# Monday 2 March 2026, 09:00 UTC: 04:00 in New York (Ann's default time zone), still 2 March there.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SIA_URL = "https://sia.mock"
SF_INSTANCE = "https://mock-org.my.salesforce.com"
TOKENS = {"ann": "sia-ann-token"}
ADMIN_TOKEN = "sia-admin-token"
SERVICE_TOKEN = "sia-service-token"


class Systems:
    """Both mocks, the engine and the users of one scenario (in-process) or one session (servers)."""

    def __init__(self, mode: str = "inprocess") -> None:
        self.mode = mode
        self.clock = Clock(frozen_at=START)
        self.sia_app = create_sia_app({"CLOCK": self.clock})
        self.sf_app = create_sf_app(
            {"CLOCK": self.clock, "INSTANCE_URL": None if mode == "servers" else SF_INSTANCE}
        )
        self.org = get_org(self.sf_app)
        self.sia_svc = get_sia(self.sia_app)
        self._servers: list[ServerThread] = []
        if mode == "servers":
            sia_server = ServerThread(self.sia_app, tls=True).start()
            sf_server = ServerThread(self.sf_app, tls=True).start()
            self._servers = [sia_server, sf_server]
            self.sia_url = sia_server.url
            self._sia_http = lambda: routed_session(sia_server.url, sia_server.ca_path)
            self._sf_http = lambda: routed_session(sf_server.url, sf_server.ca_path, [*LOGIN_HOSTS])
            self.sf_instance = sf_server.url
        else:
            self.sia_url = SIA_URL
            self._sia_http = lambda: make_session({SIA_URL: self.sia_app})
            routes = {f"https://{h}": self.sf_app for h in LOGIN_HOSTS}
            routes[SF_INSTANCE] = self.sf_app
            self._sf_http = lambda: make_session(routes)
            self.sf_instance = SF_INSTANCE
        self._fresh()

    # -- lifecycle -------------------------------------------------------------------------------
    def _fresh(self) -> None:
        self._users: dict[str, dict] = {}
        self._sessions: dict[str, requests.Session] = {}
        self._sf_clients: dict[str, Salesforce] = {}
        self.state = StateStore()
        service = self._sia_http()
        service.headers["Authorization"] = f"Bearer {SERVICE_TOKEN}"
        self.engine = Engine(
            sia=SiaAdapter(self.sia_url, SERVICE_TOKEN, session=service),
            salesforce_factory=lambda conn: SalesforceAdapter(
                conn["username"], conn["password"], conn.get("security_token") or "", session=self._sf_http()
            ),
            state=self.state,
            clock=self.clock,
        )
        ann = self.sia_svc.user_by_email("ann@sia.example")
        self._users["ann"] = {
            "sia_id": ann.id if hasattr(ann, "id") else ann["id"],
            "token": TOKENS["ann"],
            "sf_username": DEFAULT_USERNAME,
            "sf_password": DEFAULT_PASSWORD,
            "sf_token": DEFAULT_TOKEN,
        }
        self._connect("ann")

    def reset(self) -> None:
        """Back to a fresh start (servers mode reuses the running servers)."""
        self.clock.freeze(START)
        self.clock.set(START)
        self.sia_svc.reset()
        self.org.reset()
        self.state.close()
        self._fresh()

    def close(self) -> None:
        for server in self._servers:
            server.stop()
        self.state.close()

    # -- users -------------------------------------------------------------------------------------
    def users(self) -> list[str]:
        return list(self._users)

    def add_user(self, key: str) -> None:
        """A second rep (e.g. Bob): an SIA user connected to a Salesforce user of their own."""
        name = key.capitalize()
        token = f"sia-{key}-token"
        sia_user = self.sia_svc.create_user(
            f"{name} Example", f"{key}@sia.example", "America/New_York", "user", token
        )
        sf_username = f"{key}@example.com"
        self.org.create_user(
            {
                "Username": sf_username,
                "FirstName": name,
                "LastName": "Example",
                "Password": DEFAULT_PASSWORD,
                "SecurityToken": DEFAULT_TOKEN,
            }
        )
        self._users[key] = {
            "sia_id": sia_user["id"],
            "token": token,
            "sf_username": sf_username,
            "sf_password": DEFAULT_PASSWORD,
            "sf_token": DEFAULT_TOKEN,
        }
        self._connect(key)

    def _connect(self, key: str) -> None:
        """The user connects Salesforce on the SIA settings page."""
        user = self._users[key]
        response = self.sia_as(key).put(
            f"{self.sia_url}/api/v1/settings/salesforce_connection",
            json={
                "instance_url": self.sf_instance,
                "username": user["sf_username"],
                "password": user["sf_password"],
                "security_token": user["sf_token"],
            },
        )
        assert response.status_code == 200, response.text

    def sia_as(self, key: str) -> requests.Session:
        if key not in self._sessions:
            session = self._sia_http()
            session.headers["Authorization"] = f"Bearer {self._users[key]['token']}"
            self._sessions[key] = session
        return self._sessions[key]

    def sia_admin(self) -> requests.Session:
        if "__admin" not in self._sessions:
            session = self._sia_http()
            session.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
            self._sessions["__admin"] = session
        return self._sessions["__admin"]

    def salesforce(self, key: str) -> Salesforce:
        if key not in self._sf_clients:
            user = self._users[key]
            self._sf_clients[key] = Salesforce(
                username=user["sf_username"],
                password=user["sf_password"],
                security_token=user["sf_token"],
                session=self._sf_http(),
            )
        return self._sf_clients[key]

    def salesforce_user_id(self, key: str) -> str:
        username = self._users[key]["sf_username"]
        return next(u["Id"] for u in self.org.list_users() if u["Username"].lower() == username.lower())

    def set_time_zone(self, key: str, zone: str) -> None:
        """The user's time zone as set in their SIA profile.

        GAP: the SIA mock has no verb for this yet (neither API nor control plane); until it does,
        this sets the stored profile field directly."""
        setter = getattr(self.sia_svc, "set_time_zone", None)
        if setter is not None:
            setter(self._users[key]["sia_id"], zone)
            return
        from sqlalchemy import select

        from mock_sia.models import User
        from mock_sia.store import zone as check_zone

        check_zone(zone)
        pk = int(self._users[key]["sia_id"].removeprefix("usr_"))
        with self.sia_svc.store.tx() as s:
            s.scalars(select(User).where(User.pk == pk)).one().time_zone = zone

    # -- Salesforce admin ---------------------------------------------------------------------------
    def salesforce_restore(self, ids: list[str]) -> None:
        self.org.restore(ids)

    def salesforce_add_status(self, status: str, closed: bool) -> None:
        current = self.org.picklists["Status"]
        closed_values = list(current.get("closed", ["Completed"])) + ([status] if closed else [])
        self.org.configure_picklist("Status", values=[*current["values"], status], closed=closed_values)

    def salesforce_fault(
        self,
        kind: str,
        *,
        once: bool,
        method: str | None = None,
        path: str = "/services/data/",
        status: int | None = None,
    ) -> None:
        self.org.faults.add(kind, method=method, path=path, times=1 if once else None, status=status)

    def salesforce_clear_faults(self) -> None:
        self.org.faults.clear()

    # -- the sync ------------------------------------------------------------------------------------
    def run_pass(self):
        return self.engine.run_pass()
