"""`python -m benchmarks fleet`: users synced per second by 1, 2 and 4 `tasksync worker` processes.

On the local PostgreSQL (`TASKSYNC_PG_URL`), with both mocks as standalone servers (Salesforce over
HTTPS) on their own databases: N reps x T Salesforce tasks, sync on. First the import (every rep's first
pass, 4 workers); then, for 1, 2 and 4 workers in turn (fresh processes, `--concurrency 1` each), every
rep is queued at once (`tasksync enqueue --all`) and timed until all N passes are logged.
Those are idle passes (nothing changed): their floor is 1 read per side per rep.

Printed per round: users/s, the speed-up against 1 worker, API calls per user (the engine's own count
per pass, and what the mock servers counted, which adds the user-list reads and logins of fresh
workers), and each worker's peak resident memory. Figures only - nothing here asserts a speed.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import click


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _journal(lab, server, **params) -> int:
    session = lab.sf_session()
    return session.get(f"{server.url}/__admin/journal/count", params=params).json()["count"]


def _clear_journals(lab) -> None:
    session = lab.sf_session()
    for server in (lab.sf, lab.sia):
        session.delete(f"{server.url}/__admin/journal").raise_for_status()


def _round(lab, engine, workers: int, users: int, label: str, timeout: float) -> dict:
    """Start `workers` fresh workers, queue every rep, wait for `users` passes; -> figures."""
    from sqlalchemy import func, select, text

    from sync.fleet_store import passes

    with engine.connect() as conn:
        first_id = conn.execute(select(func.coalesce(func.max(passes.c.id), 0))).scalar_one()
    for i in range(workers):
        lab.start_worker(f"{label}-w{i + 1}", concurrency=1, interval=86400, heartbeat=5.0)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # every worker registered (heart-beating) before the clock starts
        with engine.connect() as conn:
            if conn.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one() >= workers:
                break
        time.sleep(0.2)
    _clear_journals(lab)
    t0 = time.monotonic()
    lab.enqueue_all()
    deadline = t0 + timeout
    done = 0
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            done = conn.execute(
                select(func.count()).where(passes.c.id > first_id, passes.c.finished_at.is_not(None))
            ).scalar_one()
        if done >= users:
            break
        time.sleep(0.2)
    with engine.connect() as conn:
        rows = conn.execute(select(passes).where(passes.c.id > first_id)).mappings().all()
        span = conn.execute(
            select(func.max(passes.c.finished_at) - func.min(passes.c.started_at)).where(
                passes.c.id > first_id
            )
        ).scalar_one()
    wall = span.total_seconds() if span else time.monotonic() - t0
    rss = [_peak_rss_mb(p.pid) for p in lab.workers.values()]
    sf_api = _journal(lab, lab.sf, counted_only="true")
    sf_all = _journal(lab, lab.sf)
    sia_api = _journal(lab, lab.sia, counted_only="true")
    lab.stop_workers()
    with engine.connect() as conn:  # the stopped workers' rows go; the next round counts its own
        conn.execute(text("DELETE FROM procrastinate_workers"))
        conn.commit()
    reports = [r["report"] for r in rows if r["report"]]
    n = max(1, len(reports))
    return {
        "label": label,
        "workers": workers,
        "passes": done,
        "outcomes": {o: sum(1 for r in rows if r["outcome"] == o) for o in {r["outcome"] for r in rows}},
        "seconds": wall,
        "users_per_s": done / wall if wall else float("nan"),
        "engine_sf": sum(r["api_calls"]["salesforce"] for r in reports) / n,
        "engine_sia": sum(r["api_calls"]["sia"] for r in reports) / n,
        "server_sf_api": sf_api / n,
        "server_sf_all": sf_all / n,
        "server_sia_api": sia_api / n,
        "rss_mb": max(rss) if rss else float("nan"),
        "writes": sum(sum(r[k].values()) for r in reports for k in ("created", "updated", "deleted")),
    }


def fleet_main(users: int, tasks: int, counts: list[int], timeout: float) -> None:
    url = os.environ.get("TASKSYNC_PG_URL")
    if not url:
        raise click.UsageError(
            "TASKSYNC_PG_URL is not set: the fleet benchmark runs on PostgreSQL, e.g. "
            "export TASKSYNC_PG_URL=postgresql+psycopg://tasksync:tasksync@127.0.0.1:5432/tasksync"
        )
    from sqlalchemy import create_engine

    from sandbox.fleet import Lab

    def interrupted(*_):  # SIGTERM too stops the servers and workers and drops the databases
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)

    print(
        f"tasksync fleet benchmark: {users} reps x {tasks} Salesforce tasks, PostgreSQL, "
        "HTTPS Salesforce mock"
    )
    print(f"  machine: {os.cpu_count()} CPU(s); load average {os.getloadavg()[0]:.2f} at start")
    with TemporaryDirectory() as tmp:
        lab = Lab(url, Path(tmp), prefix="tasksync_bench_fleet")
        try:
            lab.start()
            t0 = time.monotonic()
            lab.add_users(users, tasks)
            print(f"  set-up: {users} reps created and seeded in {time.monotonic() - t0:.1f} s")
            engine = create_engine(lab.state_db)
            results = [_round(lab, engine, max(counts), users, "import", timeout)]
            for k in counts:
                results.append(_round(lab, engine, k, users, f"idle-{k}", timeout))
            engine.dispose()
        finally:
            lab.close()
    base = next((r for r in results if r["label"].startswith("idle-") and r["workers"] == 1), None)
    print(
        f"\n  {'round':10} {'workers':>7} {'passes':>7} {'seconds':>8} {'users/s':>8} {'speed-up':>8} "
        f"{'SF/user':>8} {'SIA/user':>8} {'server SF':>9} {'server SIA':>10} {'peak RSS':>9}"
    )
    for r in results:
        speed = f"{r['users_per_s'] / base['users_per_s']:.2f}x" if base and r["label"] != "import" else "-"
        print(
            f"  {r['label']:10} {r['workers']:7d} {r['passes']:7d} {r['seconds']:8.1f} "
            f"{r['users_per_s']:8.1f} "
            f"{speed:>8} {r['engine_sf']:8.2f} {r['engine_sia']:8.2f} {r['server_sf_api']:9.2f} "
            f"{r['server_sia_api']:10.2f} {r['rss_mb']:7.0f} MB"
        )
    print("\n  SF/user, SIA/user: the engine's API calls per pass (floor of an idle pass: 1 per side).")
    print("  server SF/SIA: what the mocks counted as API calls per pass, with each worker's reads of")
    print("  SIA's user list and template; Salesforce logins of fresh workers are not API calls (server")
    print(f"  requests incl. logins, last round: {results[-1]['server_sf_all']:.2f} per user).")
    for r in results:
        if set(r["outcomes"]) - {"ok"}:
            print(f"  round {r['label']}: outcomes {r['outcomes']}")
    print(
        f"  import round wrote {results[0]['writes']} tasks; load average at the end {os.getloadavg()[0]:.2f}"
    )


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--users", type=click.IntRange(1), default=1000, show_default=True, help="Reps with sync on.")
@click.option(
    "--tasks", type=click.IntRange(0), default=20, show_default=True, help="Salesforce tasks per rep."
)
@click.option(
    "--workers",
    "counts",
    type=click.IntRange(1, 16),
    multiple=True,
    default=(1, 2, 4),
    show_default=True,
    help="Worker counts to measure (repeatable).",
)
@click.option(
    "--timeout", type=float, default=900, show_default=True, help="Most seconds one round may take."
)
@click.option(
    "--load",
    "clients",
    type=click.IntRange(1, 256),
    default=None,
    help="Instead: requests/s each mock sustains with this many concurrent clients.",
)
@click.option("--seconds", type=float, default=10, show_default=True, help="How long --load runs per mock.")
def main(
    users: int, tasks: int, counts: tuple[int, ...], timeout: float, clients: int | None, seconds: float
) -> None:
    """Users synced per second by 1, 2 and 4 fleet workers on PostgreSQL (figures only)."""
    if clients:
        load_main(clients, seconds)
        return
    fleet_main(users, tasks, list(counts), timeout)


def load_main(clients: int, seconds: float) -> None:
    """Requests per second each mock server answers on PostgreSQL with `clients` concurrent clients."""
    url = os.environ.get("TASKSYNC_PG_URL")
    if not url:
        raise click.UsageError("TASKSYNC_PG_URL is not set: the mocks run on PostgreSQL here")
    from benchmarks.mock_load import run_load
    from sandbox.fleet import Lab

    print(f"mock servers on PostgreSQL, {clients} concurrent clients, {seconds:g} s each, 4 reads : 1 write")
    print(f"  machine: {os.cpu_count()} CPU(s); load average {os.getloadavg()[0]:.2f} at start")
    with TemporaryDirectory() as tmp, Lab(url, Path(tmp), prefix="tasksync_bench_load") as lab:
        lab.add_users(16, tasks=20)
        for side in ("sia", "salesforce"):
            r = run_load(lab, side, clients, seconds)
            first = f" (first: {r.errors[0]})" if r.errors else ""
            print(f"  {r.name:10} {r.per_second:7.1f} req/s, {r.ok} answered, {len(r.errors)} errors{first}")
