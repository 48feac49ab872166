"""Time travel across processes: `tasksync run --clock-url` follows a standalone mock's clock, so moving
the mocks' clocks through `/__admin/clock` moves the engine's too. Proven end to end on the "last pass
more than 14 days ago" path (R3.4): real `mock-sia serve` and `mock-salesforce serve` processes, the
real `tasksync` command, nothing in-process."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce

from mock_salesforce import salesforce_session

BIN = Path(sys.executable).parent
URL = re.compile(r"(https?://127\.0\.0\.1:\d+)")
ANN = {"Authorization": "Bearer sia-ann-token"}


def serve(tmp_path: Path, name: str, *args: str):
    log = tmp_path / f"{name}.log"
    proc = subprocess.Popen(
        [str(BIN / name), "serve", "--port", "0", *args], stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = URL.search(log.read_text())
        if found:
            return proc, found.group(1)
        assert proc.poll() is None, log.read_text()
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"{name} did not start: {log.read_text()}")


@pytest.fixture
def mocks(tmp_path):
    started = [serve(tmp_path, "mock-sia"), serve(tmp_path, "mock-salesforce", "--http")]
    try:
        yield started[0][1], started[1][1]
    finally:
        for proc, _ in started:
            proc.terminate()
            proc.wait(timeout=10)


def tasksync(*args: str, env: dict) -> tuple[int, str, str]:
    done = subprocess.run(
        [str(BIN / "tasksync"), *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )
    return done.returncode, done.stdout, done.stderr


def sia_names(sia: str) -> list[str]:
    answer = requests.get(f"{sia}/api/v1/tasks", headers=ANN, timeout=10)
    assert answer.status_code == 200, answer.text
    return [t["name"] for t in answer.json()["data"]]


def test_the_engine_follows_the_mocks_clock_into_the_14_day_gap_check(mocks, tmp_path):
    sia, sf_url = mocks
    # Ann connects her Salesforce user and turns sync on, on SIA's settings API
    connection = {
        "instance_url": sf_url,
        "username": "admin@example.com",
        "password": "password",
        "security_token": "token",
    }
    assert requests.put(
        f"{sia}/api/v1/settings/salesforce_connection", json=connection, headers=ANN, timeout=10
    ).ok
    assert requests.put(
        f"{sia}/api/v1/settings/task_sync", json={"enabled": True}, headers=ANN, timeout=10
    ).ok
    sf = Salesforce(
        username="admin@example.com",
        password="password",
        security_token="token",
        session=salesforce_session(sf_url, None),
    )
    task_id = sf.Task.create({"Subject": "Call Ann"})["id"]
    env = {
        "TASKSYNC_SIA_URL": sia,
        "TASKSYNC_SIA_TOKEN": "sia-service-token",
        "TASKSYNC_SF_URL": sf_url,
        "TASKSYNC_STATE_DB": f"sqlite:///{tmp_path / 'state.db'}",
    }
    follow = ["--clock-url", sia, "--reconcile-every", "0"]  # no periodic sweep: only the gap check
    for _ in range(2):  # the import, then the look-back re-read
        code, _, err = tasksync("run", "--once", *follow, env=env)
        assert code == 0, err
    assert sia_names(sia) == ["Call Ann"]

    # the task is deleted in Salesforce and purged before the engine reads it again
    sf.Task.delete(task_id)
    assert requests.post(f"{sf_url}/__admin/recycle-bin/purge", timeout=10).ok
    # both mocks' clocks move on 15 days
    for base in (sia, sf_url):
        moved = requests.post(f"{base}/__admin/clock", json={"action": "advance", "days": 15}, timeout=10)
        assert moved.ok, moved.text
    mock_now = requests.get(f"{sia}/__admin/clock", timeout=10).json()["now"]

    # without --clock-url the engine reads the wall clock: its last pass was moments ago, no gap check
    code, out, err = tasksync("run", "--once", "--json", "--reconcile-every", "0", env=env)
    assert code == 0, err
    assert json.loads(out)["totals"]["deleted"] == {"sia": 0, "salesforce": 0}
    assert sia_names(sia) == ["Call Ann"]

    # following the mock's clock, the last pass was 15 days ago: the linked ids are checked
    code, out, err = tasksync("run", "--once", "--json", *follow, env=env)
    assert code == 0, err
    report = json.loads(out)
    assert report["started_at"][:10] == mock_now[:10]  # the engine's clock is the mock's
    [deletion] = report["users"][0]["deletions"]
    assert deletion["sf_id"] == task_id and deletion["how_found"].startswith("linked-id check: ")
    assert sia_names(sia) == []


def test_an_unreadable_clock_is_one_line_and_exit_1(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        "TASKSYNC_SIA_URL": "http://127.0.0.1:9",
        "TASKSYNC_SIA_TOKEN": "t",
        "TASKSYNC_STATE_DB": f"sqlite:///{tmp_path / 's.db'}",
    }
    code, _, err = tasksync("run", "--once", "--clock-url", f"http://127.0.0.1:{port}", env=env)
    assert code == 1
    clock = f"http://127.0.0.1:{port}/__admin/clock"
    assert err.strip().splitlines() == [
        f"Error: the pass did not run: cannot read the clock at {clock}: ConnectionError"
    ]
