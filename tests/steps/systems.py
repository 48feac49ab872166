"""The running systems behind a scenario, in either mode, on one shared clock.

`Systems` wraps one `sandbox.harness.Harness` (both mocks, the engine, SIA user Ann connected to the
org's default Salesforce user) and adds the few admin verbs the scenarios need: a second rep, a
rep's time zone, the recycle bin, a custom closed status, faults. In servers mode one Harness (two
real servers) serves the whole session and is reset before every scenario.
"""

from __future__ import annotations

from datetime import UTC, datetime

import requests
from simple_salesforce import Salesforce

from mock_core.clock import Clock
from mock_salesforce import DEFAULT_PASSWORD, DEFAULT_TOKEN, DEFAULT_USERNAME
from sandbox.harness import Harness

# Monday 2 March 2026, 09:00 UTC: 04:00 in New York (Ann's time zone), so still 2 March for her.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADMIN_EMAIL = "admin@sia.example"
ADMIN_TOKEN = "sia-admin-token"


class Systems:
    """The adapter `World` talks to; every name is a rep ("ann", "bob")."""

    def __init__(self, mode: str = "inprocess") -> None:
        self.mode = mode
        self.clock = Clock(frozen_at=START)
        self.h = Harness(mode=mode, clock=self.clock)
        self._fresh()

    # -- lifecycle -------------------------------------------------------------------------------
    def _fresh(self) -> None:
        h = self.h
        self._users: dict[str, dict] = {
            "ann": {"sia_id": h.user_id, "sf_username": DEFAULT_USERNAME, "sf_id": h.sf_user_id}
        }
        self._admin_id = h.sia.user_by_email(ADMIN_EMAIL).id
        h.tokens[self._admin_id] = ADMIN_TOKEN
        self._sessions: dict[str, requests.Session] = {}
        self._sf_clients: dict[str, Salesforce] = {}

    def reset(self) -> None:
        """Back to the start for the next scenario, keeping the running servers."""
        self.h.reset(START)
        self._fresh()

    def close(self) -> None:
        self.h.close()

    # -- users -------------------------------------------------------------------------------------
    @property
    def sia_url(self) -> str:
        return self.h.sia_url

    def users(self) -> list[str]:
        return list(self._users)

    def add_user(self, key: str) -> None:
        """Another rep (e.g. Bob): an SIA user connected to a Salesforce user of their own."""
        sf_username = f"{key}@example.com"
        sia_id = self.h.add_user_pair(f"{key.capitalize()} Example", f"{key}@sia.example", sf_username)
        sf_id = next(u["Id"] for u in self.h.org.list_users() if u["Username"] == sf_username)
        self._users[key] = {"sia_id": sia_id, "sf_username": sf_username, "sf_id": sf_id}

    def sia_as(self, key: str) -> requests.Session:
        """The SIA API as that rep, with their own token."""
        if key not in self._sessions:
            self._sessions[key] = self.h.sia_user_session(self._users[key]["sia_id"])
        return self._sessions[key]

    def sia_admin(self) -> requests.Session:
        if "__admin" not in self._sessions:
            self._sessions["__admin"] = self.h.sia_user_session(self._admin_id)
        return self._sessions["__admin"]

    def salesforce(self, key: str) -> Salesforce:
        """simple-salesforce logged in as the Salesforce user that rep is connected to."""
        if key not in self._sf_clients:
            self._sf_clients[key] = self.h.salesforce(self._users[key]["sf_username"])
        return self._sf_clients[key]

    def salesforce_user_id(self, key: str) -> str:
        return self._users[key]["sf_id"]

    def set_time_zone(self, key: str, zone: str) -> None:
        """The rep's time zone, as the rep sets it in their SIA profile (PATCH /users/me)."""
        answer = self.sia_as(key).patch(f"{self.sia_url}/api/v1/users/me", json={"time_zone": zone})
        assert answer.status_code == 200, answer.text

    # -- Salesforce admin ---------------------------------------------------------------------------
    def salesforce_restore(self, ids: list[str]) -> None:
        """Undelete from the recycle bin, as a Salesforce user does in the UI."""
        self.h.org.restore(ids)

    def salesforce_empty_recycle_bin(self) -> None:
        """Empty the recycle bin (or hard-delete), as a Salesforce admin does in the UI."""
        self.h.org.purge_recycle_bin()

    def reconnect_salesforce(self, key: str, other: str) -> None:
        """The rep disconnects Salesforce and connects another Salesforce user's login, leaving the
        Salesforce user id blank, on the SIA settings API (as the settings page allows)."""
        session, url = self.sia_as(key), f"{self.sia_url}/api/v1/settings/salesforce_connection"
        answer = session.delete(url)
        assert answer.status_code == 200, answer.text
        body = {
            "instance_url": self.h.sf_url or "https://mock-org.my.salesforce.com",
            "username": self._users[other]["sf_username"],
            "password": DEFAULT_PASSWORD,
            "security_token": DEFAULT_TOKEN,
        }
        answer = session.put(url, json=body)
        assert answer.status_code == 200, answer.text

    def salesforce_add_status(self, status: str, closed: bool) -> None:
        """A Salesforce admin adds a task status (Setup -> Task Status picklist)."""
        current = self.h.org.picklists["Status"]
        closed_values = list(current.get("closed", ["Completed"])) + ([status] if closed else [])
        self.h.org.configure_picklist("Status", values=[*current["values"], status], closed=closed_values)

    def salesforce_fault(
        self,
        kind: str,
        *,
        once: bool,
        method: str | None = None,
        path: str = "/services/data/",
        status: int | None = None,
    ) -> None:
        self.h.org.faults.add(kind, method=method, path=path, times=1 if once else None, status=status)

    def salesforce_clear_faults(self) -> None:
        self.h.org.faults.clear()

    # -- the sync ------------------------------------------------------------------------------------
    def run_pass(self):
        return self.h.run_pass()
