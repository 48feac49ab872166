"""What every part of the org stands on: its state (declared here, set by `backend.Org._open`), the
lock, the transaction, the clock's time and the sObject schemas."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from mock_core.clock import Clock
from mock_salesforce import errors as E
from mock_salesforce.describe import SObjectSchema, build_schemas
from mock_salesforce.ids import IdFactory
from mock_salesforce.models import CustomField
from mock_salesforce.wire import naive_utc

if TYPE_CHECKING:
    from flask import Flask  # the app the org is installed on (set by create_app)

    from mock_salesforce.query import QueryCursor
    from mock_salesforce.sessions import SessionInfo


class OrgBase:
    """The state the org's parts share; `backend.Org` composes the parts and sets it up."""

    clock: Clock
    config: dict[str, Any]
    engine: Engine
    instance_url: str | None
    session_ttl: timedelta
    app: Flask
    _lock: threading.RLock
    _kept_conn: Connection | None = None
    ids: IdFactory
    _sessions: dict[str, SessionInfo]
    _refresh_tokens: dict[str, str]
    _cursors: OrderedDict[str, QueryCursor]
    api_max: int
    api_used: int
    _api_window_start: datetime
    _last_purge: datetime | None
    _manual_purge_at: datetime | None
    org_id: str
    picklists: dict[str, Any]
    schemas: dict[str, SObjectSchema]
    _soql_objects: Any

    @contextlib.contextmanager
    def tx(self) -> Iterator[Session]:
        """One short transaction under the org's lock."""
        with self._lock, Session(self.engine, expire_on_commit=False) as s, s.begin():
            yield s

    @contextlib.contextmanager
    def core(self) -> Iterator[Connection]:
        """One Core transaction under the org's lock (issue 9). With the in-memory database - one SQLite
        connection that every SQLAlchemy connection of this engine shares (StaticPool) - it runs on one
        kept Connection: no Connection built, checked out of the pool and reset per call."""
        with self._lock:
            kept = self._kept_conn
            if kept is None or kept.in_transaction():  # another pool, or nested: a connection of its own
                with self.engine.begin() as conn:
                    yield conn
            else:
                with kept.begin():
                    yield kept

    def _keep_connection(self) -> None:
        """(Re)open the kept Connection for `core()` when the engine's pool is one shared connection."""
        if self._kept_conn is not None:
            self._kept_conn.close()
        self._kept_conn = self.engine.connect() if isinstance(self.engine.pool, StaticPool) else None

    def now(self) -> datetime:
        """The org's current time: naive UTC, millisecond precision (the storage form)."""
        return naive_utc(self.clock.now())

    def _rebuild_schemas(self) -> None:
        with self.tx() as s:
            custom = list(s.scalars(select(CustomField)))
        self.schemas = build_schemas(self.picklists["Status"], self.picklists["Priority"], custom)
        self._soql_objects = None

    def schema(self, sobject: str) -> SObjectSchema:
        found = self.schemas.get(sobject.lower())
        if found is None:
            raise E.NotFound()
        return found
