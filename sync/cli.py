"""`python -m sync` / `tasksync`: run one pass or a daemon, show status and the last pass report.

Configuration by flags or environment:
  TASKSYNC_SIA_URL        SIA base URL (e.g. http://127.0.0.1:8002)
  TASKSYNC_SIA_TOKEN      SIA service token
  TASKSYNC_STATE_DB       state database URL (default sqlite:///tasksync-state.db)
  TASKSYNC_SF_URL         send Salesforce logins/calls to this mock server instead of salesforce.com
  TASKSYNC_SF_CA_BUNDLE   CA certificate to trust for that server (its printed CA file)
"""

from __future__ import annotations

import json
import signal
import threading

import click
import requests

from mock_core import Clock
from sync.adapters.salesforce import SalesforceAdapter
from sync.adapters.sia import SiaAdapter
from sync.engine import Engine
from sync.report import render_text
from sync.state import StateStore
from sync.state.store import DEFAULT_URL

state_option = click.option(
    "--state-db",
    envvar="TASKSYNC_STATE_DB",
    default=DEFAULT_URL,
    show_default=True,
    help="SQLAlchemy URL of the engine's state database.",
)


def build_engine(
    sia_url: str,
    token: str,
    state_db: str,
    sf_url: str | None,
    ca_bundle: str | None,
    clock: Clock | None = None,
) -> Engine:
    """An engine over HTTP: SIA at `sia_url`; Salesforce at salesforce.com or at a mock server `sf_url`."""

    def salesforce_factory(conn: dict) -> SalesforceAdapter:
        session = None
        if sf_url:
            from mock_salesforce import salesforce_session

            session = salesforce_session(sf_url, ca_bundle)
        elif ca_bundle:
            session = requests.Session()
            session.verify = ca_bundle
        return SalesforceAdapter(
            conn["username"], conn["password"], conn.get("security_token") or "", session=session
        )

    return Engine(
        sia=SiaAdapter(sia_url, token),
        salesforce_factory=salesforce_factory,
        state=StateStore(state_db),
        clock=clock or Clock(),
    )


@click.group()
def main() -> None:
    """The reference reminder-task sync between SIA and Salesforce."""


@main.command()
@click.option("--sia-url", envvar="TASKSYNC_SIA_URL", required=True, help="SIA base URL.")
@click.option("--service-token", envvar="TASKSYNC_SIA_TOKEN", required=True, help="SIA service token.")
@state_option
@click.option(
    "--salesforce-url", envvar="TASKSYNC_SF_URL", default=None, help="A mock Salesforce server URL."
)
@click.option("--ca-bundle", envvar="TASKSYNC_SF_CA_BUNDLE", default=None, help="CA file for Salesforce TLS.")
@click.option("--once", "mode", flag_value="once", default=True, help="One pass for every user (default).")
@click.option("--interval", type=float, default=None, help="Run as a daemon: a pass every SECONDS.")
@click.option("--json", "as_json", is_flag=True, help="Print each pass report as JSON.")
@click.option(
    "--allow-mass-delete",
    is_flag=True,
    help="Confirm deletions the mass-delete guard held back (F16); applies to the next pass only.",
)
@click.option(
    "--api-budget",
    type=click.FloatRange(0, 1, min_open=True),
    envvar="TASKSYNC_API_BUDGET",
    default=0.9,
    show_default=True,
    help="Stop calling Salesforce for the rest of a pass at this share of the org's API allocation.",
)
def run(
    sia_url,
    service_token,
    state_db,
    salesforce_url,
    ca_bundle,
    mode,
    interval,
    as_json,
    allow_mass_delete,
    api_budget,
) -> None:
    """Run one pass (--once) or keep running (--interval SECONDS); SIGINT/SIGTERM stop cleanly."""
    engine = build_engine(sia_url, service_token, state_db, salesforce_url, ca_bundle)
    engine.settings.allow_mass_delete = allow_mass_delete
    engine.settings.api_budget_threshold = api_budget
    stop = threading.Event()

    def show(report) -> None:
        click.echo(report.to_json() if as_json else report.to_text(), nl=True)

    if interval is None:
        show(engine.run_pass())
        return
    if interval <= 0:
        raise click.BadParameter("must be positive", param_hint="--interval")
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"tasksync: a pass every {interval:g} s; Ctrl-C to stop", err=True)
    while not stop.is_set():
        show(engine.run_pass())
        engine.settings.allow_mass_delete = False  # F16: a confirmation covers one pass only
        stop.wait(interval)
    click.echo("tasksync: stopped", err=True)
    engine.state.close()


@main.command()
@state_option
@click.option("--json", "as_json", is_flag=True)
def status(state_db, as_json) -> None:
    """Users known to the engine, their links, open per-task errors, and what the last pass held back
    (mass deletions awaiting --allow-mass-delete, work deferred by the API budget)."""
    store = StateStore(state_db)
    links = store.all_links()
    users: dict[str, dict] = {}
    for user_id, link in links:
        entry = users.setdefault(user_id, {"links": 0, "live_links": 0, "errors": 0})
        entry["links"] += 1
        entry["live_links"] += int(link.live)
    for error in store.task_errors():
        users.setdefault(error.user_id, {"links": 0, "live_links": 0, "errors": 0})["errors"] += 1
    runs = store.runs(1)
    last = runs[0] if runs else None
    data = {
        "users": users,
        "last_run": {"id": last.id, "started_at": last.started_at, "finished_at": last.finished_at}
        if last
        else None,
        # F16/F3: what the last pass held back and is waiting on an operator (or the allocation) for.
        "held": [
            {"user_id": u["user_id"], "deferred": u.get("deferred"), "alerts": u.get("alerts", [])}
            for u in ((last.report or {}).get("users", []) if last else [])
            if u.get("deferred") or u.get("alerts")
        ],
        "errors": [
            {
                "user_id": e.user_id,
                "side": e.side,
                "task_id": e.task_id,
                "code": e.code,
                "message": e.message,
                "attempts": e.attempts,
            }
            for e in store.task_errors()
        ],
    }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    if last:
        click.echo(f"last pass #{last.id}: {last.started_at} -> {last.finished_at or 'running'}")
    else:
        click.echo("no pass has run yet")
    for user_id, entry in sorted(users.items()):
        click.echo(f"user {user_id}: {entry['live_links']} linked task(s), {entry['errors']} open error(s)")
    for e in data["errors"]:
        click.echo(
            f"  error {e['code']} on {e['side']} task {e['task_id']} (x{e['attempts']}): {e['message']}"
        )
    for held in data["held"]:
        if held["deferred"]:
            click.echo(f"user {held['user_id']} DEFERRED: {held['deferred']}")
        for a in held["alerts"]:
            click.echo(f"user {held['user_id']} ALERT {a['alert']} ({a['rule']}): {a['message']}")


@main.command()
@state_option
@click.option("--json", "as_json", is_flag=True)
@click.option("--run", "run_id", type=int, default=None, help="A run id (default: the last one).")
def report(state_db, as_json, run_id) -> None:
    """The report of the last (or a given) pass."""
    store = StateStore(state_db)
    runs = [r for r in store.runs(1000) if run_id is None or r.id == run_id]
    if not runs or not runs[0].report:
        raise click.ClickException("no finished pass to report")
    data = runs[0].report
    click.echo(json.dumps(data, indent=2, ensure_ascii=False) if as_json else render_text(data))


from sync.fleet_cli import attach as _attach_fleet  # noqa: E402 - the fleet's commands (sync/fleet_cli.py)

_attach_fleet(main)
