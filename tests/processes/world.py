"""Both mocks and the engine as real processes, driven only through their public surfaces.

    with World(tmp_path, state_url) as w:       # mock-salesforce + mock-sia serve, file databases
        w.connect_users(3)                      # SIA users connected to Salesforce users, sync on
        w.seed(sf=300, sia=100)                 # tasks on both sides (simple-salesforce / SIA API)
        proc = w.start_engine("--interval", "0.5")
        w.edit_round(rng, 6)                    # creates/updates/completions/deletions, both sides
        figures = w.verify()                    # duplicates, lost edits, resurrections

Each logical task is edited only on the side it was created on, so every acknowledged edit has one
expected final value (no conflict in between to decide it); both sides must show it in the end.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests
from simple_salesforce import Salesforce

from mock_salesforce import DEFAULT_PASSWORD, DEFAULT_TOKEN, DEFAULT_USERNAME, salesforce_session

SERVICE_TOKEN = "sia-service-token"
ANN_TOKEN = "sia-ann-token"
SF_STATUS_TO_SIA = {"Not Started": "open", "Completed": "complete"}


def start_server(
    args: list[str], log: Path, pattern: str, timeout: float = 60
) -> tuple[subprocess.Popen, str]:
    """Start a mock server; its URL from the line of its start-up text that matches `pattern`."""
    out = log.open("w")
    proc = subprocess.Popen([sys.executable, "-m", *args], stdout=out, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(pattern, log.read_text())
        if match:
            return proc, match.group(1)
        if proc.poll() is not None:
            raise RuntimeError(f"{args[0]} exited: {log.read_text()}")
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{args[0]} did not start: {log.read_text()}")


@dataclass
class Task:
    """One logical task as the test expects it on both sides."""

    user: str
    origin: str  # "sf" | "sia": the side it is created and edited on
    id: str
    details: str | None
    status: str = "open"  # SIA's words: open | complete
    deleted: bool = False


@dataclass
class User:
    sia_id: str
    sia_token: str
    sf_username: str
    sf: Salesforce | None = None


@dataclass
class World:
    tmp: Path
    state_url: str
    users: list[User] = field(default_factory=list)
    tasks: dict[str, Task] = field(default_factory=dict)  # by name (unique)
    edits: int = 0
    counter: int = 0
    procs: list[subprocess.Popen] = field(default_factory=list)

    def __enter__(self) -> World:
        self.sf_proc, self.sf_url = start_server(
            ["mock_salesforce", "serve", "--port", "0", "--http", "--db", f"sqlite:///{self.tmp / 'sf.db'}"],
            self.tmp / "sf.log",
            r"at (http://\S+)",
        )
        self.sia_proc, self.sia_url = start_server(
            ["mock_sia", "serve", "--port", "0", "--http", "--db", f"sqlite:///{self.tmp / 'sia.db'}"],
            self.tmp / "sia.log",
            r"listening on (http://\S+)",
        )
        self.http = requests.Session()
        # Enough API allocation for a long campaign (the budget governor is not under test here).
        self.http.post(f"{self.sf_url}/__admin/api-allocation", json={"max": 10_000_000}).raise_for_status()
        return self

    def __exit__(self, *exc) -> None:
        for proc in [*self.procs, self.sf_proc, self.sia_proc]:
            if proc.poll() is None:
                proc.kill()
            proc.wait()

    # -- set-up through the public APIs ---------------------------------------------------------
    def sia(self, user: User, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {user.sia_token}"}
        response = self.http.request(
            method, f"{self.sia_url}/api/v1{path}", headers=headers, timeout=60, **kwargs
        )
        if response.status_code >= 300:
            raise AssertionError(f"SIA {method} {path}: {response.status_code} {response.text[:300]}")
        return response

    def connect_users(self, n: int) -> None:
        """Ann plus n-1 new SIA users, each connected to their own Salesforce user, sync on."""
        pairs = [(ANN_TOKEN, DEFAULT_USERNAME)]
        for i in range(1, n):
            sia_user = self.http.post(
                f"{self.sia_url}/__admin/users",
                json={"name": f"Rep {i}", "email": f"rep{i}@sia.example", "api_token": f"sia-rep{i}-token"},
            )
            sia_user.raise_for_status()
            username = f"rep{i}@example.com"
            self.http.post(f"{self.sf_url}/__admin/users", json={"Username": username}).raise_for_status()
            pairs.append((f"sia-rep{i}-token", username))
        for token, username in pairs:
            user = User(sia_id="", sia_token=token, sf_username=username)
            user.sia_id = self.sia(user, "GET", "/users/me").json()["id"]
            self.sia(
                user,
                "PUT",
                "/settings/salesforce_connection",
                json={
                    "instance_url": self.sf_url,
                    "username": username,
                    "password": DEFAULT_PASSWORD,
                    "security_token": DEFAULT_TOKEN,
                },
            )
            self.sia(user, "PUT", "/settings/task_sync", json={"enabled": True})
            user.sf = Salesforce(
                username=username,
                password=DEFAULT_PASSWORD,
                security_token=DEFAULT_TOKEN,
                session=salesforce_session(self.sf_url, None),
            )
            self.users.append(user)

    def _name(self, user: User, origin: str) -> str:
        self.counter += 1
        return f"{origin}-{user.sia_id}-{self.counter}"

    def create_sf(self, user: User, n: int) -> None:
        """n Salesforce tasks of this user, 200 per sObject Collections call."""
        names = [self._name(user, "sf") for _ in range(n)]
        for start in range(0, n, 200):
            chunk = names[start : start + 200]
            records = [
                {"attributes": {"type": "Task"}, "Subject": name, "Description": "d0"} for name in chunk
            ]
            results = user.sf.restful(
                "composite/sobjects", method="POST", json={"allOrNone": True, "records": records}
            )
            for name, result in zip(chunk, results, strict=True):
                assert result["success"], result
                self.tasks[name] = Task(user.sia_id, "sf", result["id"], "d0")
        self.edits += n

    def create_sia(self, user: User, n: int) -> None:
        names = [self._name(user, "sia") for _ in range(n)]
        for start in range(0, n, 200):
            chunk = names[start : start + 200]
            ops = [{"op": "create", "data": {"name": name, "details": "d0"}} for name in chunk]
            results = self.sia(user, "POST", "/tasks/batch", json={"operations": ops}).json()["results"]
            for name, result in zip(chunk, results, strict=True):
                assert result["status"] == 201, result
                self.tasks[name] = Task(user.sia_id, "sia", result["data"]["id"], "d0")
        self.edits += n

    def seed(self, sf: int, sia: int) -> None:
        for user in self.users:
            self.create_sf(user, sf)
            self.create_sia(user, sia)

    # -- edits between kills -------------------------------------------------------------------
    def edit_round(self, rng: random.Random, n: int, bulk: int = 0) -> None:
        """n random edits (create / update / complete / delete, either side), plus `bulk` new tasks."""
        for _ in range(n):
            user = rng.choice(self.users)
            origin = rng.choice(("sf", "sia"))
            kind = rng.choices(("create", "update", "complete", "delete"), weights=(2, 5, 2, 2))[0]
            mine = [
                (name, t)
                for name, t in self.tasks.items()
                if t.user == user.sia_id and t.origin == origin and not t.deleted
            ]
            if kind == "create" or not mine:
                (self.create_sf if origin == "sf" else self.create_sia)(user, 1)
                continue
            name, task = rng.choice(sorted(mine, key=lambda x: x[0]))
            self.edits += 1
            if kind == "update":
                task.details = f"e{self.edits}"
                if origin == "sf":
                    user.sf.Task.update(task.id, {"Description": task.details})
                else:
                    self.sia(user, "PATCH", f"/tasks/{task.id}", json={"details": task.details})
            elif kind == "complete":
                task.status = "complete"
                if origin == "sf":
                    user.sf.Task.update(task.id, {"Status": "Completed"})
                else:
                    self.sia(user, "PATCH", f"/tasks/{task.id}", json={"status": "complete"})
            else:
                task.deleted = True
                if origin == "sf":
                    user.sf.Task.delete(task.id)
                else:
                    self.sia(user, "DELETE", f"/tasks/{task.id}")
        if bulk:
            user = rng.choice(self.users)
            (self.create_sf if rng.random() < 0.5 else self.create_sia)(user, bulk)

    # -- the engine as a process -----------------------------------------------------------------
    def engine_env(self) -> dict:
        return {
            **os.environ,
            "TASKSYNC_SIA_URL": self.sia_url,
            "TASKSYNC_SIA_TOKEN": SERVICE_TOKEN,
            "TASKSYNC_STATE_DB": self.state_url,
            "TASKSYNC_SF_URL": self.sf_url,
        }

    def start_engine(self, *args: str, log: Path | None = None) -> subprocess.Popen:
        err = (log or self.tmp / "engine.log").open("a")
        proc = subprocess.Popen(
            [sys.executable, "-m", "sync", "run", *args],
            env=self.engine_env(),
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        )
        self.procs.append(proc)
        return proc

    def wait_started(self, log: Path, proc: subprocess.Popen, starts: int, timeout: float = 60) -> None:
        """Until the daemon has announced its loop (`starts` announcements in `log` so far)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if log.exists() and log.read_text().count("tasksync: a pass every") >= starts:
                return
            if proc.poll() is not None:
                raise AssertionError(f"the engine exited with {proc.returncode}: {log.read_text()[-2000:]}")
            time.sleep(0.05)
        raise AssertionError("the engine did not start")

    def run_once(self) -> dict:
        """One clean pass as `tasksync run --once --json`; its report."""
        import json

        done = subprocess.run(
            [sys.executable, "-m", "sync", "run", "--once", "--json"],
            env=self.engine_env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert "Traceback" not in done.stderr, done.stderr
        return json.loads(done.stdout)

    @staticmethod
    def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        proc.send_signal(sig)
        return proc.wait(timeout=timeout)

    # -- the end state, read through both APIs ----------------------------------------------------
    def sides(self, user: User) -> tuple[list[dict], list[dict]]:
        sia: list[dict] = []
        params = {"include_deleted": "true", "limit": 1000}
        while True:
            page = self.sia(user, "GET", "/tasks", params=params).json()
            sia += page["data"]
            if not page.get("next_cursor"):
                break
            params = {"include_deleted": "true", "limit": 1000, "cursor": page["next_cursor"]}
        owner = user.sf.query(f"SELECT Id FROM User WHERE Username = '{user.sf_username}'")["records"][0][
            "Id"
        ]
        sf = user.sf.query_all(
            "SELECT Id, Subject, Status, Description, SIA_Task_Id__c, IsDeleted FROM Task "
            f"WHERE OwnerId = '{owner}'",
            include_deleted=True,
        )["records"]
        return sia, sf

    def verify(self) -> dict:
        """Duplicates (either side), lost edits, resurrected deletions - and the problems, named."""
        figures = {"duplicates": 0, "lost": 0, "resurrected": 0, "problems": []}
        for user in self.users:
            sia, sf = self.sides(user)
            live_sia = Counter(t["name"] for t in sia if not t.get("deleted_at"))
            live_sf = Counter(r["Subject"] for r in sf if not r["IsDeleted"])
            ext = Counter(r["SIA_Task_Id__c"] for r in sf if not r["IsDeleted"] and r["SIA_Task_Id__c"])
            dups = [n for n, c in (live_sia + live_sf).items() if live_sia[n] > 1 or live_sf[n] > 1]
            dups += [i for i, c in ext.items() if c > 1]
            figures["duplicates"] += len(dups)
            figures["problems"] += [f"duplicate {n}" for n in dups]
            sia_by = {t["name"]: t for t in sia if not t.get("deleted_at")}
            sf_by = {r["Subject"]: r for r in sf if not r["IsDeleted"]}
            for name, task in self.tasks.items():
                if task.user != user.sia_id:
                    continue
                if task.deleted:
                    if name in sia_by or name in sf_by:
                        figures["resurrected"] += 1
                        figures["problems"].append(f"resurrected {name}")
                    continue
                s, r = sia_by.get(name), sf_by.get(name)
                wrong = (
                    s is None
                    or r is None
                    or s["details"] != task.details
                    or r["Description"] != task.details
                    or s["status"] != task.status
                    or SF_STATUS_TO_SIA.get(r["Status"]) != task.status
                )
                if wrong:
                    figures["lost"] += 1
                    figures["problems"].append(f"lost {name}: expected {task}, SIA {s}, SF {r}")
        return figures


def writes(report: dict) -> int:
    totals = report["totals"]
    return sum(sum(totals[k].values()) for k in ("created", "updated", "deleted"))


def settle(world: World, passes: int = 2) -> list[int]:
    """Clean passes until one writes nothing (at most `passes` + 1); the writes of each."""
    out = []
    for _ in range(passes + 1):
        report = world.run_once()
        assert not report.get("error"), report
        out.append(writes(report))
        if out[-1] == 0:
            break
    return out
