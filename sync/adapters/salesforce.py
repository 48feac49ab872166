"""The Salesforce side over simple-salesforce only, so it runs unchanged against the mock or a real org.

Reads: one `queryAll` ordered by (SystemModstamp, Id), pages of up to 2000 via `nextRecordsUrl`.
Writes: sObject Collections - upsert by the External ID `SIA_Task_Id__c`, update, delete - 200 per call.
Every HTTP call except the login is counted in `calls`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError
from simple_salesforce.format import format_soql

from sync.domain import EXTERNAL_ID_FIELD, SF_READ_FIELDS, answer_time
from sync.errors import AuthError, SyncError, TransientError, error_for
from sync.ports import Row
from sync.retry import RetryPolicy
from tasksync_common.instants import salesforce_ms

if TYPE_CHECKING:
    from sync.budget import ApiBudget

BATCH = 200
IDS_PER_QUERY = 200

T = TypeVar("T")


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _translate(exc: Exception) -> SyncError:
    """simple-salesforce / requests failures -> the engine's hierarchy (through the one table)."""
    if isinstance(exc, SyncError):
        return exc
    if isinstance(exc, SalesforceAuthenticationFailed):
        return AuthError(str(exc), code=str(exc.code), status=401, side="salesforce")
    if isinstance(exc, SalesforceError):
        code, message = None, str(exc)
        content = exc.content
        if isinstance(content, list) and content and isinstance(content[0], dict):
            code = content[0].get("errorCode")
            message = content[0].get("message") or message
        return error_for(code, exc.status, message, side="salesforce")
    if isinstance(exc, requests.exceptions.RequestException | ValueError):
        # connection reset / timeout / truncated body: transient
        return TransientError(f"{type(exc).__name__}: {exc}", side="salesforce")
    raise exc


def _with_timeout(session: requests.Session, seconds: float) -> requests.Session:
    """F18: simple-salesforce sets no timeout, so a hung server would hang the pass; give every call
    made through this session (logins included) a connect+read timeout unless the caller set one."""
    original = session.request

    def request(method: str | bytes, url: str | bytes, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", seconds)
        return original(method, url, **kwargs)

    # the wrapper takes requests' other parameters by keyword only (simple-salesforce passes them so)
    session.request = request  # type: ignore[method-assign, assignment]
    return session


class SalesforceAdapter:
    """One connected Salesforce user. Logs in lazily, once; simple-salesforce re-logs in on a 401."""

    def __init__(
        self,
        username: str,
        password: str,
        security_token: str = "",
        *,
        session: requests.Session | None = None,
        domain: str | None = None,
        version: str = "59.0",
        page_size: int = 2000,
        retry: RetryPolicy | None = None,
        client_factory: Callable[..., Salesforce] = Salesforce,
        timeout: float = 30.0,
    ) -> None:
        self._credentials = {"username": username, "password": password, "security_token": security_token}
        if domain:
            self._credentials["domain"] = domain
        self._session = _with_timeout(session or requests.Session(), timeout)
        self._version = version
        self.page_size = page_size
        self.retry = retry or RetryPolicy()
        self._factory = client_factory
        self._sf: Salesforce | None = None
        self.calls = 0
        self.logins = 0
        self.server_time: str | None = None  # Salesforce's clock at its last answer (HTTP Date)
        self.last_total_size: int | None = None
        self.governor: ApiBudget | None = (
            None  # a sync.budget.ApiBudget shared by the org's users (set by the engine)
        )

    # -- plumbing ----------------------------------------------------------------------------
    @property
    def client(self) -> Salesforce:
        if self._sf is None:
            try:
                self._sf = self._factory(session=self._session, version=self._version, **self._credentials)
            except Exception as exc:  # login failures stop this user
                raise _translate(exc) from exc
            self.logins += 1
            session = getattr(self._sf, "session", None)
            if session is not None:
                session.hooks["response"].append(self._note_server_time)
        return self._sf

    def _note_server_time(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        """R4.3: a stamp on Salesforce's own clock for the moment of our writes (second precision)."""
        when = answer_time(response)
        if when is not None:
            self.server_time = salesforce_ms(when)

    def _call(self, fn: Callable[[Salesforce], Any]) -> Any:
        """`fn`'s answer (simple-salesforce's parsed JSON, untyped), retried and governed."""

        def attempt() -> Any:
            client = self.client
            if self.governor is not None:  # F3/F4: refuse the call before making it
                self.governor.before_call()
            self.calls += 1
            try:
                result = fn(client)
            except Exception as exc:
                error = _translate(exc)
                if self.governor is not None:
                    self.governor.after_error(error)
                raise error from exc
            if self.governor is not None:  # Sforce-Limit-Info of this answer, as simple-salesforce parsed it
                self.governor.after_call(getattr(client, "api_usage", None))
            return result

        return self.retry.call(attempt)

    # -- reads -------------------------------------------------------------------------------
    def changes(
        self, owner_id: str, since: str | None, after_id: str | None = None, lookback_from: str | None = None
    ) -> list[Row]:
        """Rows owned by `owner_id` changed at/after `since` (a SOQL datetime), deleted ones included.

        With `after_id` the lower bound is the strict keyset (SystemModstamp, Id) > (since, after_id);
        with `lookback_from` as well, rows stamped in [lookback_from, since) come along in the same
        query - the look-back window behind the bookmark for late commits (F11, R4.6).
        """
        return [row for page in self.change_pages(owner_id, since, after_id, lookback_from) for row in page]

    def change_pages(
        self, owner_id: str, since: str | None, after_id: str | None = None, lookback_from: str | None = None
    ) -> Iterator[list[Row]]:
        """`changes`, one page (up to `page_size` rows) at a time - for the O(page) first import."""
        where = format_soql("OwnerId = {}", owner_id)
        if since and after_id:
            keyset = format_soql(
                f"SystemModstamp > {since} OR (SystemModstamp = {since} AND Id > {{}})", after_id
            )
            # The leading range bound is implied by what follows; it is there so the database can
            # seek the (OwnerId, SystemModstamp, Id) index instead of scanning the owner's rows
            # (PostgreSQL, 100k tasks: 116 -> 43 ms a page; tests/postgres/bench_pg.py).
            if lookback_from:
                window = f"SystemModstamp >= {lookback_from} AND SystemModstamp < {since}"
                where += f" AND SystemModstamp >= {lookback_from} AND (({keyset}) OR ({window}))"
            else:
                where += f" AND SystemModstamp >= {since} AND ({keyset})"
        elif since:
            where += f" AND SystemModstamp >= {since}"
        soql = (
            f"SELECT {', '.join(SF_READ_FIELDS)} FROM Task WHERE {where} ORDER BY SystemModstamp ASC, Id ASC"
        )
        return self._query_pages(soql)

    def by_ids(self, ids: list[str]) -> list[Row]:
        """Rows for these ids, soft-deleted ones included; ids purged from the recycle bin are missing."""
        rows: list[Row] = []
        for chunk in _chunks(list(ids), IDS_PER_QUERY):
            rows += self._query_all(
                format_soql(f"SELECT {', '.join(SF_READ_FIELDS)} FROM Task WHERE Id IN {{}}", chunk)
            )
        return rows

    def by_external_ids(self, sia_ids: list[str]) -> list[Row]:
        """Rows carrying these External IDs (`SIA_Task_Id__c`), soft-deleted ones included - how a
        restart finds the tasks a dead pass's upserts made (R4.6/F8)."""
        rows: list[Row] = []
        for chunk in _chunks(list(sia_ids), IDS_PER_QUERY):
            soql = f"SELECT {', '.join(SF_READ_FIELDS)} FROM Task WHERE {EXTERNAL_ID_FIELD} IN {{}}"
            rows += self._query_all(format_soql(soql, chunk))
        return rows

    def _query_all(self, soql: str) -> list[Row]:
        return [row for page in self._query_pages(soql) for row in page]

    def _query_pages(self, soql: str) -> Iterator[list[Row]]:
        """One `queryAll`, page by page (`nextRecordsUrl`); a page is only yielded whole."""
        headers = {"Sforce-Query-Options": f"batchSize={self.page_size}"}
        page = self._call(lambda sf: sf.query(soql, include_deleted=True, headers=headers))
        self.last_total_size = page.get("totalSize")  # rows in the whole result, known from page 1
        yield [_plain(r) for r in page["records"]]
        while not page.get("done", True):
            url = page["nextRecordsUrl"]

            def more(sf: Salesforce, url: str = url) -> Any:
                return sf.query_more(url, identifier_is_url=True, include_deleted=True, headers=headers)

            page = self._call(more)
            yield [_plain(r) for r in page["records"]]

    def find_user_id(self, username: str) -> str | None:
        page = self._call(
            lambda sf: sf.query(format_soql("SELECT Id FROM User WHERE Username = {}", username))
        )
        return page["records"][0]["Id"] if page.get("records") else None

    # -- writes (sObject Collections, <= 200 per call) ---------------------------------------
    def upsert(self, records: list[Row]) -> list[Row]:
        out: list[Row] = []
        for chunk in _chunks(records, BATCH):

            def upsert(sf: Salesforce, c: list[Row] = chunk) -> Any:
                return sf.restful(
                    f"composite/sobjects/Task/{EXTERNAL_ID_FIELD}",
                    method="PATCH",
                    json={"allOrNone": False, "records": c},
                )

            out += self._call(upsert)
        return out

    def update(self, records: list[Row]) -> list[Row]:
        out: list[Row] = []
        for chunk in _chunks(records, BATCH):
            body = [{"attributes": {"type": "Task"}, **r} for r in chunk]

            def update(sf: Salesforce, b: list[Row] = body) -> Any:
                return sf.restful(
                    "composite/sobjects", method="PATCH", json={"allOrNone": False, "records": b}
                )

            out += self._call(update)
        return out

    def delete(self, ids: list[str]) -> list[Row]:
        out: list[Row] = []
        for chunk in _chunks(ids, BATCH):

            def delete(sf: Salesforce, c: list[str] = chunk) -> Any:
                return sf.restful(
                    "composite/sobjects", method="DELETE", params={"ids": ",".join(c), "allOrNone": "false"}
                )

            out += self._call(delete)
        return out


def _plain(record: Row) -> Row:
    return {k: v for k, v in dict(record).items() if k != "attributes"}
