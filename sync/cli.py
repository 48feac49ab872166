"""`python -m sync` / `tasksync`: run one pass or a daemon, show status and the last pass report.

Configuration by flags or environment:
  TASKSYNC_SIA_URL        SIA base URL (e.g. http://127.0.0.1:8002)
  TASKSYNC_SIA_TOKEN      SIA service token
  TASKSYNC_STATE_DB       state database URL (default sqlite:///tasksync-state.db)
  TASKSYNC_SF_URL         send Salesforce logins/calls to this mock server instead of salesforce.com
  TASKSYNC_SF_CA_BUNDLE   CA certificate to trust for that server (its printed CA file)
  TASKSYNC_ADMIN_TOKEN    X-Admin-Token for --clock-url (test setups only)

Exit codes (every command):
  0  success: every user with sync on was synced (a user deferred by the API budget counts as
     success - the governor did its job, the work resumes on a later pass; a warning says so)
  1  the pass failed (SIA unreachable, service token refused, clock unreadable) or a user was
     stopped (e.g. Salesforce INVALID_LOGIN); `report --run N` for a pass that does not exist
  2  usage error (a missing or invalid option)
  3  state-database problem (missing, corrupt, read-only, foreign, bad URL, driver not installed),
     also when a user's pass stopped on a state-database error (STATE_DB_ERROR)
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from sync.cli_options import (
    api_budget_option,
    salesforce_options,
    service_token_option,
    sia_url_option,
)
from sync.errors import SyncError
from sync.report import PassReport, render_text
from sync.state import DEFAULT_URL
from tasksync_common.instants import iso_ms

# Issue 9: `tasksync --help` loads none of SQLAlchemy, simple-salesforce, requests or the engine;
# each command imports what it uses, inside its function.
if TYPE_CHECKING:
    from collections.abc import Callable

    import requests
    from tenacity import RetryCallState

    from sync.adapters.salesforce import SalesforceAdapter
    from sync.engine import Engine
    from sync.ports import Clock as ClockPort
    from sync.state import StateStore

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_STATE_DB = 0, 1, 2, 3
EXIT_CODES_HELP = (
    "\b\nExit codes:\n"
    "  0  every user with sync on was synced (API-budget deferrals: a warning)\n"
    "  1  the pass failed (SIA unreachable, token refused) or a user was stopped\n"
    "  2  usage error\n"
    "  3  state-database problem (missing, corrupt, read-only, foreign, bad URL)"
)
CONTEXT = {"help_option_names": ["-h", "--help"]}
log = logging.getLogger("tasksync")

state_option = click.option(
    "--state-db",
    envvar="TASKSYNC_STATE_DB",
    default=DEFAULT_URL,
    show_default=True,
    help="SQLAlchemy URL of the engine's state database.",
)


class StateDbError(click.ClickException):
    """A state-database problem: one line, exit code 3."""

    exit_code = EXIT_STATE_DB


class Failed(click.ClickException):
    exit_code = EXIT_FAILED


def _open(url: str, *, must_exist: bool) -> StateStore:
    from sync.state.problems import StateDbProblem, open_state

    try:
        return open_state(url, must_exist=must_exist)
    except StateDbProblem as exc:
        raise StateDbError(str(exc)) from None


def build_engine(
    sia_url: str,
    token: str,
    state_db: str | StateStore,
    sf_url: str | None,
    ca_bundle: str | None,
    clock: ClockPort | None = None,
) -> Engine:
    """An engine over HTTP: SIA at `sia_url`; Salesforce at salesforce.com or at a mock server `sf_url`."""
    import requests

    from sync.adapters.salesforce import SalesforceAdapter
    from sync.adapters.sia import SiaAdapter
    from sync.engine import Engine
    from sync.state import StateStore
    from tasksync_common.clock import Clock
    from tasksync_common.routing import salesforce_server_session

    def salesforce_factory(conn: dict[str, Any]) -> SalesforceAdapter:
        session = None
        if sf_url:
            session = salesforce_server_session(sf_url, ca_bundle)
        elif ca_bundle:
            session = requests.Session()
            session.verify = ca_bundle
        return SalesforceAdapter(
            conn["username"], conn["password"], conn.get("security_token") or "", session=session
        )

    return Engine(
        sia=SiaAdapter(sia_url, token),
        salesforce_factory=salesforce_factory,
        state=state_db if isinstance(state_db, StateStore) else StateStore(state_db),
        clock=clock or Clock(),
    )


@click.group(context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
def main() -> None:
    """The reference reminder-task sync between SIA and Salesforce."""
    logging.basicConfig(level=logging.INFO, format="tasksync: %(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migrations on start say nothing unless they fail


def exit_code_for(report: PassReport) -> int:
    """0: every user synced (or deferred by the API budget); 1: the pass failed or a user stopped;
    3: a user's pass stopped on the state database."""
    if any((u.stopped or "").startswith("STATE_DB_ERROR") for u in report.users):
        return EXIT_STATE_DB
    if report.error or any(u.outcome == "stopped" for u in report.users):
        return EXIT_FAILED
    return EXIT_OK


def summary_lines(report: PassReport) -> list[str]:
    """What an operator must see on stderr about a pass that did not simply succeed."""
    lines = []
    if report.error:
        lines.append(f"pass #{report.run_id} FAILED: {report.error}")
    for u in report.users:
        if u.outcome == "stopped":
            lines.append(f"user {u.user_id} STOPPED: {u.stopped}")
        elif u.outcome == "deferred":
            lines.append(f"warning: user {u.user_id} deferred (resumes on a later pass): {u.deferred}")
    return lines


@main.command(epilog=EXIT_CODES_HELP)
@sia_url_option
@service_token_option
@state_option
@salesforce_options
@click.option("--once", "mode", flag_value="once", default=True, help="One pass for every user (default).")
@click.option("--interval", type=float, default=None, help="Run as a daemon: a pass every SECONDS.")
@click.option(
    "--max-backoff",
    type=click.FloatRange(min=0, min_open=True),
    default=300.0,
    show_default=True,
    help="Daemon: after failed passes, wait interval x 2^k seconds, at most this many, before retrying.",
)
@click.option("--json", "as_json", is_flag=True, help="Print each pass report as JSON.")
@click.option(
    "--allow-mass-delete",
    is_flag=True,
    help="Confirm deletions the mass-delete guard held back (F16); applies to the next pass only.",
)
@api_budget_option(
    "Stop calling Salesforce for the rest of a pass at this share of the org's API allocation."
)
@click.option(
    "--reconcile-every",
    type=click.FloatRange(min=0),
    envvar="TASKSYNC_RECONCILE_EVERY",
    default=6.0,
    show_default=True,
    help="Hours between reconciliation sweeps of linked ids (finds Salesforce deletions purged from "
    "the recycle bin before a pass read them; ceil(links/200) queries a sweep). 0: never.",
)
@click.option(
    "--page-above",
    type=click.IntRange(min=1),
    envvar="TASKSYNC_PAGE_ABOVE",
    default=4000,
    show_default=True,
    help="A pass that reads more changed tasks than this (or checks more linked ids) is planned and "
    "applied page by page from a temporary file, so its memory stays flat at any size.",
)
@click.option(
    "--clock-url",
    default=None,
    help="FOR TEST SETUPS ONLY: follow a mock server's clock (GET URL/__admin/clock) instead of the "
    "wall clock, so time moved through /__admin/clock moves the engine too.",
)
@click.option(
    "--admin-token",
    envvar="TASKSYNC_ADMIN_TOKEN",
    default=None,
    help="X-Admin-Token sent with --clock-url.",
)
def run(
    sia_url: str,
    service_token: str,
    state_db: str,
    salesforce_url: str | None,
    ca_bundle: str | None,
    mode: str,
    interval: float | None,
    max_backoff: float,
    as_json: bool,
    allow_mass_delete: bool,
    api_budget: float,
    reconcile_every: float,
    page_above: int,
    clock_url: str | None,
    admin_token: str | None,
) -> None:
    """Run one pass (--once) or keep running (--interval SECONDS); SIGINT/SIGTERM stop cleanly.

    A daemon keeps going: an unexpected error in one user's pass is that user's error (its
    traceback goes to the log) and the other users go on; a failed pass (SIA unreachable, service
    token refused, state database unavailable) is logged in one line and retried with capped
    exponential backoff.
    """
    from datetime import timedelta

    from sqlalchemy.exc import SQLAlchemyError

    from sync.progress import ImportProgress
    from sync.remote_clock import RemoteClock
    from sync.state.problems import describe

    if interval is not None and interval <= 0:
        raise click.BadParameter("must be positive", param_hint="--interval")
    store = _open(state_db, must_exist=False)
    clock = (
        RemoteClock(clock_url, admin_token, session=_clock_session(clock_url, ca_bundle))
        if clock_url
        else None
    )
    engine = build_engine(sia_url, service_token, store, salesforce_url, ca_bundle, clock=clock)
    engine.settings.allow_mass_delete = allow_mass_delete
    engine.settings.api_budget_threshold = api_budget
    engine.settings.reconcile_every = timedelta(hours=reconcile_every) if reconcile_every else None
    engine.settings.stream_import_above = engine.settings.stream_pass_above = page_above

    progress = None
    if not as_json and sys.stderr.isatty():  # a bar for large first imports, only for a person watching
        progress = engine.hooks.progress = ImportProgress(sys.stderr)

    def show(report: PassReport) -> None:
        if progress:
            progress.close()
        click.echo(report.to_json() if as_json else report.to_text(), nl=True)
        for line in summary_lines(report):
            click.echo(f"tasksync: {line}", err=True)

    if interval is None:
        try:
            report = engine.run_pass()
        except SQLAlchemyError as exc:
            raise StateDbError(describe(state_db, exc)) from None
        except SyncError as exc:
            raise Failed(f"the pass did not run: {exc.message}") from None
        finally:
            store.close()
        show(report)
        sys.exit(exit_code_for(report))
    _daemon(engine, interval, max_backoff, state_db, show)


def _clock_session(clock_url: str | None, ca_bundle: str | None) -> requests.Session:
    import requests

    session = requests.Session()
    if clock_url and clock_url.startswith("https") and ca_bundle:
        session.verify = ca_bundle
    return session


class PassFailed(Exception):
    """A whole pass failed (not one user's): retried with backoff by the daemon."""


def _daemon(
    engine: Engine, interval: float, max_backoff: float, state_db: str, show: Callable[[PassReport], None]
) -> None:
    from sqlalchemy.exc import SQLAlchemyError
    from tenacity import Retrying, retry_if_exception_type, stop_when_event_set
    from tenacity.wait import wait_exponential

    from sync.state.problems import describe

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"tasksync: a pass every {interval:g} s; Ctrl-C to stop", err=True)

    def one_pass() -> None:
        try:
            report = engine.run_pass()
        except SQLAlchemyError as exc:
            raise PassFailed(describe(state_db, exc)) from exc
        except SyncError as exc:
            raise PassFailed(exc.message) from exc
        except Exception as exc:  # a bug outside any user's pass: logged with its traceback, retried
            log.exception("the pass stopped on an unexpected error")
            raise PassFailed(f"INTERNAL_ERROR: {type(exc).__name__}: {exc}") from exc
        show(report)
        engine.settings.allow_mass_delete = False  # F16: a confirmation covers one pass only
        if report.error:
            raise PassFailed(report.error)

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0
        click.echo(
            f"tasksync: pass failed ({state.attempt_number} in a row): {exc}; retrying in {wait:g} s",
            err=True,
        )

    retrying = Retrying(
        retry=retry_if_exception_type(PassFailed),
        wait=wait_exponential(multiplier=interval, min=interval, max=max(max_backoff, interval)),
        stop=stop_when_event_set(stop),
        sleep=stop.wait,  # type: ignore[arg-type]  # Event.wait's bool (was it set) is ignored by tenacity
        before_sleep=before_sleep,
        reraise=True,
    )
    while not stop.is_set():
        try:
            retrying(one_pass)
        except PassFailed:
            break  # only when stopping in the middle of a backoff
        stop.wait(interval)
    click.echo("tasksync: stopped", err=True)
    engine.state.close()


@main.command(epilog=EXIT_CODES_HELP)
@state_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(state_db: str, as_json: bool) -> None:
    """Each user's last outcome (ok / stopped: reason / deferred: reason) and since when, their
    links and open per-task errors, and what the last pass held back (mass deletions awaiting
    --allow-mass-delete, work deferred by the API budget)."""
    from sqlalchemy.exc import SQLAlchemyError

    from sync.state.problems import describe

    store = _open(state_db, must_exist=True)
    try:
        data = _status_data(store)
    except SQLAlchemyError as exc:
        raise StateDbError(describe(state_db, exc)) from None
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    last = data["last_run"]
    if last:
        click.echo(f"last pass #{last['id']}: {last['started_at']} -> {last['finished_at'] or 'running'}")
        if last["error"]:
            click.echo(f"  pass FAILED: {last['error']}")
    else:
        click.echo("no pass has run yet")
    for user_id, entry in sorted(data["users"].items()):
        outcome = entry["outcome"] or "never synced"
        if entry["outcome_reason"]:
            outcome += f": {entry['outcome_reason']}"
        since = f" since {entry['outcome_since']}" if entry["outcome_since"] else ""
        click.echo(
            f"user {user_id}: {outcome}{since}; "
            f"{entry['live_links']} linked task(s), {entry['errors']} open error(s)"
        )
    for e in data["errors"]:
        click.echo(
            f"  error {e['code']} on {e['side']} task {e['task_id']} (x{e['attempts']}): {e['message']}"
        )
    for held in data["held"]:
        if held["deferred"]:
            click.echo(f"user {held['user_id']} DEFERRED: {held['deferred']}")
        for a in held["alerts"]:
            click.echo(f"user {held['user_id']} ALERT {a['alert']} ({a['rule']}): {a['message']}")


def _text(at: datetime | None) -> str | None:
    """A state instant as status prints it (`2026-11-28T12:00:00.000Z`)."""
    return None if at is None else iso_ms(at)


def _status_data(store: StateStore) -> dict[str, Any]:
    from sqlalchemy import select

    from sync.state.models import UserState

    users: dict[str, dict[str, Any]] = {}

    def entry(user_id: str) -> dict[str, Any]:
        return users.setdefault(
            user_id,
            {
                "outcome": None,
                "outcome_reason": None,
                "outcome_since": None,
                "links": 0,
                "live_links": 0,
                "errors": 0,
            },
        )

    with store.sessions() as s:
        for row in s.scalars(select(UserState)):
            entry(row.user_id).update(
                outcome=row.outcome, outcome_reason=row.outcome_reason, outcome_since=_text(row.outcome_since)
            )
    for user_id, link in store.all_links():
        entry(user_id)["links"] += 1
        entry(user_id)["live_links"] += int(link.live)
    errors = store.task_errors()
    for error in errors:
        entry(error.user_id)["errors"] += 1
    runs = store.runs(1)
    last = runs[0] if runs else None
    return {
        "users": users,
        "last_run": {
            "id": last.id,
            "started_at": _text(last.started_at),
            "finished_at": _text(last.finished_at),
            "error": (last.report or {}).get("error"),
        }
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
            for e in errors
        ],
    }


@main.command(epilog=EXIT_CODES_HELP)
@state_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--run", "run_id", type=click.IntRange(min=1), default=None, help="A run id (default: the last one)."
)
def report(state_db: str, as_json: bool, run_id: int | None) -> None:
    """The report of the last (or a given) pass."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from sync.state.models import Run
    from sync.state.problems import describe

    store = _open(state_db, must_exist=True)
    try:
        with store.sessions() as s:
            last = s.scalar(select(Run).order_by(Run.id.desc()).limit(1))
            chosen = last if run_id is None else s.get(Run, run_id)
    except SQLAlchemyError as exc:
        raise StateDbError(describe(state_db, exc)) from None
    finally:
        store.close()
    if last is None:
        raise Failed("no pass has run with this state database yet")
    if chosen is None:
        raise Failed(f"there is no pass #{run_id} in this state database (the last is #{last.id})")
    if not chosen.report:
        raise Failed(f"pass #{chosen.id} has not finished (started {iso_ms(chosen.started_at)})")
    data = chosen.report
    click.echo(json.dumps(data, indent=2, ensure_ascii=False) if as_json else render_text(data))


from sync.fleet_cli import attach as _attach_fleet  # noqa: E402 - the fleet's commands (sync/fleet_cli.py)

_attach_fleet(main)
