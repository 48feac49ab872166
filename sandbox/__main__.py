"""`make run` / `python -m sandbox`: the whole product on one machine.

Starts the Salesforce mock (HTTPS, a throw-away CA), the SIA mock (HTTP), seeds both with Faker,
connects the SIA user Ann to the Salesforce user admin@example.com with task sync OFF, and runs the
sync engine as a daemon against them over real HTTP. Ctrl-C (or SIGTERM) stops everything.

Everything runs on embedded SQLite files in `.sandbox/` (wiped at each start), so you can look
inside with `sqlite3` while it runs.
"""

from __future__ import annotations

import shutil
import signal
import socket
import threading
from pathlib import Path

import click

from mock_core import Clock
from mock_core.server import ServerThread, check_exposure
from mock_salesforce import DEFAULT_PASSWORD, DEFAULT_TOKEN, DEFAULT_USERNAME, get_org
from mock_salesforce import create_app as create_salesforce_app
from mock_sia import ADMIN_TOKEN, ANN_TOKEN, page_password
from mock_sia.app import create_app as create_sia_app
from mock_sia.app import get_sia
from sandbox.seed import due_soon, seed_salesforce
from sync.cli import build_engine


def _has_activity(report: dict) -> bool:
    """Whether a pass changed anything or hit an error (quiet passes are not printed)."""
    totals = report["totals"]
    counts = [totals[k] for k in ("created", "updated", "deleted", "skipped", "conflicts", "errors")]
    return bool(report.get("error")) or any((sum(v.values()) if isinstance(v, dict) else v) for v in counts)


def _problems(report: dict) -> frozenset:
    """What is wrong after a pass: stopped or deferred users, tasks that failed, a failed pass. The log
    prints a pass whenever this changes, so a user whose sync stopped is said once, not every pass."""
    out = {("pass", report["error"]) for _ in [0] if report.get("error")}
    for u in report["users"]:
        if u.get("stopped"):
            out.add((u["user_id"], "stopped", u["stopped"]))
        if u.get("deferred"):
            out.add((u["user_id"], "deferred", u["deferred"]))
        out |= {(u["user_id"], "error", e.get("code"), str(e.get("task"))) for e in u["errors"]}
    return frozenset(out)


def _check_port(host: str, port: int, flag: str) -> None:
    """A clear error naming the flag when a port is taken (werkzeug would exit with its own text)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise click.ClickException(
                f"port {port} on {host} is not free ({exc.strerror}); choose another with {flag}"
            ) from exc


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--sf-port", default=8443, show_default=True, help="Port of the Salesforce mock (HTTPS).")
@click.option("--sia-port", default=8001, show_default=True, help="Port of the SIA mock (HTTP).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between sync passes.")
@click.option("--tasks", default=40, show_default=True, help="Salesforce tasks to seed (spread over 3 days).")
@click.option("--seed", "seed_value", default=7, show_default=True, help="Faker seed (same seed, same data).")
@click.option(
    "--dir",
    "workdir",
    default=".sandbox",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the SQLite files and the CA certificate go (wiped at start).",
)
@click.option(
    "--admin-token",
    default=None,
    envvar="MOCK_ADMIN_TOKEN",
    show_envvar=True,
    help="Require 'X-Admin-Token' on both mocks' /__admin (needed when --host is not loopback).",
)
def main(
    sf_port: int,
    sia_port: int,
    host: str,
    interval: float,
    tasks: int,
    seed_value: int,
    workdir: str,
    admin_token: str | None,
) -> None:
    """Run both mocks and the sync daemon, seeded, until Ctrl-C."""
    if interval <= 0:
        raise click.BadParameter("must be positive", param_hint="--interval")
    try:
        check_exposure(host, admin_token)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    _check_port(host, sf_port, "--sf-port")
    _check_port(host, sia_port, "--sia-port")
    root = Path(workdir)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    clock = Clock()  # real time: the sandbox is for people

    sf_app = create_salesforce_app(
        {
            "CLOCK": clock,
            "DB_URL": f"sqlite:///{root / 'salesforce.db'}",
            "INSTANCE_URL": None,
            "ADMIN_TOKEN": admin_token,
        }
    )
    sia_app = create_sia_app(
        {"CLOCK": clock, "DB_URL": f"sqlite:///{root / 'sia.db'}", "ADMIN_TOKEN": admin_token}
    )
    org, sia = get_org(sf_app), get_sia(sia_app)
    ann_login = f"ann@sia.example / {page_password('ann@sia.example')}"
    try:
        sf_server = ServerThread(sf_app, host, sf_port, tls=True, cert_dir=str(root)).start()
        sia_server = ServerThread(sia_app, host, sia_port, tls=False).start()
    except (OSError, SystemExit) as exc:  # werkzeug exits on a taken port
        raise click.ClickException(
            f"cannot listen ({exc}); choose other ports with --sf-port/--sia-port"
        ) from None
    # The Settings page tries a Salesforce login before saving a connection: trust the mock's CA.
    sia_app.config["SALESFORCE_CA_BUNDLE"] = sf_server.ca_path

    # Seed: Salesforce tasks over the last 3 days (so some fall inside the 24-hour first-sync window),
    # a few due today and tomorrow (seen in the Command Center as soon as sync is on), and a few SIA
    # tasks that predate enabling (R3.2: they must stay in SIA only).
    sf_user = org.default_user()
    ann = sia.user_by_email("ann@sia.example")
    seed_salesforce(org, tasks, seed_value, sf_user["Id"])
    due_soon(org, sf_user["Id"], clock.today(ann.time_zone))
    sia.seed(5, seed_value, user_id=ann.id)
    sia.connect_salesforce(
        ann.id,
        sf_server.url,
        DEFAULT_USERNAME,
        DEFAULT_PASSWORD,
        DEFAULT_TOKEN,
        salesforce_user_id=sf_user["Id"],
    )

    state_url = f"sqlite:///{(root / 'state.db').resolve()}"
    engine = build_engine(
        sia_server.url, sia.service_token, state_url, sf_server.url, sf_server.ca_path, clock=clock
    )
    stop = threading.Event()

    def daemon() -> None:
        seen: frozenset = frozenset()
        while not stop.is_set():
            try:
                report = engine.run_pass()
                data = report.to_dict()
                problems = _problems(data)
                if _has_activity(data) or problems != seen:
                    click.echo(report.to_text())
                    if seen and not problems:
                        click.echo("  every user syncs again")
                seen = problems
            except Exception as exc:  # keep the sandbox alive; the report shows per-task errors
                click.echo(f"sync pass failed: {exc}", err=True)
            stop.wait(interval)

    worker = threading.Thread(target=daemon, name="tasksync", daemon=True)
    click.echo(
        f"""
tasksync sandbox is running (Ctrl-C stops everything)

  SIA (Sales Insight Actions) mock   {sia_server.url}
    settings page                    {sia_server.url}/settings     {ann_login}
    Command Center                   {sia_server.url}/command_center    all tasks: {sia_server.url}/tasks
    users                            ann@sia.example (token {ANN_TOKEN})
                                     admin@sia.example (token {ADMIN_TOKEN})
    service token (the sync)         {sia.service_token}

  Salesforce mock                    {sf_server.url}
    login                            {DEFAULT_USERNAME} / {DEFAULT_PASSWORD} / security token {DEFAULT_TOKEN}
    CA certificate to trust          {sf_server.ca_path}
    simple-salesforce                Salesforce(username="{DEFAULT_USERNAME}", password="{DEFAULT_PASSWORD}",
                                       security_token="{DEFAULT_TOKEN}",
                                       session=mock_salesforce.salesforce_session("{sf_server.url}",
                                                                                  "{sf_server.ca_path}"))
  sync daemon                        a pass every {interval:g} s; state in {root / "state.db"}
    what it did                      .venv/bin/tasksync status --state-db {state_url}
                                     .venv/bin/tasksync report --state-db {state_url}

Try it: open the settings page, log in as ann@sia.example, tick "Sync tasks/reminders to Salesforce
tasks" and Save. Within {interval:g} s the Salesforce tasks of the last 24 hours appear in SIA.
""",
    )
    worker.start()

    def _stop(*_):
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    stop.wait()
    click.echo("stopping...")
    worker.join(timeout=30)
    sia_server.stop()
    sf_server.stop()
    engine.state.close()
    click.echo("stopped.")


if __name__ == "__main__":
    main()
