"""The engine's state store (SQLAlchemy 2.0; SQLite by default, any SQLAlchemy URL).

`StateStore` is imported on first use, so `tasksync --help` never loads SQLAlchemy (issue 9).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

DEFAULT_URL = "sqlite:///tasksync-state.db"

if TYPE_CHECKING:
    from sync.state.store import StateStore

__all__ = ["DEFAULT_URL", "StateStore"]


def __getattr__(name: str) -> Any:
    if name == "StateStore":
        from sync.state.store import StateStore

        return StateStore
    raise AttributeError(name)
