"""The fleet's commands, attached to `tasksync`: `worker`, `enqueue`, `fleet-status`, `db upgrade`.

    tasksync db upgrade --state-db postgresql+psycopg://...      # once, before the first worker
    tasksync worker --state-db ... --sia-url ... --service-token ... [--concurrency N] [--interval S]
    tasksync enqueue --user U [--user V ...] | --all             # a pass right now (e.g. just enabled)
    tasksync fleet-status [--json]                               # queued / running / failed + last passes

The schedule is a Procrastinate periodic task inside the workers (there is no separate scheduler to
run): every `--interval` seconds the fleet defers one job per user with sync on, once for the whole fleet.

Exit codes: 0 success; 1 failure (SIA unreachable, a pass failed); 2 usage (click's); 3 the state
database is unreachable or lacks its schema.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from sync.cli_options import (
    api_budget_option,
    salesforce_options,
    service_token_option,
    sia_url_option,
)

# The fleet's modules import Procrastinate and psycopg (the `postgres` extra): imported inside the
# commands, so `tasksync run` on SQLite works without them.
if TYPE_CHECKING:
    from sync.worker import Fleet

P = ParamSpec("P")
R = TypeVar("R")

PASS_COLUMNS = ("id", "worker", "user_id", "job_id", "started_at", "finished_at", "outcome", "detail")
CONTEXT = {"help_option_names": ["-h", "--help"]}
DB_EXIT = 3

state_db_option = click.option(
    "--state-db",
    envvar="TASKSYNC_STATE_DB",
    required=True,
    metavar="URL",
    help="The state PostgreSQL (postgresql+psycopg://USER:PASSWORD@HOST/DB); the queue lives there too.",
)


def _database_errors(func: Callable[P, R]) -> Callable[P, R]:
    """A state-database problem is exit 3 with one clear line, never a stack trace."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            import psycopg
            from procrastinate import exceptions as pexc
            from sqlalchemy.exc import DBAPIError, OperationalError

            from sync.worker import NotPostgres
        except ImportError as exc:
            raise click.UsageError(
                f"the fleet needs the postgres extra (pip install 'tasksync-harness[postgres]'): {exc}"
            ) from exc
        try:
            return func(*args, **kwargs)
        except NotPostgres as exc:
            raise click.BadParameter(str(exc), param_hint="--state-db") from exc
        except (psycopg.Error, OperationalError, DBAPIError, pexc.ConnectorException) as exc:
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            click.echo(f"tasksync: state database problem: {detail}", err=True)
            if "does not exist" in detail and ("relation" in detail or "procrastinate" in detail):
                click.echo("  (apply the schema first: tasksync db upgrade --state-db URL)", err=True)
            sys.exit(DB_EXIT)

    return wrapper


def _fleet(state_db: str, **kwargs: Any) -> Fleet:
    from sync.worker import Fleet, FleetSettings

    return Fleet(FleetSettings(state_db=state_db, **kwargs))


# -- tasksync worker -------------------------------------------------------------------------------
@click.command(context_settings=CONTEXT)
@state_db_option
@sia_url_option
@service_token_option
@salesforce_options
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Passes this worker runs at once (one thread and one engine each).",
)
@click.option(
    "--interval",
    type=click.IntRange(min=1),
    default=60,
    show_default=True,
    help="Seconds between two passes of every user with sync on (the fleet-wide schedule).",
)
@api_budget_option("The fleet stops calling an org at this share of its API allocation (kept in PostgreSQL).")
@click.option(
    "--heartbeat",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds between this worker's heartbeats; a worker silent for 3 beats is dead and its "
    "users are retried by the others.",
)
@click.option(
    "--shutdown-timeout",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="On SIGINT/SIGTERM, seconds running passes get to finish before they are abandoned.",
)
@click.option("--name", default=None, help="This worker's name in the pass log (default HOST:PID).")
@_database_errors
def worker(
    state_db: str,
    sia_url: str,
    service_token: str,
    salesforce_url: str | None,
    ca_bundle: str | None,
    concurrency: int,
    interval: int,
    api_budget: float,
    heartbeat: float,
    shutdown_timeout: float,
    name: str | None,
) -> None:
    """Run one worker of the fleet until SIGINT/SIGTERM: it takes per-user sync jobs from the queue
    (never a user another worker holds) and, with the others, defers every user every --interval s."""
    from sync.worker import Fleet, FleetSettings, cron_for

    try:
        cron_for(interval)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--interval") from exc
    settings = FleetSettings(
        state_db=state_db,
        sia_url=sia_url,
        service_token=service_token,
        salesforce_url=salesforce_url,
        ca_bundle=ca_bundle,
        interval=interval,
        api_budget=api_budget,
        heartbeat=heartbeat,
        stalled_after=3 * heartbeat,
        shutdown_timeout=shutdown_timeout,
        directory_ttl=min(300.0, float(interval)),
    )
    fleet = Fleet(settings, name=name)
    _require_schema(fleet)
    click.echo(
        f"tasksync worker {fleet.name}: concurrency {concurrency}, every user every {interval} s; "
        "Ctrl-C stops (running passes finish first)",
        err=True,
    )
    fleet.run_worker(concurrency)
    fleet.close()
    click.echo(f"tasksync worker {fleet.name}: stopped", err=True)


def _require_schema(fleet: Fleet) -> None:
    import psycopg

    with psycopg.connect(fleet.conninfo, connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AND to_regclass('fleet_passes') IS NOT NULL"
        ).fetchone()
    if not (row and row[0]):
        click.echo(
            "tasksync: the state database has no queue schema; run: tasksync db upgrade --state-db URL",
            err=True,
        )
        sys.exit(DB_EXIT)


# -- tasksync enqueue ------------------------------------------------------------------------------
@click.command(context_settings=CONTEXT)
@state_db_option
@click.option("--user", "users", multiple=True, metavar="USER_ID", help="An SIA user id (repeatable).")
@click.option("--all", "all_users", is_flag=True, help="Every user with sync on (asks SIA for the list).")
@click.option("--sia-url", envvar="TASKSYNC_SIA_URL", default=None, help="SIA base URL (for --all).")
@click.option(
    "--service-token", envvar="TASKSYNC_SIA_TOKEN", default=None, help="SIA service token (for --all)."
)
@_database_errors
def enqueue(
    state_db: str, users: tuple[str, ...], all_users: bool, sia_url: str | None, service_token: str | None
) -> None:
    """Queue a pass right now for the given users (e.g. just after a rep turned sync on, so the first
    import does not wait for the next tick). A user who already has a waiting pass keeps that one."""
    if bool(users) == all_users:
        raise click.UsageError("give --user USER_ID (one or more) or --all")
    fleet = _fleet(state_db, sia_url=sia_url, service_token=service_token)
    if all_users:
        if not (sia_url and service_token):
            raise click.UsageError("--all needs --sia-url and --service-token (or TASKSYNC_SIA_URL/TOKEN)")
        from sync.errors import SyncError

        try:
            users = tuple(fleet.directory.refresh())
        except SyncError as exc:
            click.echo(f"tasksync: cannot read SIA's users with sync on: {exc.message}", err=True)
            sys.exit(1)
    _require_schema(fleet)
    queued = 0
    with fleet.app.open():
        for user_id in users:
            job = fleet.defer(user_id)
            queued += job is not None
            click.echo(f"{user_id}: " + (f"job {job} queued" if job else "a pass is already waiting"))
    click.echo(f"{queued} queued, {len(users) - queued} already waiting", err=True)


# -- tasksync fleet-status -------------------------------------------------------------------------
@click.command("fleet-status", context_settings=CONTEXT)
@state_db_option
@click.option(
    "--passes",
    "last",
    type=click.IntRange(0, 1000),
    default=10,
    show_default=True,
    help="How many of the last passes to show.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_database_errors
def fleet_status(state_db: str, last: int, as_json: bool) -> None:
    """The queue (jobs waiting, running, failed), the live workers, and the last passes."""
    fleet = _fleet(state_db)
    _require_schema(fleet)
    data = fleet_snapshot(fleet, last)
    fleet.close()
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    counts = data["jobs"]
    click.echo(
        f"jobs: {counts.get('todo', 0)} waiting, {counts.get('doing', 0)} running, "
        f"{counts.get('failed', 0)} failed, {counts.get('aborted', 0)} aborted "
        f"({counts.get('succeeded', 0)} kept as succeeded)"
    )
    click.echo(f"workers alive: {len(data['workers'])}")
    for w in data["workers"]:
        click.echo(f"  worker #{w['id']} last heartbeat {w['last_heartbeat']}")
    for job in data["running"]:
        click.echo(
            f"  running: user {job['user_id']} (job {job['id']}) on {job['worker'] or '?'} "
            f"since {job['started_at']}"
        )
    for job in data["failed"]:
        click.echo(f"  FAILED: user {job['user_id']} (job {job['id']}, {job['attempts']} attempt(s))")
    click.echo(f"last {len(data['passes'])} pass(es):")
    for p in data["passes"]:
        click.echo(
            f"  {p['started_at']} {p['user_id']:>10} on {p['worker']}: {p['outcome'] or 'running'}"
            + (f" - {p['detail']}" if p["detail"] else "")
        )


def fleet_snapshot(fleet: Fleet, last: int = 10) -> dict[str, Any]:
    from sqlalchemy import text

    from sync import fleet_store
    from sync.worker import QUEUE, SYNC_TASK

    with fleet.db.connect() as conn:
        counts: dict[str, int] = dict(
            conn.execute(
                text("SELECT status::text, count(*) FROM procrastinate_jobs WHERE task_name = :t GROUP BY 1"),
                {"t": SYNC_TASK},
            ).all()
        )
        workers = [
            dict(r)
            for r in conn.execute(
                text("SELECT id, last_heartbeat FROM procrastinate_workers ORDER BY id")
            ).mappings()
        ]
        running = [
            dict(r)
            for r in conn.execute(
                text(
                    "SELECT j.id, j.lock AS user_id, p.worker, p.started_at FROM procrastinate_jobs j "
                    "LEFT JOIN fleet_passes p ON p.job_id = j.id AND p.finished_at IS NULL "
                    "WHERE j.status = 'doing' AND j.task_name = :t AND j.queue_name = :q ORDER BY j.id"
                ),
                {"t": SYNC_TASK, "q": QUEUE},
            ).mappings()
        ]
        failed = [
            dict(r)
            for r in conn.execute(
                text(
                    "SELECT id, lock AS user_id, attempts FROM procrastinate_jobs "
                    "WHERE status = 'failed' AND task_name = :t ORDER BY id DESC LIMIT 50"
                ),
                {"t": SYNC_TASK},
            ).mappings()
        ]
    passes = [
        {
            k: p[k]
            for k in ("id", "worker", "user_id", "job_id", "started_at", "finished_at", "outcome", "detail")
        }
        for p in fleet_store.recent_passes(fleet.db, last)
    ]
    return {"jobs": counts, "workers": workers, "running": running, "failed": failed, "passes": passes}


# -- tasksync db upgrade ---------------------------------------------------------------------------
@click.group(context_settings=CONTEXT)
def db() -> None:
    """The state database's schema."""


@db.command(context_settings=CONTEXT)
@state_db_option
@_database_errors
def upgrade(state_db: str) -> None:
    """Apply every schema the fleet needs, idempotently: Procrastinate's queue, the engine's state
    tables, and the fleet's pass log and shared API budget. Run once before the first worker (and
    after an upgrade); running it again changes nothing."""
    fleet = _fleet(state_db)
    applied = fleet.upgrade_schema()
    fleet.close()
    click.echo("schema up to date: " + ", ".join(applied))


COMMANDS = (worker, enqueue, fleet_status, db)


def attach(group: click.Group) -> None:
    """Add the fleet's commands to the `tasksync` group (one line at the end of sync/cli.py)."""
    for command in COMMANDS:
        group.add_command(command)
