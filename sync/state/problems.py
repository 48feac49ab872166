"""Opening the state database for a command, with every problem told in one line (exit code 3).

    store = open_state(url, must_exist=True)      # raises StateDbProblem(message) - never a traceback

The cases an operator meets: a URL that is not one, a driver that is not installed (PostgreSQL
without psycopg), a missing file (for `status`/`report`, which never create one), a directory that
does not exist, a file that is not a SQLite database (corrupt, or some other file), a database that
belongs to something else (tables, none of them ours), a read-only file, a server that refuses the
connection. `describe(url, exc)` turns a database error met later (e.g. the first write of a pass on
a read-only file) into the same kind of line.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from sync.state.models import Base
from sync.state.store import StateStore, make_state_engine

POINT_AT = "point --state-db (or TASKSYNC_STATE_DB) at the engine's state database"
# Ours: the engine's tables, and Alembic's bookkeeping once the schema is migrated by revision.
OUR_TABLES = set(Base.metadata.tables) | {"alembic_version"}


class StateDbProblem(Exception):
    """A state database the engine cannot use; the message is one line naming it and what to do."""


def sqlite_file(parsed: URL) -> Path | None:
    """The file of a SQLite URL (also in SQLite's `file:...?uri=true` form); None for anything else."""
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    name = parsed.database
    if parsed.query.get("uri") == "true" and name.startswith("file:"):
        name = name[len("file:") :]
    return Path(name)


def shown(url: str) -> str:
    """The URL as it may be printed (password hidden); a SQLite file as its absolute path."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    path = sqlite_file(parsed)
    if path is not None:
        return f"sqlite:///{path.resolve()}"
    return parsed.render_as_string(hide_password=True)


def describe(url: str, exc: BaseException) -> str:
    """One line for a database error on `url`."""
    name = f"state database {shown(url)}"
    text = (
        str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        if str(exc).strip()
        else type(exc).__name__
    )
    low = text.lower()
    if isinstance(exc, ImportError | NoSuchModuleError):
        missing = getattr(exc, "name", None) or text
        return (
            f"{name}: its database driver is not installed ({missing}); for PostgreSQL install "
            "the postgres extra (pip install 'tasksync-harness[postgres]', i.e. psycopg)"
        )
    if "readonly" in low or "read-only" in low or "read only" in low:
        return (
            f"{name} is read-only ({text}); the engine writes its state there - give it write access "
            f"to the file and its directory, or {POINT_AT} on writable storage"
        )
    if "not a database" in low or "malformed" in low or "encrypted" in low:
        return (
            f"{name} is not a readable SQLite database (corrupt, or not a database file: {text}); "
            f"restore it from a backup, or {POINT_AT}"
        )
    if "unable to open database file" in low:
        return f"{name} cannot be opened (a missing directory or no permission); {POINT_AT}"
    if "no such table" in low or "no such column" in low or "undefinedtable" in low:
        return f"{name} does not have the engine's schema ({text}); {POINT_AT}"
    return f"{name}: {type(exc).__name__}: {text}; check the server and the URL, or {POINT_AT}"


def open_state(url: str, *, must_exist: bool) -> StateStore:
    """A StateStore on `url`, or StateDbProblem. With `must_exist`, a missing SQLite file is an
    error instead of a new, empty database (for commands that only read)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StateDbProblem(
            f"state database {url!r} is not a database URL; use e.g. sqlite:///path/to/tasksync-state.db "
            "or postgresql+psycopg://user:password@host/dbname (--state-db or TASKSYNC_STATE_DB)"
        ) from None
    path = sqlite_file(parsed)
    if path is not None:
        if must_exist and not path.exists():
            raise StateDbProblem(
                f"state database {shown(url)} does not exist (no pass has run with it); {POINT_AT}, "
                "e.g. --state-db sqlite:////path/to/tasksync-state.db"
            )
        if path.is_dir():
            raise StateDbProblem(f"state database {shown(url)} is a directory, not a file; {POINT_AT}")
        if not path.parent.exists():
            raise StateDbProblem(f"state database {shown(url)}: the directory {path.parent} does not exist")
    try:
        probe = make_state_engine(url)
        try:
            tables = set(inspect(probe).get_table_names())
        finally:
            probe.dispose()
    except (SQLAlchemyError, ImportError) as exc:
        raise StateDbProblem(describe(url, exc)) from None
    if tables and not tables & OUR_TABLES:
        listed = ", ".join(sorted(tables)[:5]) + (" ..." if len(tables) > 5 else "")
        raise StateDbProblem(
            f"state database {shown(url)} belongs to something else (tables: {listed}); the engine "
            f"will not write into it - {POINT_AT}, or give it a database of its own"
        )
    if must_exist and not tables:
        raise StateDbProblem(f"state database {shown(url)} is empty (no pass has run with it); {POINT_AT}")
    try:
        return StateStore(url)
    except (SQLAlchemyError, ImportError) as exc:
        raise StateDbProblem(describe(url, exc)) from None
