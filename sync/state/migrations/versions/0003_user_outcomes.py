"""Per-user outcome, connection identity and reconciliation sweep time on sync_users.

- `outcome`, `outcome_reason`, `outcome_since`: the user's last pass outcome (ok | stopped | deferred),
  why, and since when - what `tasksync status` shows.
- `sf_connection`: the Salesforce connection the user's state belongs to (R1.1/R1.4); a different one
  is a new start for that user.
- `last_sweep_at`: when the periodic reconciliation sweep of linked ids last ran (R3.4/R4.2).

Revision ID: 0003_user_outcomes
Revises: 0002_intents_leases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_user_outcomes"
down_revision = "0002_intents_leases"
branch_labels = None
depends_on = None

COLUMNS = (
    ("sf_connection", sa.String(600)),
    ("last_sweep_at", sa.String(40)),
    ("outcome", sa.String(16)),
    ("outcome_reason", sa.Text()),
    ("outcome_since", sa.String(40)),
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("sync_users", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    # batch mode: SQLite before 3.35 cannot drop a column in place (Alembic copies the table there).
    with op.batch_alter_table("sync_users") as batch:
        for name, _type in reversed(COLUMNS):
            batch.drop_column(name)
