"""The state schema as it was before migrations existed (seven tables).

A database made by that code has (some of) these tables and no `alembic_version`; on it this
revision creates only what is missing (`checkfirst`), so it is recognised and stamped
`0001_baseline` without touching its rows. Frozen: later changes go into later revisions.

Revision ID: 0001_baseline
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

metadata = sa.MetaData()
sa.Table(
    "sync_users",
    metadata,
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("salesforce_user_id", sa.String(18)),
    sa.Column("enabled_at_seen", sa.String(40)),
    sa.Column("import_floor", sa.String(40)),
    sa.Column("start_kind", sa.String(24)),
    sa.Column("last_pass_at", sa.String(40)),
)
sa.Table(
    "sync_links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("sia_id", sa.String(64), nullable=False),
    sa.Column("sf_id", sa.String(18), nullable=False),
    sa.Column("live", sa.Boolean, nullable=False),
    sa.Column("sia_values", sa.JSON, nullable=False),
    sa.Column("sf_values", sa.JSON, nullable=False),
    sa.Column("sia_hash", sa.String(64), nullable=False),
    sa.Column("sf_hash", sa.String(64), nullable=False),
    sa.Column("sia_stamp", sa.String(40)),
    sa.Column("sf_stamp", sa.String(40)),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.UniqueConstraint("user_id", "sia_id"),
    sa.UniqueConstraint("user_id", "sf_id"),
)
sa.Table(
    "sync_cursors",
    metadata,
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("side", sa.String(16), primary_key=True),
    sa.Column("stamp", sa.String(40)),
    sa.Column("last_id", sa.String(64)),
    sa.Column("settled", sa.Boolean, nullable=False),
    sa.Column("lookback_rows", sa.Integer, nullable=False),
)
sa.Table(
    "sync_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("started_at", sa.String(40), nullable=False),
    sa.Column("finished_at", sa.String(40)),
    sa.Column("report", sa.JSON),
)
sa.Table(
    "sync_task_errors",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("side", sa.String(16), nullable=False),
    sa.Column("task_id", sa.String(64), nullable=False),
    sa.Column("code", sa.String(64)),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("first_at", sa.String(40), nullable=False),
    sa.Column("last_at", sa.String(40), nullable=False),
    sa.UniqueConstraint("user_id", "side", "task_id"),
)
sa.Table(
    "sync_conflicts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("sia_id", sa.String(64), nullable=False),
    sa.Column("sf_id", sa.String(18), nullable=False),
    sa.Column("field", sa.String(32), nullable=False),
    sa.Column("sia_value", sa.Text),
    sa.Column("sf_value", sa.Text),
    sa.Column("winner", sa.String(16), nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
)
sa.Table(
    "sync_deletions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("sia_id", sa.String(64), nullable=False),
    sa.Column("sf_id", sa.String(18), nullable=False),
    sa.Column("deleted_in", sa.String(16), nullable=False),
    sa.Column("how_found", sa.String(120), nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
)


def upgrade() -> None:
    metadata.create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
