"""Bring a state database to the newest schema (Alembic), safely when several engines start at once.

`upgrade(engine)` runs on every `StateStore(url)`:
  * under a lock - PostgreSQL: a session advisory lock; a SQLite file: the migration runs in one
    `BEGIN IMMEDIATE` transaction (the store's engine begins every transaction that way), so a
    second process waits on the database lock and then finds nothing left to do;
  * a database made before migrations existed (state tables, no `alembic_version`) is recognised:
    the one column older copies lack is added, `0001_baseline` creates only the tables missing
    (check-first) and stamps it, and the later revisions upgrade it like any other;
  * a database with none of the state's tables gets the newest schema at once (the models'
    `create_all`, stamped head - Alembic's "building an up to date database from scratch"): replaying
    every revision costs a SQLite file ~0.3 s (0004's table copies), paid by every new test database.
    A test checks that the revisions make exactly the models' schema.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from sync.state.models import Base

MIGRATIONS = Path(__file__).parent / "migrations"
BASELINE = "0001_baseline"
# pg_advisory_lock key of "the state schema is being migrated" (any fixed 64-bit number).
PG_MIGRATION_LOCK = 0x7461736B73796E63  # "tasksync"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head() or BASELINE


def upgrade(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect() as lock:
            lock.execute(text("SELECT pg_advisory_lock(:k)"), {"k": PG_MIGRATION_LOCK})
            lock.commit()
            try:
                with engine.begin() as conn:
                    _upgrade(conn)
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_MIGRATION_LOCK})
                lock.commit()
        return
    with engine.begin() as conn:  # SQLite: BEGIN IMMEDIATE (see sync.state.store.make_state_engine)
        _upgrade(conn)


def _upgrade(conn: Connection) -> None:
    tables = set(inspect(conn).get_table_names())
    if "alembic_version" not in tables and not tables & set(Base.metadata.tables):
        Base.metadata.create_all(conn)
        command.stamp(alembic_config(conn), "head")
        return
    if "alembic_version" not in tables and "sync_cursors" in tables:
        # Made by the engine before migrations (0001_baseline); older copies lack the cursor's
        # look-back counter, which the code of that time added in place.
        columns = {c["name"] for c in inspect(conn).get_columns("sync_cursors")}
        if "lookback_rows" not in columns:
            conn.execute(text("ALTER TABLE sync_cursors ADD COLUMN lookback_rows INTEGER DEFAULT 0"))
    command.upgrade(alembic_config(conn), "head")
