"""Every instant column of the state becomes a timezone-aware DateTime (was ISO-8601 text, `String(40)`).

PostgreSQL: `ALTER COLUMN ... TYPE timestamptz USING col::timestamptz`, read with the session in UTC so
a text without an offset is UTC (as the engine always read it). SQLite has no time-zone type: the
text is parsed by the project's one time format (`tasksync_common.instants`) and rewritten as the UTC
wall time SQLAlchemy's DateTime stores (`2026-11-28 12:00:00.000000`), then the table is copied with
the column declared DATETIME (batch mode). A text that is no instant at all (never written by the
engine) becomes NULL, or 1970-01-01 UTC in a column that may not be NULL.

Downgrade: back to `String(40)`, written as `2026-11-28T12:00:00.000Z` (what the engine wrote for its
own clock and SIA sends; the old code read Salesforce stamps in that form as well).

Revision ID: 0004_aware_instants
Revises: 0003_user_outcomes
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from tasksync_common.instants import iso_ms, parse_instant

revision = "0004_aware_instants"
down_revision = "0003_user_outcomes"
branch_labels = None
depends_on = None

# table -> ((column, nullable), ...)
COLUMNS: dict[str, tuple[tuple[str, bool], ...]] = {
    "sync_users": (
        ("enabled_at_seen", True),
        ("import_floor", True),
        ("last_pass_at", True),
        ("last_sweep_at", True),
        ("outcome_since", True),
    ),
    "sync_links": (("sia_stamp", True), ("sf_stamp", True)),
    "sync_cursors": (("stamp", True),),
    "sync_runs": (("started_at", False), ("finished_at", True)),
    "sync_task_errors": (("first_at", False), ("last_at", False)),
    "sync_conflicts": (("at", False),),
    "sync_deletions": (("at", False),),
    "sync_intents": (("created_at", False),),
    "sync_leases": (("acquired_at", False), ("expires_at", False)),
    "sync_lease_log": (("at", False),),
}
TEXT = sa.String(40)
INSTANT = sa.DateTime(timezone=True)
LOOKS_LIKE_AN_INSTANT = r"^\s*\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}.*)?$"


def _sqlite_stored(text: str) -> str | None:
    """The value as SQLAlchemy's SQLite DateTime stores a UTC instant (None: no instant)."""
    try:
        at = parse_instant(text)
    except ValueError:
        return None
    return at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _sqlite_stored_not_null(text: str) -> str:
    return _sqlite_stored(text) or "1970-01-01 00:00:00.000000"


def _sqlite_text(stored: str) -> str:
    return iso_ms(datetime.fromisoformat(stored).replace(tzinfo=UTC))


def _rewrite(table: str, column: str, convert: Callable[[str], str | None]) -> None:
    """SQLite: each value of the column, converted in place (by rowid)."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT rowid, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
    changed = [{"r": rowid, "v": convert(str(value))} for rowid, value in rows]
    if changed:
        conn.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE rowid = :r"), changed)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SET LOCAL TIME ZONE 'UTC'")
        for table, columns in COLUMNS.items():
            for column, nullable in columns:
                fallback = "NULL" if nullable else "TIMESTAMPTZ '1970-01-01 00:00:00+00'"
                op.alter_column(
                    table,
                    column,
                    type_=INSTANT,
                    existing_type=TEXT,
                    existing_nullable=nullable,
                    postgresql_using=(
                        f"CASE WHEN {column} ~ '{LOOKS_LIKE_AN_INSTANT}' "
                        f"THEN {column}::timestamptz ELSE {fallback} END"
                    ),
                )
        return
    for table, columns in COLUMNS.items():
        for column, nullable in columns:
            _rewrite(table, column, _sqlite_stored if nullable else _sqlite_stored_not_null)
        # The reflected columns are declared DATETIME already, so the copy moves the text as it is
        # (batch mode would otherwise CAST it to DATETIME, a NUMERIC affinity: '2026-...' -> 2026).
        with op.batch_alter_table(
            table, reflect_args=tuple(sa.Column(c, INSTANT, nullable=n) for c, n in columns)
        ) as batch:
            for column, nullable in columns:
                batch.alter_column(column, type_=INSTANT, existing_nullable=nullable)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, columns in COLUMNS.items():
            for column, nullable in columns:
                op.alter_column(
                    table,
                    column,
                    type_=TEXT,
                    existing_type=INSTANT,
                    existing_nullable=nullable,
                    postgresql_using=(
                        f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
                    ),
                )
        return
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(
            table, reflect_args=tuple(sa.Column(c, TEXT, nullable=n) for c, n in columns)
        ) as batch:
            for column, nullable in columns:
                batch.alter_column(column, type_=TEXT, existing_nullable=nullable)
        for column, _nullable in columns:
            _rewrite(table, column, _sqlite_text)
