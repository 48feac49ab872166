"""`tasksync` as an operator runs it: a real process (`.venv/bin/tasksync`) against both mocks as real
servers. Every exit code (0 synced, 1 pass failed / user stopped, 2 usage, 3 state database), every
bad-state-database case in one line without a traceback, `-h` everywhere, and a daemon that keeps
going through failed passes."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

TASKSYNC = str(Path(sys.executable).parent / "tasksync")


def tasksync(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 60):
    """Run the real command; returns (exit code, stdout, stderr)."""
    done = subprocess.run(
        [TASKSYNC, *args],
        env={**os.environ, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done.returncode, done.stdout, done.stderr


def one_clear_line(err: str, *needles: str) -> None:
    """A state-database problem: one line naming it and what to do - never a traceback."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("Error: state database"), err
    for needle in needles:
        assert needle in lines[0], (needle, err)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- 0 and 1 -------------------------------------------------------------------------------------------


def test_exit_0_when_every_user_synced_and_status_says_ok_since_when(servers):
    h, env = servers
    code, out, err = tasksync("run", "--once", "--json", env=env)
    assert code == 0, err
    assert json.loads(out)["users"][0]["outcome"] == "ok"
    assert [t["name"] for t in h.sia_tasks()] == ["From SF via the CLI"]
    code, out, _ = tasksync("status", env=env)
    assert code == 0 and f"user {h.user_id}: ok since " in out and "1 linked task(s)" in out


def test_exit_1_when_salesforce_refuses_the_login_and_status_shows_the_stopped_user(servers):
    h, env = servers
    h.connect(h.user_id, "admin@example.com", "wrong-password", "token", h.sf_user_id)
    code, _, err = tasksync("run", "--once", env=env)
    assert code == 1, err
    assert f"user {h.user_id} STOPPED: INVALID_LOGIN" in err and "Traceback" not in err
    code, out, _ = tasksync("status", env=env)
    assert code == 0 and f"user {h.user_id}: stopped: INVALID_LOGIN" in out and " since " in out
    data = json.loads(tasksync("status", "--json", env=env)[1])
    assert data["users"][h.user_id]["outcome"] == "stopped"
    # fixed: the next pass is ok again, and "since" moves to it
    h.connect(h.user_id, "admin@example.com", "password", "token", h.sf_user_id)
    assert tasksync("run", "--once", env=env)[0] == 0
    again = json.loads(tasksync("status", "--json", env=env)[1])["users"][h.user_id]
    assert again["outcome"] == "ok" and again["outcome_since"] != data["users"][h.user_id]["outcome_since"]


def test_exit_1_when_sia_is_unreachable(servers, tmp_path):
    _h, env = servers
    code, out, err = tasksync(
        "run", "--once", env={**env, "TASKSYNC_SIA_URL": f"http://127.0.0.1:{free_port()}"}
    )
    assert code == 1, (out, err)
    assert "FAILED: SIA_UNREACHABLE: cannot reach SIA at http://127.0.0.1:" in err and "Traceback" not in err


def test_exit_1_when_sia_refuses_the_service_token(servers):
    _h, env = servers
    code, _, err = tasksync("run", "--once", env={**env, "TASKSYNC_SIA_TOKEN": "wrong"})
    assert code == 1
    assert "SIA_UNAUTHORIZED" in err and "refused the service token (401)" in err and "Traceback" not in err


def test_a_user_deferred_by_the_api_budget_exits_0_with_a_warning(servers):
    """Decided: a deferral is the governor working as designed (F3/F4) - exit 0, a warning on stderr."""
    h, env = servers
    assert tasksync("run", "--once", env=env)[0] == 0
    h.sia_api("POST", "/tasks", json={"name": "waits for the budget"})
    h.org.set_api_allocation(100, used=89)
    code, _, err = tasksync("run", "--once", env=env)
    assert code == 0, err
    assert f"warning: user {h.user_id} deferred" in err
    code, out, _ = tasksync("status", env=env)
    assert f"user {h.user_id}: deferred: API usage" in out


def test_report_of_an_unknown_run_says_so(servers):
    _h, env = servers
    assert tasksync("run", "--once", env=env)[0] == 0
    code, _, err = tasksync("report", "--run", "99", env=env)
    assert code == 1 and "there is no pass #99 in this state database (the last is #1)" in err
    assert tasksync("report", "--run", "1", env=env)[0] == 0


# -- 2: usage ----------------------------------------------------------------------------------------


def test_exit_2_on_usage_errors():
    code, _, err = tasksync("run", "--once", env={"TASKSYNC_SIA_URL": "", "TASKSYNC_SIA_TOKEN": ""})
    assert code == 2 and "Missing option" in err
    code, _, err = tasksync(
        "run", "--interval", "0", env={"TASKSYNC_SIA_URL": "x", "TASKSYNC_SIA_TOKEN": "t"}
    )
    assert code == 2 and "--interval" in err
    assert tasksync("report", "--run", "zero")[0] == 2
    assert tasksync("nonsense")[0] == 2


@pytest.mark.parametrize("command", [[], ["run"], ["status"], ["report"]])
def test_dash_h_works_on_every_command_and_documents_the_exit_codes(command):
    for flag in ("-h", "--help"):
        code, out, _ = tasksync(*command, flag)
        assert code == 0 and "Usage: tasksync" in out and "Exit codes:" in out
        assert "3  state-database problem" in out


# -- 3: the state database ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["status", "report"])
def test_a_missing_state_db_is_named_and_never_created(tmp_path, command):
    code, _, err = tasksync(command, cwd=tmp_path, env={"TASKSYNC_STATE_DB": ""})
    assert code == 3
    one_clear_line(err, str(tmp_path / "tasksync-state.db"), "does not exist", "--state-db")
    assert list(tmp_path.iterdir()) == []  # no ./tasksync-state.db made behind the operator's back


@pytest.mark.parametrize("command", [["run", "--once"], ["status"], ["report"]])
def test_a_corrupt_state_db(tmp_path, command):
    db = tmp_path / "state.db"
    db.write_bytes(b"this is not a database, it was overwritten by mistake\n" * 200)
    code, _, err = tasksync(*command, env=_env(f"sqlite:///{db}"))
    assert code == 3
    one_clear_line(err, str(db), "not a readable SQLite database", "backup")


@pytest.mark.parametrize("command", [["run", "--once"], ["status"], ["report"]])
def test_a_foreign_database_is_refused(tmp_path, command):
    db = tmp_path / "sia.db"
    with sqlite3.connect(db) as conn:  # e.g. a mock's database given by mistake
        conn.execute("CREATE TABLE tasks (id TEXT PRIMARY KEY, name TEXT)")
        conn.execute("CREATE TABLE users (id TEXT PRIMARY KEY)")
    code, _, err = tasksync(*command, env=_env(f"sqlite:///{db}"))
    assert code == 3
    one_clear_line(err, str(db), "belongs to something else (tables: tasks, users)")
    with sqlite3.connect(db) as conn:  # and nothing was written into it
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"tasks", "users"}


@pytest.mark.parametrize("command", [["run", "--once"], ["status"], ["report"]])
def test_a_bad_url(command):
    code, _, err = tasksync(*command, env=_env("not a url at all"))
    assert code == 3
    one_clear_line(err, "'not a url at all' is not a database URL", "sqlite:///", "postgresql+psycopg://")


def test_a_missing_directory_for_run(tmp_path):
    code, _, err = tasksync("run", "--once", env=_env(f"sqlite:///{tmp_path / 'nowhere' / 'state.db'}"))
    assert code == 3
    one_clear_line(err, "does not exist")


def test_a_read_only_state_db(servers, tmp_path):
    """The pass's first write fails: one line, exit 3. (SQLite's own read-only mode, since the tests may
    run as root, for whom file permissions do not stop a write.)"""
    h, env = servers
    assert tasksync("run", "--once", env=env)[0] == 0
    db = tmp_path / "state.db"
    code, _, err = tasksync(
        "run", "--once", env={**env, "TASKSYNC_STATE_DB": f"sqlite:///file:{db}?mode=ro&uri=true"}
    )
    assert code == 3
    one_clear_line(err, "is read-only", "write access")
    if os.geteuid() != 0:  # a read-only file, as an operator meets it
        db.chmod(0o444)
        code, _, err = tasksync("run", "--once", env=env)
        assert code == 3
        one_clear_line(err, str(db), "read-only")


def test_a_postgresql_url_without_psycopg_installed(tmp_path):
    blocker = tmp_path / "no_psycopg"
    (blocker / "psycopg").mkdir(parents=True)
    (blocker / "psycopg" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n"
    )
    env = {**_env("postgresql+psycopg://tasksync:secret@127.0.0.1:5432/tasksync"), "PYTHONPATH": str(blocker)}
    for command in (["run", "--once"], ["status"]):
        code, _, err = tasksync(*command, env=env)
        assert code == 3
        one_clear_line(err, "driver is not installed", "psycopg", "postgres extra")
        assert "secret" not in err  # the password is never printed


def test_an_unreachable_postgresql_server():
    code, _, err = tasksync("status", env=_env(f"postgresql+psycopg://u:secret@127.0.0.1:{free_port()}/db"))
    assert code == 3
    one_clear_line(err, "127.0.0.1", "OperationalError")
    assert "secret" not in err


def _env(url: str) -> dict:
    return {"TASKSYNC_STATE_DB": url, "TASKSYNC_SIA_URL": "http://127.0.0.1:9", "TASKSYNC_SIA_TOKEN": "t"}


# -- the daemon keeps going ----------------------------------------------------------------------------


def test_the_daemon_retries_a_failed_pass_with_backoff_then_syncs(servers, tmp_path):
    """SIA's service endpoint fails (503) for a while: each failed pass is one line, the waits grow,
    and once SIA answers again the daemon syncs - it never exits on its own."""
    h, env = servers
    h.sia.faults.add("status", status=503, path="/api/v1/service/sync_users")
    errors = tmp_path / "stderr.log"
    with errors.open("w") as err_file:
        proc = subprocess.Popen(
            [TASKSYNC, "run", "--interval", "0.2", "--max-backoff", "1"],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=err_file,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while errors.read_text().count("pass failed") < 3 and time.monotonic() < deadline:
                time.sleep(0.2)
            failures = [line for line in errors.read_text().splitlines() if "pass failed" in line]
            assert len(failures) >= 3, errors.read_text()
            assert "(1 in a row)" in failures[0] and "(3 in a row)" in failures[2]
            assert "retrying in 0.4 s" in failures[1] and "retrying in 0.8 s" in failures[2]
            assert proc.poll() is None  # still running
            h.sia.faults.clear()
            while not h.sia_tasks() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert [t["name"] for t in h.sia_tasks()] == ["From SF via the CLI"]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
    assert proc.returncode == 0, errors.read_text()
    assert "Traceback" not in errors.read_text() and "tasksync: stopped" in errors.read_text()


def test_a_state_db_from_before_the_outcome_columns_is_upgraded_in_place(servers, tmp_path):
    """The state DB is long-lived: one made before `sync_users` had the outcome columns keeps working."""
    h, env = servers
    db = tmp_path / "state.db"
    with sqlite3.connect(db) as conn:  # sync_users as it was before 0003_user_outcomes
        conn.execute(
            "CREATE TABLE sync_users (user_id VARCHAR(64) PRIMARY KEY, salesforce_user_id VARCHAR(18), "
            "enabled_at_seen VARCHAR(40), import_floor VARCHAR(40), start_kind VARCHAR(24), "
            "last_pass_at VARCHAR(40))"
        )
    code, _, err = tasksync("run", "--once", env=env)
    assert code == 0, err
    with sqlite3.connect(db) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(sync_users)")}
    assert {"outcome", "outcome_reason", "outcome_since", "sf_connection", "last_sweep_at"} <= columns
    assert f"user {h.user_id}: ok since" in tasksync("status", env=env)[1]
