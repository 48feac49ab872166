"""What every part of the SIA store stands on: the engine, the clock, one lock and the transaction."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mock_core.clock import Clock
from mock_sia.models import Base
from mock_sia.wire import to_ms


class StoreBase:
    """The database under one SIA instance. Every verb runs in one short transaction under one lock
    (the in-memory SQLite database is a single connection shared by all server threads)."""

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
