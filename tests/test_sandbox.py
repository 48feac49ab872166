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
        [
            sys.executable,
            "-m",
            "sandbox",
            "--sf-port",
            "0",
            "--sia-port",
            "0",
            "--interval",
            "0.3",
            "--tasks",
            "30",
            "--dir",
            str(tmp_path / "sb"),
        ],
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
        assert {
            t["id"] for t in requests.get(f"{sia_url}/api/v1/tasks", headers=ANN, timeout=10).json()["data"]
        } == before

        saved = requests.put(
            f"{sia_url}/api/v1/settings/task_sync", json={"enabled": True}, headers=ANN, timeout=10
        )
        assert saved.status_code == 200 and saved.json()["enabled"] is True
        imported: set[str] = set()
        for _ in range(100):
            listed = requests.get(
                f"{sia_url}/api/v1/tasks", headers=ANN, params={"limit": 1000}, timeout=10
            ).json()["data"]
            imported = {t["id"] for t in listed} - before
            if imported:
                break
            time.sleep(0.2)
        assert imported, "no Salesforce task reached SIA after sync was turned on"
        # The seed has Salesforce tasks due today and tomorrow (Ann's zone): the first import shows at once.
        view = requests.get(f"{sia_url}/api/v1/command_center", headers=ANN, timeout=10).json()
        assert "Call Ann's lead back" in [t["name"] for t in view["today"]]
        assert "Send the renewal quote" in [t["name"] for t in view["tomorrow"]]

        # The banner names the exact command that reads this sandbox's state.
        status_cmd = re.search(r"what it did\s+(\S+tasksync status --state-db \S+)", banner).group(1)
        state_url = status_cmd.split("--state-db ")[1]
        shown = subprocess.run(
            [sys.executable, "-m", "sync", "status", "--state-db", state_url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shown.returncode == 0 and "linked task(s)" in shown.stdout, shown

        # A stopped user is printed in the log (not only passes that changed something).
        sf_url = re.search(r"Salesforce mock\s+(https://\S+)", banner).group(1)
        ca = re.search(r"CA certificate to trust\s+(\S+)", banner).group(1)
        users = requests.get(f"{sf_url}/__admin/users", verify=ca, timeout=10).json()["users"]
        admin = next(u for u in users if u["Username"] == "admin@example.com")
        changed = requests.post(
            f"{sf_url}/__admin/users/{admin['Id']}", json={"Password": "new-pw"}, verify=ca, timeout=10
        )
        assert changed.status_code == 200, changed.text
        time.sleep(1.5)
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "STOPPED: INVALID_LOGIN" in out
    assert out.count("STOPPED: INVALID_LOGIN") <= 2, (
        "a stopped user is printed when it changes, not every pass"
    )
    assert "stopped." in out


def test_sandbox_names_the_flag_of_a_taken_port(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for flag in ("--sf-port", "--sia-port"):
            other = "--sia-port" if flag == "--sf-port" else "--sf-port"
            done = subprocess.run(
                [sys.executable, "-m", "sandbox", flag, str(port), other, "0", "--dir", str(tmp_path / "sb")],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 1
            assert f"choose another with {flag}" in done.stderr and "Traceback" not in done.stderr


def test_sandbox_and_mock_commands_take_h():
    for command in (["-m", "sandbox"], ["-m", "mock_salesforce", "serve"], ["-m", "mock_sia", "serve"]):
        done = subprocess.run([sys.executable, *command, "-h"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "--help" in done.stdout and "Usage:" in done.stdout, (command, done)


def _start(args: list[str], ready: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    printed = ""
    while ready not in printed:
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            raise AssertionError(f"{args} did not start:\n{printed}")
        printed += line
    return proc, printed


def test_standalone_sia_page_connects_to_an_https_salesforce_mock_it_trusts():
    """`mock-sia serve --salesforce-ca`: the Settings page's login check trusts the Salesforce mock's CA."""
    sf, sf_out = _start(["mock_salesforce", "serve", "--port", "0"], "trust this CA certificate")
    try:
        ca = re.search(r"trust this CA certificate: (\S+)", sf_out).group(1)
        sf_url = re.search(r" at (https://\S+)", sf_out).group(1)
        sia, sia_out = _start(["mock_sia", "serve", "--port", "0", "--salesforce-ca", ca], "Ctrl-C stops")
        try:
            sia_url = re.search(r"listening on (\S+)", sia_out).group(1)
            browser = requests.Session()
            token = re.search(
                r'name="csrf_token" value="([^"]+)"', browser.get(f"{sia_url}/login").text
            ).group(1)
            browser.post(f"{sia_url}/login", data={"api_token": "sia-ann-token", "csrf_token": token})
            settings = browser.get(f"{sia_url}/settings").text  # signed in: a new session, a new token
            token = re.search(r'name="csrf_token" value="([^"]+)"', settings).group(1)
            form = {
                "instance_url": sf_url,
                "username": "admin@example.com",
                "security_token": "token",
                "salesforce_user_id": "",
                "csrf_token": token,
            }
            refused = browser.post(f"{sia_url}/settings/salesforce", data={**form, "password": "wrong"})
            assert "Salesforce refused the login" in refused.text
            connected = browser.post(f"{sia_url}/settings/salesforce", data={**form, "password": "password"})
            assert "Salesforce is connected." in connected.text
        finally:
            sia.send_signal(signal.SIGINT)
            sia.communicate(timeout=30)
    finally:
        sf.send_signal(signal.SIGINT)
        sf.communicate(timeout=30)
