"""The mocks under load: C concurrent clients against `mock-salesforce serve` and `mock-sia serve`
(both on PostgreSQL).

Each client (a thread with its own HTTP session, like one worker's connection) loops for S seconds over a
mix of 4 reads to 1 write as one of the reps: SIA `GET /api/v1/tasks` / `POST /api/v1/tasks`, Salesforce
`GET .../query` (SOQL on Task) / `POST .../sobjects/Task`. Counted: requests answered 2xx, and errors
(any other status or a connection failure). `run_load` is used by `python -m benchmarks fleet --load` and
by tests/fleet/test_mocks_under_load.py.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    name: str
    clients: int
    seconds: float
    ok: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def _sia_client(lab, uid: str):
    import requests

    session = requests.Session()
    session.trust_env = False
    session.headers.update({"Authorization": f"Bearer {lab.sia.service_token}", "X-SIA-User": uid})
    base = f"{lab.sia.url}/api/v1"
    n = [0]

    def one():
        n[0] += 1
        if n[0] % 5 == 0:
            return session.post(f"{base}/tasks", json={"name": f"load {uid} {n[0]}"})
        return session.get(f"{base}/tasks", params={"limit": 50})

    return one


def _sf_client(lab, uid: str):
    from mock_salesforce import salesforce_session

    info = lab.users[uid]
    admin = lab.sf_session()
    login = admin.post(f"{lab.sf.url}/__admin/sessions", json={"user": info["sf_username"]}).json()
    session = salesforce_session(lab.sf.url, lab.sf.ca_path)
    session.headers["Authorization"] = f"Bearer {login['session_id']}"
    base = f"{login['instance_url']}/services/data/v59.0"
    soql = f"SELECT Id, Subject, SystemModstamp FROM Task WHERE OwnerId = '{info['sf_id']}' LIMIT 50"
    n = [0]

    def one():
        n[0] += 1
        if n[0] % 5 == 0:
            return session.post(f"{base}/sobjects/Task", json={"Subject": f"load {uid} {n[0]}"})
        return session.get(f"{base}/query", params={"q": soql})

    return one


def run_load(lab, side: str, clients: int = 16, seconds: float = 10.0) -> LoadResult:
    """`clients` threads hammer one mock for `seconds`; -> requests answered and errors."""
    users = list(lab.users)
    make = _sia_client if side == "sia" else _sf_client
    calls = [make(lab, users[i % len(users)]) for i in range(clients)]
    result = LoadResult("SIA" if side == "sia" else "Salesforce", clients, seconds)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def loop(call) -> None:
        ok, errors = 0, []
        start.wait()
        while time.monotonic() < stop_at[0]:
            try:
                response = call()
                if 200 <= response.status_code < 300:
                    ok += 1
                else:
                    errors.append(f"{response.status_code} {response.text[:200]}")
            except Exception as exc:  # a dropped connection under load is what we are looking for
                errors.append(f"{type(exc).__name__}: {exc}")
        with lock:
            result.ok += ok
            result.errors += errors

    threads = [threading.Thread(target=loop, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    stop_at[0] = time.monotonic() + seconds
    start.wait()
    for t in threads:
        t.join()
    return result
