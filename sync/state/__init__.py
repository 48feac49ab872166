"""The engine's state store (SQLAlchemy 2.0; SQLite by default, any SQLAlchemy URL)."""

from sync.state.store import StateStore

__all__ = ["StateStore"]
