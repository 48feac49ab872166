"""The CLI against both mocks as real servers (HTTPS for Salesforce): run --once, report, status, daemon."""

import json
import os
import signal
import subprocess
import sys
import time

from click.testing import CliRunner

from sync.cli import main


def test_run_once_then_report_and_status(servers):
    h, env = servers
    runner = CliRunner()
    result = runner.invoke(main, ["run", "--once", "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["totals"]["created"] == {"sia": 1, "salesforce": 0}
    assert data["totals"]["api_calls"]["salesforce"] == 1
    assert [t["name"] for t in h.sia_tasks()] == ["From SF via the CLI"]
    text = runner.invoke(main, ["report"], env=env)
    assert text.exit_code == 0 and "created   SIA 1, Salesforce 0" in text.output
    status = runner.invoke(main, ["status"], env=env)
    assert status.exit_code == 0 and "1 linked task(s)" in status.output


def test_missing_configuration_is_a_clear_error():
    result = CliRunner().invoke(main, ["run", "--once"], env={"TASKSYNC_SIA_URL": ""})
    assert result.exit_code == 2 and "Missing option" in result.output


def test_daemon_stops_cleanly_on_sigterm(servers):
    h, env = servers
    proc = subprocess.Popen(
        [sys.executable, "-m", "sync", "run", "--interval", "0.2"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not h.sia_tasks() and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "tasksync: stopped" in err
    assert [t["name"] for t in h.sia_tasks()] == ["From SF via the CLI"]


def test_a_reps_bulk_deletion_in_salesforce_reaches_sia_in_the_next_pass(servers):
    """F16 narrowed: deletions Salesforce reports (IsDeleted) are never held, however many."""
    h, env = servers
    sf = h.salesforce()
    ids = [sf.Task.create({"Subject": f"bulk {i}"})["id"] for i in range(11)]
    runner = CliRunner()
    assert runner.invoke(main, ["run", "--once"], env=env).exit_code == 0
    assert len(h.sia_tasks()) == 12
    sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(ids), "allOrNone": "false"})
    done = runner.invoke(main, ["run", "--once", "--json"], env=env)
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["totals"]["deleted"] == {"sia": 11, "salesforce": 0}
    assert [t["name"] for t in h.sia_tasks()] == ["From SF via the CLI"]


def test_mass_delete_found_by_the_sweep_is_held_then_confirmed_with_allow_mass_delete(servers):
    """F16 over the CLI: linked ids gone without a reported deletion (purged) are held as an alert;
    `--allow-mass-delete` confirms them. `--reconcile-every` sets the sweep period (hours)."""
    h, env = servers
    sf = h.salesforce()
    ids = [sf.Task.create({"Subject": f"bulk {i}"})["id"] for i in range(11)]
    runner = CliRunner()
    sweep = ["--reconcile-every", "0.0001"]  # 0.36 s
    assert runner.invoke(main, ["run", "--once", *sweep], env=env).exit_code == 0
    assert len(h.sia_tasks()) == 12
    sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(ids), "allOrNone": "false"})
    h.org.purge_recycle_bin()  # hard-deleted: no pass ever reads an IsDeleted row for them
    time.sleep(0.5)
    held = runner.invoke(main, ["run", "--once", "--json", *sweep], env=env)
    assert held.exit_code == 0, held.output
    [alert] = json.loads(held.output)["users"][0]["alerts"]
    assert (alert["into"], alert["would_delete"], alert["linked"]) == ("sia", 11, 12)
    assert len(h.sia_tasks()) == 12
    text = runner.invoke(main, ["report"], env=env)
    assert "ALERT mass_delete (F16)" in text.output
    status = runner.invoke(main, ["status"], env=env)
    assert "ALERT mass_delete (F16)" in status.output  # the operator sees what waits for them
    [held_user] = json.loads(runner.invoke(main, ["status", "--json"], env=env).output)["held"]
    assert held_user["alerts"][0]["would_delete"] == 11
    confirmed = runner.invoke(main, ["run", "--once", "--allow-mass-delete", "--json", *sweep], env=env)
    assert json.loads(confirmed.output)["totals"]["deleted"] == {"sia": 11, "salesforce": 0}
    assert [t["name"] for t in h.sia_tasks()] == ["From SF via the CLI"]


def test_api_budget_option_is_validated():
    result = CliRunner().invoke(
        main,
        ["run", "--once", "--api-budget", "1.5"],
        env={"TASKSYNC_SIA_URL": "x", "TASKSYNC_SIA_TOKEN": "t"},
    )
    assert result.exit_code == 2 and "--api-budget" in result.output
