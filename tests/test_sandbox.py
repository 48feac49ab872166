"""`make run` end to end: the sandbox process starts both mocks and the daemon; turning sync on in
SIA brings the last 24 hours of Salesforce tasks in; Ctrl-C stops everything cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import requests

ANN = {"Authorization": "Bearer sia-ann-token"}


def _read_banner(proc: subprocess.Popen, deadline: float) -> str:
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Try it"):
            return "".join(lines)
    raise AssertionError("the sandbox did not print its banner:\n" + "".join(lines))


def test_sandbox_runs_syncs_and_stops_on_ctrl_c(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--sf-port", "0", "--sia-port", "0", "--interval", "0.3",
         "--tasks", "30", "--dir", str(tmp_path / "sb")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        banner = _read_banner(proc, time.monotonic() + 60)
        sia_url = re.search(r"SIA \(Sales Insight Actions\) mock\s+(\S+)", banner).group(1)
        assert re.search(r"Salesforce mock\s+https://localhost:\d+", banner)
        assert "admin@example.com / password / security token token" in banner

        tasks = requests.get(f"{sia_url}/api/v1/tasks", headers=ANN, timeout=10).json()["data"]
        before = {t["id"] for t in tasks}  # SIA's own seeded tasks; sync is off, nothing imported yet
        time.sleep(1)  # several daemon passes with sync off
        assert {t["id"] for t in requests.get(f"{sia_url}/api/v1/tasks", headers=ANN, timeout=10)
                .json()["data"]} == before

        saved = requests.put(f"{sia_url}/api/v1/settings/task_sync", json={"enabled": True}, headers=ANN,
                             timeout=10)
        assert saved.status_code == 200 and saved.json()["enabled"] is True
        imported: set[str] = set()
        for _ in range(100):
            listed = requests.get(f"{sia_url}/api/v1/tasks", headers=ANN, params={"limit": 1000},
                                  timeout=10).json()["data"]
            imported = {t["id"] for t in listed} - before
            if imported:
                break
            time.sleep(0.2)
        assert imported, "no Salesforce task reached SIA after sync was turned on"
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "stopped." in out
