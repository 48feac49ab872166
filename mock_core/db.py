"""SQLAlchemy engines for the mocks and the sync state: in-memory SQLite shared by all threads,
a file, or any URL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool


def make_engine(url: str | None = None) -> Engine:
    """`None` or `sqlite://` -> one in-memory database shared by every thread of this app."""
    if not url or url in ("sqlite://", "sqlite:///:memory:"):
        engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    elif url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    else:
        engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if url and url.startswith("sqlite:///") and url != "sqlite:///:memory:":
                cursor.execute("PRAGMA journal_mode=WAL")  # a file: readers don't block the writer
            cursor.close()

    return engine


@contextlib.contextmanager
def count_statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements `engine` runs inside the block, by first word (`SELECT`, `INSERT` ...): an
    executemany is one. Tests bound it to catch a return to per-row work (issue 9)."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
