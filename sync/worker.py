"""The fleet: per-user sync jobs on Procrastinate, over the state PostgreSQL (psycopg 3).

One job = one pass for one user (`tasksync.sync_user`, args `{"user_id": ...}`), deferred with
- `lock=<user>`: Procrastinate never runs two jobs with one lock at once, so no user is ever worked by
  two workers (on any machine) at the same time;
- `queueing_lock=<user>`: at most one waiting job per user, so a slow fleet never piles up passes.

The schedule is a Procrastinate periodic task inside the workers (`tasksync.schedule`, every
`interval` seconds): Procrastinate defers it once per tick for the whole fleet, however many workers run.
A tick reads SIA's list of users with sync on (R1.1/R1.3) and defers a job for each, then sweeps the
jobs stalled by a dead worker (Procrastinate's worker heartbeats: a worker that has not beaten for
`stalled_after` seconds is dead) back to `todo`, so a user whose worker was killed is picked up again.

Transient failures that escape a pass (SIA unreachable while reading the user list, the state database
gone) are retried by Procrastinate (`RetryStrategy`); what the engine reports as a stopped user waits for
the next tick (the engine already retried its transient calls itself). SIGINT/SIGTERM stop a worker
gracefully: no new job is fetched, running passes get `shutdown_timeout` seconds to finish, then they
are abandoned - safe because the engine's write-ahead intents replay or drop what a cut pass left.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import procrastinate
from procrastinate import RetryStrategy, exceptions
from procrastinate.jobs import Status
from sqlalchemy import Engine as SqlEngine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from sync import fleet_store
from sync.adapters.sia import SiaAdapter
from sync.engine import Engine
from sync.errors import SyncError, TransientError
from sync.state import StateStore
from tasksync_common.clock import Clock

SYNC_TASK = "tasksync.sync_user"
SCHEDULE_TASK = "tasksync.schedule"
QUEUE = "tasksync"


class FleetError(Exception):
    """Base of the fleet's own errors."""


class NotPostgres(FleetError):
    """The fleet needs the state database on PostgreSQL (the queue lives there)."""


def libpq_conninfo(url: str) -> str:
    """`postgresql+psycopg://u:p@h:5432/db` (SQLAlchemy) -> `postgresql://u:p@h:5432/db` (libpq)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise NotPostgres(f"the fleet needs a postgresql+psycopg:// state database, not {parsed.drivername}")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def cron_for(seconds: int) -> str:
    """A Procrastinate cron (6th field = seconds) that fires every `seconds` seconds."""
    if seconds <= 0:
        raise ValueError("the interval must be positive")
    if seconds < 60 and 60 % seconds == 0:
        return f"* * * * * */{seconds}"
    if seconds % 60 == 0 and 60 % (seconds // 60) == 0:
        return f"*/{seconds // 60} * * * *"
    if seconds % 3600 == 0 and 24 % (seconds // 3600) == 0:
        return f"0 */{seconds // 3600} * * *"
    raise ValueError("the interval must divide a minute (1-30 s), an hour (1-30 min) or a day (hours)")


@dataclass
class FleetSettings:
    state_db: str  # SQLAlchemy URL of the state PostgreSQL (the queue lives there too)
    sia_url: str | None = None  # a worker needs SIA and Salesforce; enqueue/status do not
    service_token: str | None = None
    salesforce_url: str | None = None
    ca_bundle: str | None = None
    interval: int = 60  # every user with sync on is deferred every `interval` seconds
    api_budget: float = 0.9  # F3/F4: the fleet stops calling an org at this share of its allocation
    heartbeat: float = 10.0  # seconds between a worker's heartbeats
    stalled_after: float = 30.0  # a worker silent this long is dead; its jobs are retried
    shutdown_timeout: float = 30.0  # SIGTERM: seconds running passes get to finish
    directory_ttl: float = 60.0  # seconds a worker trusts its copy of SIA's list of sync users (R1.3)
    max_attempts: int = 5  # Procrastinate retries of a pass that failed transiently
    retry_wait: int = 5  # seconds before the first retry (then exponential)


class PassFailed(FleetError):
    """A pass failed in a way worth a Procrastinate retry (SIA or the state database unreachable)."""


class _FleetEngine(Engine):
    """The engine with the API budget shared through PostgreSQL (one row per Salesforce org)."""

    fleet_db: SqlEngine
    fleet_budgets: dict[str, fleet_store.PgApiBudget]

    # PgApiBudget keeps ApiBudget's contract (start_pass/before_call/after_call/after_error) without
    # being its subclass
    def budget_for(self, org: str) -> fleet_store.PgApiBudget:  # type: ignore[override]
        if org not in self.fleet_budgets:
            self.fleet_budgets[org] = fleet_store.PgApiBudget(
                self.fleet_db, org, threshold=self.settings.api_budget_threshold
            )
        return self.fleet_budgets[org]


@dataclass
class _Directory:
    """A worker's copy of SIA's users with sync on and the subject template (R1.1, R5.1), refreshed
    every `ttl` seconds or when a job names a user the copy does not know (a rep who just turned it on)."""

    sia: SiaAdapter
    clock: Clock
    ttl: float
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    template: str | None = None
    fetched_at: datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self) -> list[str]:
        with self.lock:
            users = self.sia.sync_users()
            self.template = self.sia.subject_template()
            self.users = {u["user_id"]: u for u in users}
            self.fetched_at = self.clock.now()
            return list(self.users)

    def get(self, user_id: str) -> tuple[dict[str, Any] | None, str | None]:
        stale = self.fetched_at is None or self.clock.now() - self.fetched_at > timedelta(seconds=self.ttl)
        if stale or user_id not in self.users:
            self.refresh()
        return self.users.get(user_id), self.template


class Fleet:
    """One process's view of the fleet: the Procrastinate app, its tasks, and (in a worker) the engines."""

    def __init__(self, settings: FleetSettings, *, clock: Clock | None = None, name: str | None = None):
        self.settings = settings
        self.clock = clock or Clock()
        self.conninfo = libpq_conninfo(settings.state_db)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(
                conninfo=self.conninfo, kwargs={"application_name": "tasksync"}
            )
        )
        self._state: StateStore | None = None
        self._engines: queue.Queue[Engine] | None = None
        self._directory: _Directory | None = None
        self._concurrency = 1  # engines in this worker (its --concurrency)
        self._register_tasks()

    # -- the state database ---------------------------------------------------------------------
    @property
    def state(self) -> StateStore:
        if self._state is None:
            self._state = StateStore(self.settings.state_db)
        return self._state

    @property
    def db(self) -> SqlEngine:
        return self.state.engine

    def close(self) -> None:
        if self._state is not None:
            self._state.close()

    # -- tasks ----------------------------------------------------------------------------------
    def _register_tasks(self) -> None:
        s = self.settings
        retry = RetryStrategy(
            max_attempts=s.max_attempts,
            exponential_wait=s.retry_wait,
            retry_exceptions={PassFailed, TransientError, OperationalError},
        )

        @self.app.task(name=SYNC_TASK, queue=QUEUE, retry=retry, pass_context=True)
        def sync_user(context: procrastinate.JobContext, user_id: str) -> dict[str, Any]:
            return self.run_pass(user_id, context.job.id)

        self.sync_task = sync_user

        @self.app.periodic(cron=cron_for(s.interval), periodic_id="every-user")
        @self.app.task(name=SCHEDULE_TASK, queue=QUEUE, queueing_lock=SCHEDULE_TASK, pass_context=True)
        async def schedule(context: procrastinate.JobContext, timestamp: int) -> dict[str, Any]:
            return await self.tick()

        self.schedule_task = schedule

    # -- deferring --------------------------------------------------------------------------------
    def defer(self, user_id: str) -> int | None:
        """Queue one pass for `user_id` now (None: one is already waiting - it will do)."""
        try:
            return self.sync_task.configure(lock=user_id, queueing_lock=user_id).defer(user_id=user_id)
        except exceptions.AlreadyEnqueued:
            return None

    async def defer_async(self, user_id: str) -> int | None:
        try:
            return await self.sync_task.configure(lock=user_id, queueing_lock=user_id).defer_async(
                user_id=user_id
            )
        except exceptions.AlreadyEnqueued:
            return None

    async def tick(self) -> dict[str, Any]:
        """The schedule: defer every user with sync on, then retry the jobs of dead workers."""
        users = await asyncio.to_thread(self.directory.refresh)
        queued = [job for job in [await self.defer_async(u) for u in users] if job is not None]
        retried = await self.retry_stalled()
        return {"users": len(users), "deferred": len(queued), "stalled_retried": retried}

    async def retry_stalled(self) -> list[int]:
        """Procrastinate's "retry stalled jobs": jobs `doing` on a worker without a recent heartbeat."""
        manager = self.app.job_manager
        stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=self.settings.stalled_after)
        done: list[int] = []
        for job in stalled:
            if job.task_name != SYNC_TASK or job.id is None:
                continue
            try:
                await manager.retry_job(job)
            except exceptions.ConnectorException:
                # A waiting job for this user already exists (queueing_lock): it does the pass.
                await manager.finish_job(job, status=Status.FAILED, delete_job=False)
            done.append(job.id)
        await asyncio.to_thread(fleet_store.abandon_passes, self.db, done)
        return done

    # -- one pass ---------------------------------------------------------------------------------
    @property
    def directory(self) -> _Directory:
        if self._directory is None:
            s = self.settings
            if not (s.sia_url and s.service_token):
                raise FleetError("a worker needs --sia-url and --service-token")
            self._directory = _Directory(SiaAdapter(s.sia_url, s.service_token), self.clock, s.directory_ttl)
        return self._directory

    def engines(self, count: int) -> queue.Queue[Engine]:
        """`count` engines (one per concurrent job), sharing the state store and the API budgets."""
        if self._engines is None:
            from sync.cli import build_engine

            s = self.settings
            self._engines = queue.Queue()
            budgets: dict[str, fleet_store.PgApiBudget] = {}
            for _ in range(count):
                base = build_engine(
                    s.sia_url or "",
                    s.service_token or "",
                    s.state_db,
                    s.salesforce_url,
                    s.ca_bundle,
                    self.clock,
                )
                base.state.close()
                engine = _FleetEngine(
                    sia=SiaAdapter(s.sia_url or "", s.service_token or ""),
                    salesforce_factory=base.salesforce_factory,
                    state=self.state,
                    clock=self.clock,
                    settings=base.settings,
                )
                engine.settings.api_budget_threshold = s.api_budget
                engine.fleet_db, engine.fleet_budgets = self.db, budgets
                self._engines.put(engine)
        return self._engines

    def run_pass(self, user_id: str, job_id: int | None) -> dict[str, Any]:
        """One pass for one user, logged in `fleet_passes` (worker, user, start, end, outcome)."""
        pass_id = fleet_store.start_pass(self.db, self.name, user_id, job_id)
        try:
            user, template = self.directory.get(user_id)
        except SyncError as exc:
            fleet_store.finish_pass(self.db, pass_id, "failed", f"reading SIA's sync users: {exc.message}")
            raise PassFailed(str(exc)) from exc
        if user is None:  # R1.1/R1.3: sync was turned off (or the user is gone) since it was queued
            fleet_store.finish_pass(self.db, pass_id, "skipped", "sync is off for this user")
            return {"user_id": user_id, "outcome": "skipped"}
        pool = self.engines(self._concurrency)
        engine = pool.get()
        try:
            report = engine.sync_user(user, template, None)
        except OperationalError as exc:  # the state database went away mid-pass: retry the job
            with contextlib.suppress(Exception):
                fleet_store.finish_pass(self.db, pass_id, "failed", f"state database: {exc.orig}")
            raise PassFailed(f"state database: {exc.orig}") from exc
        finally:
            pool.put(engine)
        data = report.to_dict()
        outcome = "deferred" if report.deferred else "stopped" if report.stopped else "ok"
        fleet_store.finish_pass(self.db, pass_id, outcome, report.deferred or report.stopped, data)
        return {"user_id": user_id, "outcome": outcome, "writes": report.writes}

    # -- the schema ---------------------------------------------------------------------------------
    def upgrade_schema(self) -> list[str]:
        """Apply what is missing, idempotently: Procrastinate's schema, the engine's state tables, the
        fleet's tables (`fleet_passes`, `fleet_api_budget`). Returns what was applied."""
        import psycopg

        applied = []
        with psycopg.connect(self.conninfo, connect_timeout=10) as conn:
            present = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        if not (present and present[0]):
            with self.app.open():
                self.app.schema_manager.apply_schema()
            applied.append("procrastinate")
        self.state  # noqa: B018 - opening the state store creates/upgrades the engine's tables
        applied.append("engine state")
        fleet_store.create_fleet_tables(self.db)
        applied.append("fleet tables")
        return applied

    # -- the worker ---------------------------------------------------------------------------------
    def run_worker(self, concurrency: int = 1) -> None:
        """Run until SIGINT/SIGTERM (Procrastinate installs the handlers: graceful, then abandon)."""
        s = self.settings
        self._concurrency = concurrency
        self.engines(concurrency)
        fleet_store.create_fleet_tables(self.db)
        self.app.run_worker(
            queues=[QUEUE],
            name=self.name,
            concurrency=concurrency,
            update_heartbeat_interval=s.heartbeat,
            stalled_worker_timeout=s.stalled_after,
            shutdown_graceful_timeout=s.shutdown_timeout,
            delete_jobs="successful",
            install_signal_handlers=True,
        )
