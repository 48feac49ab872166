"""Alembic environment: always run by `sync.state.migrate.upgrade`, which passes its own connection
(held under the migration lock) in `config.attributes["connection"]`."""

from __future__ import annotations

from alembic import context

from sync.state.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things in place
)
with context.begin_transaction():
    context.run_migrations()
