"""PostgreSQL fixtures: a fresh, deliberately unfriendly database for every test.

The server comes from `TASKSYNC_PG_URL` (a SQLAlchemy URL whose role may CREATE DATABASE, e.g.
`postgresql+psycopg://tasksync:tasksync@127.0.0.1/tasksync`); `.ci/run` starts a cluster and sets it.
Without it these tests skip, locally only — CI always sets it, and there an unreachable server fails.

Every test gets its own database, created from template0 with
- a linguistic default collation (ICU `en-US`: `'a' < 'B'`, punctuation ignored), so anything that needs
  byte order (Salesforce ids, keyset cursors) must say so itself instead of passing by luck of a `C` locale;
- a session time zone far from UTC (`Pacific/Chatham`, +13:45/+12:45), so a datetime that reached the
  database with a zone attached, or a `now()` on the server, would shift and be caught.
"""

from __future__ import annotations

import os
import time
import uuid
import warnings

import pytest
from sqlalchemy.engine import make_url

ENV = "TASKSYNC_PG_URL"
ZONE = "Pacific/Chatham"


def _admin_conninfo(url: str) -> tuple[str, object]:
    """(libpq conninfo for psycopg, the SQLAlchemy URL) of the server in `url`."""
    sa_url = make_url(url)
    if not sa_url.drivername.startswith("postgresql"):
        pytest.fail(f"{ENV} must be a postgresql URL, got {sa_url.drivername}")
    return sa_url.set(drivername="postgresql").render_as_string(hide_password=False), sa_url


@pytest.fixture(scope="session")
def pg_server():
    """(psycopg connect string, SQLAlchemy URL) of the server; skips when `TASKSYNC_PG_URL` is unset."""
    url = os.environ.get(ENV)
    if not url:
        pytest.skip(
            f"{ENV} is not set: PostgreSQL tests need a server (.ci/run starts one and sets it; "
            f"locally: export {ENV}=postgresql+psycopg://USER:PASSWORD@127.0.0.1/DB)"
        )
    psycopg = pytest.importorskip("psycopg", reason="psycopg 3 is the PostgreSQL driver (extra `postgres`)")
    conninfo, sa_url = _admin_conninfo(url)
    try:
        with psycopg.connect(conninfo, connect_timeout=10) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.OperationalError as exc:  # set but unreachable is a broken CI, not a skip
        pytest.fail(f"{ENV} is set but the server does not answer: {exc}")
    return conninfo, sa_url, version


@pytest.fixture
def pg_url(pg_server, request) -> str:
    """A fresh database for this test (dropped afterwards, connections and all) -> its SQLAlchemy URL."""
    import psycopg

    conninfo, sa_url, _version = pg_server
    name = f"ts_{request.node.name[:30].lower()}_{uuid.uuid4().hex[:8]}"
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
            "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        )
        conn.execute(f"ALTER DATABASE \"{name}\" SET timezone TO '{ZONE}'")
    yield sa_url.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    for attempt in range(5):  # a backend of another role (say, an autoanalyze) may hold it a moment
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg.Error as exc:
            if attempt == 4:
                warnings.warn(f"could not drop test database {name}: {exc}", stacklevel=1)
            time.sleep(0.5)


@pytest.fixture
def pg(pg_url):
    """A SQLAlchemy engine on this test's database, for looking at what the stores wrote."""
    from sqlalchemy import create_engine

    engine = create_engine(pg_url)
    yield engine
    engine.dispose()
