"""The state database is long-lived: Alembic upgrades it on every start, also one made before
migrations existed, and two engines starting at once on a fresh database both come up."""

from __future__ import annotations

import subprocess
import sys

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from sync.cursor import Cursor
from sync.state import StateStore
from sync.state.migrate import alembic_config, head
from sync.state.models import Base
from tasksync_common.instants import parse_instant as at

# The schema exactly as the engine made it before migrations (SQLAlchemy create_all on SQLite).
PREVIOUS_SCHEMA = [
    """CREATE TABLE sync_users (user_id VARCHAR(64) NOT NULL, salesforce_user_id VARCHAR(18),
       enabled_at_seen VARCHAR(40), import_floor VARCHAR(40), start_kind VARCHAR(24),
       last_pass_at VARCHAR(40), PRIMARY KEY (user_id))""",
    """CREATE TABLE sync_links (id INTEGER NOT NULL, user_id VARCHAR(64) NOT NULL,
       sia_id VARCHAR(64) NOT NULL, sf_id VARCHAR(18) NOT NULL, live BOOLEAN NOT NULL,
       sia_values JSON NOT NULL, sf_values JSON NOT NULL, sia_hash VARCHAR(64) NOT NULL,
       sf_hash VARCHAR(64) NOT NULL, sia_stamp VARCHAR(40), sf_stamp VARCHAR(40),
       generation INTEGER NOT NULL, PRIMARY KEY (id), UNIQUE (user_id, sia_id), UNIQUE (user_id, sf_id))""",
    "CREATE INDEX ix_sync_links_user_id ON sync_links (user_id)",
    """CREATE TABLE sync_cursors (user_id VARCHAR(64) NOT NULL, side VARCHAR(16) NOT NULL,
       stamp VARCHAR(40), last_id VARCHAR(64), settled BOOLEAN NOT NULL, lookback_rows INTEGER NOT NULL,
       PRIMARY KEY (user_id, side))""",
    """CREATE TABLE sync_runs (id INTEGER NOT NULL, started_at VARCHAR(40) NOT NULL,
       finished_at VARCHAR(40), report JSON, PRIMARY KEY (id))""",
    """CREATE TABLE sync_task_errors (id INTEGER NOT NULL, user_id VARCHAR(64) NOT NULL,
       side VARCHAR(16) NOT NULL, task_id VARCHAR(64) NOT NULL, code VARCHAR(64), message TEXT NOT NULL,
       attempts INTEGER NOT NULL, first_at VARCHAR(40) NOT NULL, last_at VARCHAR(40) NOT NULL,
       PRIMARY KEY (id), UNIQUE (user_id, side, task_id))""",
    "CREATE INDEX ix_sync_task_errors_user_id ON sync_task_errors (user_id)",
    """CREATE TABLE sync_conflicts (id INTEGER NOT NULL, run_id INTEGER, user_id VARCHAR(64) NOT NULL,
       sia_id VARCHAR(64) NOT NULL, sf_id VARCHAR(18) NOT NULL, field VARCHAR(32) NOT NULL, sia_value TEXT,
       sf_value TEXT, winner VARCHAR(16) NOT NULL, at VARCHAR(40) NOT NULL, PRIMARY KEY (id))""",
    "CREATE INDEX ix_sync_conflicts_user_id ON sync_conflicts (user_id)",
    """CREATE TABLE sync_deletions (id INTEGER NOT NULL, run_id INTEGER, user_id VARCHAR(64) NOT NULL,
       sia_id VARCHAR(64) NOT NULL, sf_id VARCHAR(18) NOT NULL, deleted_in VARCHAR(16) NOT NULL,
       how_found VARCHAR(120) NOT NULL, at VARCHAR(40) NOT NULL, PRIMARY KEY (id))""",
    "CREATE INDEX ix_sync_deletions_user_id ON sync_deletions (user_id)",
]
ROWS = [
    "INSERT INTO sync_users VALUES ('usr_1', '005000000000001AAA', '2026-11-28T12:00:00.000Z', "
    "'2026-11-27T12:00:00.000Z', NULL, '2026-11-28T12:05:00.000Z')",
    "INSERT INTO sync_links VALUES (1, 'usr_1', 'tsk_1', '00T000000000001AAA', 1, '{\"name\": \"a\"}', "
    "'{\"Subject\": \"a\"}', 'h1', 'h2', '2026-11-28T12:01:00.000Z', '2026-11-28T12:01:00.000+0000', 0)",
    "INSERT INTO sync_cursors VALUES ('usr_1', 'sia', '2026-11-28T12:01:00.000Z', 'tsk_1', 1, 0)",
    "INSERT INTO sync_runs VALUES (1, '2026-11-28T12:00:00.000Z', '2026-11-28T12:00:01.000Z', '{}')",
    "INSERT INTO sync_task_errors VALUES (1, 'usr_1', 'sia', 'tsk_2', 'X', 'failed', 2, 'a', 'b')",
    "INSERT INTO sync_deletions VALUES "
    "(1, 1, 'usr_1', 'tsk_3', '00T000000000003AAA', 'sia', 'SIA deletion', 'c')",
]


def _previous_database(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in PREVIOUS_SCHEMA + ROWS:
            conn.execute(text(statement))
    engine.dispose()


def _version(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    return version


def test_a_database_of_the_previous_schema_is_stamped_upgraded_and_keeps_its_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _previous_database(url)
    store = StateStore(url)
    assert _version(url) == head()
    [link] = store.links("usr_1")
    assert (link.sia_id, link.sf_id, link.live, link.sia_values) == (
        "tsk_1",
        "00T000000000001AAA",
        True,
        {"name": "a"},
    )
    assert store.user("usr_1").salesforce_user_id == "005000000000001AAA"
    assert store.cursor("usr_1", "sia") == Cursor(at("2026-11-28T12:01:00.000Z"), "tsk_1", True, 0)
    assert [(e.task_id, e.attempts) for e in store.task_errors()] == [("tsk_2", 2)]
    assert [d.sia_id for d in store.deletions()] == ["tsk_3"]
    assert [r.id for r in store.runs()] == [1]
    assert {"sync_intents", "sync_leases", "sync_lease_log"} <= set(inspect(store.engine).get_table_names())
    store.close()
    StateStore(url).close()  # a second start finds nothing to do
    assert _version(url) == head()


def test_the_migrations_make_exactly_the_models_schema(tmp_path):
    # Every revision in turn (a new database is made from the models at once, stamped head).
    engine = create_engine(f"sqlite:///{tmp_path / 'new.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_concurrent_starts_on_a_fresh_sqlite_file_all_come_up(tmp_path):
    url = f"sqlite:///{tmp_path / 'race.db'}"
    code = f"from sync.state import StateStore; StateStore({url!r}).close()"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(5)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, errors
    assert _version(url) == head()
