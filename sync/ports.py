"""The two ports the engine talks through, as `typing.Protocol`s (no `hasattr` probing).

Implemented by `sync.adapters.salesforce.SalesforceAdapter` / `sync.adapters.memory.MemorySalesforce`
and `sync.adapters.sia.SiaAdapter` / `sync.adapters.memory.MemorySia`; see `sync/adapters/__init__.py`
for what each call answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sync.budget import ApiBudget
    from sync.report import UserReport

Row = dict[str, Any]


class Clock(Protocol):
    def now(self) -> datetime: ...


class SalesforcePort(Protocol):
    calls: int
    page_size: int
    last_total_size: int | None
    governor: ApiBudget | None

    @property
    def server_time(self) -> str | None: ...

    def changes(
        self,
        owner_id: str,
        since: str | None,
        after_id: str | None = None,
        lookback_from: str | None = None,
    ) -> list[Row]: ...

    def change_pages(
        self,
        owner_id: str,
        since: str | None,
        after_id: str | None = None,
        lookback_from: str | None = None,
    ) -> Iterator[list[Row]]: ...

    def by_ids(self, ids: list[str]) -> list[Row]: ...

    def by_external_ids(self, sia_ids: list[str]) -> list[Row]: ...

    def find_user_id(self, username: str) -> str | None: ...

    def upsert(self, records: list[Row]) -> list[Row]: ...

    def update(self, records: list[Row]) -> list[Row]: ...

    def delete(self, ids: list[str]) -> list[Row]: ...


class SiaPort(Protocol):
    calls: int
    page_size: int

    @property
    def base_url(self) -> str | None: ...  # read only: the real adapter's is always a str

    @property
    def server_time(self) -> str | None: ...

    def sync_users(self) -> list[Row]: ...

    def subject_template(self) -> str | None: ...

    def changes(self, user_id: str, since: str | None, after_id: str | None = None) -> list[Row]: ...

    def change_pages(
        self, user_id: str, since: str | None, after_id: str | None = None
    ) -> Iterator[list[Row]]: ...

    def get(self, user_id: str, task_id: str) -> Row | None: ...

    def batch(self, user_id: str, operations: list[Row]) -> list[Row]: ...

    def report_outcome(self, report: UserReport) -> bool: ...
