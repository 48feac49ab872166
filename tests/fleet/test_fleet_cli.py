"""The fleet's commands: help, usage errors (2), database problems (3), db upgrade, enqueue, fleet-status."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from click.testing import CliRunner

from sync.cli import main

ENV = "TASKSYNC_PG_URL"
needs_pg = pytest.mark.skipif(
    not os.environ.get(ENV), reason=f"{ENV} is not set: the fleet's queue lives in PostgreSQL"
)


@pytest.mark.parametrize("argv", [["worker"], ["enqueue"], ["fleet-status"], ["db"], ["db", "upgrade"]])
def test_every_command_has_help(argv):
    for flag in ("-h", "--help"):
        result = CliRunner().invoke(main, [*argv, flag])
        assert result.exit_code == 0 and "Usage:" in result.output


def test_a_sqlite_state_database_is_a_usage_error():
    result = CliRunner().invoke(main, ["fleet-status", "--state-db", "sqlite:///x.db"])
    assert result.exit_code == 2 and "postgresql+psycopg" in result.output


def test_an_interval_the_schedule_cannot_express_is_a_usage_error():
    result = CliRunner().invoke(
        main,
        [
            "worker",
            "--state-db",
            "postgresql+psycopg://u:p@127.0.0.1:1/x",
            "--sia-url",
            "http://x",
            "--service-token",
            "t",
            "--interval",
            "7",
        ],
    )
    assert result.exit_code == 2 and "--interval" in result.output


def test_an_unreachable_database_is_exit_3():
    result = CliRunner().invoke(
        main, ["fleet-status", "--state-db", "postgresql+psycopg://u:p@127.0.0.1:1/x"]
    )
    assert result.exit_code == 3 and "state database problem" in result.output


@needs_pg
def test_upgrade_enqueue_and_status():
    from sandbox.fleet import drop_database, recreate_database

    name = f"ts_fleetcli_{uuid.uuid4().hex[:8]}"
    url = recreate_database(os.environ[ENV], name)
    runner = CliRunner()
    try:
        missing = runner.invoke(main, ["fleet-status", "--state-db", url])
        assert missing.exit_code == 3 and "tasksync db upgrade" in missing.output
        first = runner.invoke(main, ["db", "upgrade", "--state-db", url])
        assert first.exit_code == 0 and "procrastinate" in first.output, first.output
        again = runner.invoke(main, ["db", "upgrade", "--state-db", url])  # idempotent
        assert again.exit_code == 0 and "procrastinate" not in again.output
        assert runner.invoke(main, ["enqueue", "--state-db", url]).exit_code == 2
        queued = runner.invoke(main, ["enqueue", "--state-db", url, "--user", "usr_1", "--user", "usr_2"])
        assert queued.exit_code == 0 and "usr_1: job" in queued.output
        twice = runner.invoke(main, ["enqueue", "--state-db", url, "--user", "usr_1"])
        assert twice.exit_code == 0 and "already waiting" in twice.output  # queueing_lock: one waiting job
        status = runner.invoke(main, ["fleet-status", "--state-db", url, "--json"])
        assert status.exit_code == 0
        assert json.loads(status.output)["jobs"] == {"todo": 2}
    finally:
        drop_database(os.environ[ENV], name)
