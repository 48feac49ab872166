"""Alembic migrations of the engine's state database (run by `sync.state.migrate` on every start)."""
