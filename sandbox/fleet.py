"""`make run-fleet` / `python -m sandbox.fleet`: several PostgreSQL-backed workers sharing many SIA users.

Starts, as real processes on the local PostgreSQL (`TASKSYNC_PG_URL`, the cluster `.ci/run` starts):
the Salesforce mock (HTTPS) and the SIA mock on their own databases, `tasksync db upgrade` on the state
database, N users with sync on (each its own Salesforce user with a few tasks), and W `tasksync worker`
processes. It then prints every pass as the pass log records it (which worker took which user) until
Ctrl-C. `tasksync fleet-status --state-db URL` shows the queue from another terminal.

`Lab` is the same set-up as a library: the fleet test (tests/fleet) and the benchmark
(`python -m benchmarks fleet`) use it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
import requests
from sqlalchemy.engine import make_url

ENV = "TASKSYNC_PG_URL"
SF_PASSWORD, SF_TOKEN = "rep-password", "REPTOKEN"


def _conninfo(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def sa_url(url: str, database: str) -> str:
    return (
        make_url(url)
        .set(drivername="postgresql+psycopg", database=database)
        .render_as_string(hide_password=False)
    )


def recreate_database(server_url: str, name: str) -> str:
    """Drop and create database `name` on the server of `server_url` -> its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return sa_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    ca_path: str | None = None
    service_token: str | None = None


# Given to the SIA mock on its command line: its banner prints no secrets.
SERVICE_TOKEN = "fleet-service-token"


def _start_server(argv: list[str], log: Path, patterns: dict[str, str], timeout: float = 60) -> tuple:
    """Start a mock server process; wait for the lines its `serve` prints; -> (proc, {name: value})."""
    out = log.open("w")
    proc = subprocess.Popen(
        argv, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    deadline = time.monotonic() + timeout
    found: dict[str, str] = {}
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        for name, pattern in patterns.items():
            m = re.search(pattern, text)
            if m:
                found[name] = m.group(1)
        if len(found) == len(patterns):
            return proc, found
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{argv[0]} did not start: {log.read_text(errors='replace')[-2000:]}")


@dataclass
class Lab:
    """The mocks as processes on PostgreSQL, the state database, users with sync on, and workers."""

    server_url: str  # a PostgreSQL URL whose role may CREATE DATABASE
    workdir: Path
    prefix: str = "tasksync_fleet"
    tls: bool = True
    sf: Server | None = None
    sia: Server | None = None
    state_db: str = ""
    users: dict[str, dict] = field(default_factory=dict)  # SIA user id -> {sf_id, sf_username, token}
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self) -> Lab:
        self.workdir.mkdir(parents=True, exist_ok=True)
        sf_db = recreate_database(self.server_url, f"{self.prefix}_sf")
        sia_db = recreate_database(self.server_url, f"{self.prefix}_sia")
        self.state_db = recreate_database(self.server_url, f"{self.prefix}_state")
        bin_dir = Path(sys.executable).parent
        sf_argv = [str(bin_dir / "mock-salesforce"), "serve", "--port", "0", "--db", sf_db]
        if not self.tls:
            sf_argv.append("--http")
        proc, found = _start_server(
            sf_argv,
            self.workdir / "salesforce.log",
            {
                "url": r"Salesforce mock org \S+ at (\S+)",
                **({"ca": r"trust this CA certificate: (\S+)"} if self.tls else {}),
            },
        )
        self.sf = Server(proc, found["url"], ca_path=found.get("ca"))
        proc, found = _start_server(
            [
                str(bin_dir / "mock-sia"),
                "serve",
                "--port",
                "0",
                "--db",
                sia_db,
                "--service-token",
                SERVICE_TOKEN,
            ],
            self.workdir / "sia.log",
            {"url": r"SIA mock listening on (\S+)"},
        )
        self.sia = Server(proc, found["url"], service_token=SERVICE_TOKEN)
        subprocess.run(
            [str(bin_dir / "tasksync"), "db", "upgrade", "--state-db", self.state_db],
            check=True,
            capture_output=True,
        )
        return self

    # -- users ----------------------------------------------------------------------------------
    def sf_session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would override `verify`
        if self.sf and self.sf.ca_path:
            session.verify = self.sf.ca_path
        return session

    def add_users(self, count: int, tasks: int = 0, start: int = 0, threads: int = 8) -> list[str]:
        """`count` reps: a Salesforce user with `tasks` tasks, an SIA user connected to it, sync on."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads) as pool:
            made = list(pool.map(lambda i: self._add_user(i, tasks), range(start, start + count)))
        for uid, info in made:
            self.users[uid] = info
        return [uid for uid, _ in made]

    def _add_user(self, i: int, tasks: int) -> tuple[str, dict]:
        assert self.sf and self.sia
        sf, sia = self.sf_session(), requests.Session()
        service = {"Authorization": f"Bearer {self.sia.service_token}"}
        username = f"rep{i}@fleet.example"
        r = sf.post(
            f"{self.sf.url}/__admin/users",
            json={
                "Username": username,
                "LastName": f"Rep{i}",
                "Password": SF_PASSWORD,
                "SecurityToken": SF_TOKEN,
            },
        )
        r.raise_for_status()
        sf_id = r.json()["Id"]
        if tasks:
            sf.post(
                f"{self.sf.url}/__admin/seed", json={"count": tasks, "seed": i, "owner": sf_id}
            ).raise_for_status()
        r = sia.post(
            f"{self.sia.url}/__admin/users", json={"name": f"Rep {i}", "email": f"rep{i}@sia.example"}
        )
        r.raise_for_status()
        uid = r.json()["id"]
        acting = {**service, "X-SIA-User": uid}
        sia.put(
            f"{self.sia.url}/api/v1/settings/salesforce_connection",
            headers=acting,
            json={
                "instance_url": self.sf.url,
                "username": username,
                "password": SF_PASSWORD,
                "security_token": SF_TOKEN,
                "salesforce_user_id": sf_id,
            },
        ).raise_for_status()
        sia.put(
            f"{self.sia.url}/api/v1/settings/task_sync", headers=acting, json={"enabled": True}
        ).raise_for_status()
        sf.close()
        sia.close()
        return uid, {"sf_id": sf_id, "sf_username": username}

    # -- workers --------------------------------------------------------------------------------
    def worker_argv(
        self, name: str, concurrency: int = 1, interval: int = 60, heartbeat: float = 10.0
    ) -> list[str]:
        assert self.sf and self.sia
        argv = [
            *self._tasksync("worker"),
            "--salesforce-url",
            self.sf.url,
            "--concurrency",
            str(concurrency),
            "--interval",
            str(interval),
            "--heartbeat",
            str(heartbeat),
            "--shutdown-timeout",
            "10",
            "--name",
            name,
        ]
        if self.sf.ca_path:
            argv += ["--ca-bundle", self.sf.ca_path]
        return argv

    def start_worker(self, name: str, **options) -> subprocess.Popen:
        log = (self.workdir / f"{name}.log").open("w")
        proc = subprocess.Popen(
            self.worker_argv(name, **options),
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.workers[name] = proc
        return proc

    def stop_workers(self, timeout: float = 30) -> dict[str, int]:
        """SIGTERM every worker (graceful stop) -> each one's exit code (negative: killed by a signal)."""
        for proc in self.workers.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = {}
        for name, proc in self.workers.items():
            try:
                codes[name] = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                codes[name] = proc.wait()
        self.workers.clear()
        return codes

    def enqueue_all(self) -> None:
        subprocess.run([*self._tasksync("enqueue"), "--all"], check=True, capture_output=True)

    def _tasksync(self, command: str) -> list[str]:
        """`tasksync COMMAND` with what every fleet command needs: the state DB, SIA and its token."""
        assert self.sia
        return [
            str(Path(sys.executable).parent / "tasksync"),
            command,
            "--state-db",
            self.state_db,
            "--sia-url",
            self.sia.url,
            "--service-token",
            self.sia.service_token or "",
        ]

    def close(self, drop: bool = True) -> None:
        self.stop_workers()
        for server in (self.sia, self.sf):
            if server and server.proc.poll() is None:
                server.proc.terminate()
                try:
                    server.proc.wait(15)
                except subprocess.TimeoutExpired:
                    server.proc.kill()
        if drop:
            for suffix in ("sf", "sia", "state"):
                try:
                    drop_database(self.server_url, f"{self.prefix}_{suffix}")
                except Exception as exc:  # left behind: say so, do not hide the test's own result
                    print(f"could not drop {self.prefix}_{suffix}: {exc}", file=sys.stderr)

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--workers", type=click.IntRange(1, 16), default=3, show_default=True, help="Worker processes.")
@click.option(
    "--users", type=click.IntRange(1, 2000), default=30, show_default=True, help="Reps with sync on."
)
@click.option(
    "--tasks",
    type=click.IntRange(0, 500),
    default=5,
    show_default=True,
    help="Salesforce tasks per rep (imported on the first pass).",
)
@click.option(
    "--interval",
    type=click.IntRange(1),
    default=10,
    show_default=True,
    help="Seconds between two passes of every user.",
)
@click.option(
    "--dir",
    "workdir",
    default=".sandbox-fleet",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where logs and the CA certificate go.",
)
def main(workers: int, users: int, tasks: int, interval: int, workdir: str) -> None:
    """Run the mocks, USERS reps with sync on and WORKERS tasksync workers on PostgreSQL, until Ctrl-C."""
    url = os.environ.get(ENV)
    if not url:
        raise click.UsageError(
            f"{ENV} is not set: give a PostgreSQL URL whose role may create databases, e.g.\n"
            f"  export {ENV}=postgresql+psycopg://tasksync:tasksync@127.0.0.1:5432/tasksync\n"
            "(.ci/run shows how to start a local cluster with pg_ctlcluster)"
        )
    from sqlalchemy import create_engine, select

    from sync.fleet_store import passes

    lab = Lab(url, Path(workdir), prefix="tasksync_sandbox_fleet")
    stop = {"now": False}

    def _stop(*_):
        stop["now"] = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        click.echo("starting the mocks on PostgreSQL ...")
        lab.start()
        click.echo(f"creating {users} reps with {tasks} Salesforce task(s) each, sync on ...")
        lab.add_users(users, tasks)
        for i in range(workers):
            lab.start_worker(f"worker-{i + 1}", concurrency=2, interval=interval, heartbeat=2.0)
        assert lab.sf and lab.sia
        click.echo(f"""
tasksync fleet sandbox is running (Ctrl-C stops everything)

  Salesforce mock   {lab.sf.url}   (CA {lab.sf.ca_path})
  SIA mock          {lab.sia.url}  service token {lab.sia.service_token}
  state + queue     {lab.state_db}
  workers           {workers} x `tasksync worker --concurrency 2 --interval {interval}`; logs in {workdir}/
  watch the queue   tasksync fleet-status --state-db '{lab.state_db}'
  kill a worker     kill -9 <pid> (pids: {", ".join(str(p.pid) for p in lab.workers.values())}):
                    its users are picked up again after ~6 s (3 missed heartbeats)

every pass, as the pass log records it:
""")
        engine = create_engine(lab.state_db)
        seen = 0
        while not stop["now"]:
            with engine.connect() as conn:
                rows = (
                    conn.execute(
                        select(passes)
                        .where(passes.c.id > seen, passes.c.finished_at.is_not(None))
                        .order_by(passes.c.id)
                    )
                    .mappings()
                    .all()
                )
            for row in rows:
                seen = max(seen, row["id"])
                writes = ""
                if row["report"]:
                    r = row["report"]
                    writes = (
                        f" created {r['created']}, updated {r['updated']}, deleted {r['deleted']}"
                        if any(sum(r[k].values()) for k in ("created", "updated", "deleted"))
                        else " idle"
                    )
                click.echo(
                    f"  {row['finished_at']:%H:%M:%S} {row['worker']:>9} user {row['user_id']:>8}: "
                    f"{row['outcome']}{writes}"
                )
            time.sleep(1)
        engine.dispose()
    finally:
        click.echo("stopping ...")
        lab.close()
        click.echo("stopped.")


if __name__ == "__main__":
    main()
