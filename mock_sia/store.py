"""The SIA mock's domain verbs over its tables. No HTTP here: routes call these and render the result.

Every verb runs in one short transaction under one lock (the in-memory SQLite database is a single
connection shared by all server threads). Times come from the injected clock, as epoch milliseconds.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mock_core.clock import Clock
from mock_sia.accounts import (
    DEFAULT_SERVICE_TOKEN,
    DEFAULT_USERS,
    AccountsMixin,
    UserInfo,
    default_password,
    hash_password,
)
from mock_sia.models import Base
from mock_sia.seed import SeedMixin
from mock_sia.settings import SettingsMixin, check_template
from mock_sia.tasks import ListQuery, TasksMixin
from mock_sia.wire import encode_cursor, ms_to_iso, task_to_dict, to_ms, zone

__all__ = [
    "DEFAULT_SERVICE_TOKEN",
    "DEFAULT_USERS",
    "ListQuery",
    "SiaStore",
    "UserInfo",
    "check_template",
    "default_password",
    "encode_cursor",
    "hash_password",
    "ms_to_iso",
    "task_to_dict",
    "zone",
]


class SiaStore(AccountsMixin, TasksMixin, SettingsMixin, SeedMixin):
    """The domain verbs of one SIA instance over one database."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.lock = threading.RLock()
        Base.metadata.create_all(engine)

    @contextlib.contextmanager
    def tx(self) -> Iterator[Session]:
        with self.lock, self._sessions.begin() as session:
            yield session

    def now_ms(self) -> int:
        return to_ms(self.clock.now())

    def wipe(self) -> None:
        with self.lock:
            Base.metadata.drop_all(self.engine)
            Base.metadata.create_all(self.engine)
