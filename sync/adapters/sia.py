"""The SIA side over its HTTP API (docs/sia-api-contract.md), as the back-end service.

The service token acts for a user with `X-SIA-User`. Reads use the change list with tombstones
(`include_deleted=true`, `updated_since`, pages of 1000 via `next_cursor`); writes use the batch
endpoint, 200 operations per call. Every HTTP call is counted in `calls`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import requests

from sync.domain import answer_time
from sync.errors import SyncError, TransientError, error_for
from sync.ports import Row
from sync.retry import RetryPolicy
from tasksync_common.instants import iso_ms

if TYPE_CHECKING:
    from sync.report import UserReport

BATCH = 200
PAGE = 1000


class SiaAdapter:
    def __init__(
        self,
        base_url: str,
        service_token: str,
        *,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        page_size: int = PAGE,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.service_token = service_token
        self.session = session or requests.Session()
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.page_size = page_size
        self.calls = 0
        self.server_time: str | None = None  # SIA's clock at its last answer (HTTP Date, whole seconds)

    # -- plumbing ----------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        user_id: str | None = None,
        ok: tuple[int, ...] = (200, 201, 204),
        allow_404: bool = False,
        **kwargs: Any,
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.service_token}"}
        if user_id:
            headers["X-SIA-User"] = user_id
        url = f"{self.base_url}/api/v1{path}"

        def attempt() -> Any:
            self.calls += 1
            try:
                response = self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
            except requests.exceptions.RequestException as exc:
                raise TransientError(f"{type(exc).__name__}: {exc}", side="sia") from exc
            self._note_server_time(response)
            if response.status_code in ok:
                if response.status_code == 204 or not response.content:
                    return None
                try:
                    return response.json()
                except ValueError as exc:  # truncated body: transient
                    raise TransientError("malformed JSON from SIA", side="sia") from exc
            if allow_404 and response.status_code == 404:
                return None
            raise _error(response)

        return self.retry.call(attempt)

    def _note_server_time(self, response: requests.Response) -> None:
        """R4.3: a stamp on SIA's own clock for the moment of a sync (the answer's HTTP Date)."""
        when = answer_time(response)
        if when is not None:
            self.server_time = iso_ms(when)

    # -- service endpoints -------------------------------------------------------------------
    def sync_users(self) -> list[Row]:
        users: list[Row] = self._request("GET", "/service/sync_users")["data"]
        return users

    def subject_template(self) -> str | None:
        template: str | None = (self._request("GET", "/service/subject_template") or {}).get("template")
        return template

    def report_outcome(self, report: UserReport) -> bool:
        """Tell SIA how a user's pass went (a `sync.report.UserReport`), for its Settings and admin pages.

        One attempt, never retried, never raised: the sync's health display must not fail or slow a pass
        (returns whether SIA took it). Not counted in `calls`, which measure the sync's own work.
        """
        if report.stopped:
            state, (code, _, reason) = "stopped", report.stopped.partition(": ")
        elif report.deferred:
            state, (code, _, reason) = "deferred", report.deferred.partition(": ")
        else:
            state, code, reason = "ok", "", ""
        if not reason:  # "MESSAGE" without a code
            code, reason = "", code
        body = {
            "state": state,
            "code": code or None,
            "reason": reason or None,
            "created": sum(report.created.values()),
            "updated": sum(report.updated.values()),
            "deleted": sum(report.deleted.values()),
            "skipped": report.skipped,
            "conflicts": len(report.conflicts),
            "deletions": len(report.deletions),
            "errors": [
                {
                    "task": _task_name(e.get("task")),
                    "code": str(e.get("code") or ""),
                    "message": str(e.get("message") or ""),
                }
                for e in report.errors[:50]
            ],
        }
        try:
            response = self.session.put(
                f"{self.base_url}/api/v1/service/sync_health/{report.user_id}",
                json=body,
                headers={"Authorization": f"Bearer {self.service_token}"},
                timeout=min(self.timeout, 5.0),
            )
            return response.status_code == 200
        except Exception:  # noqa: BLE001 - health reporting must never fail the pass
            return False

    # -- tasks ---------------------------------------------------------------------------------
    def changes(self, user_id: str, since: str | None, after_id: str | None = None) -> list[Row]:
        """Tasks incl. tombstones changed at/after `since`, ordered by (updated_at, id).

        With `after_id` the lower bound is the strict keyset (updated_at, id) > (since, after_id), the
        contract's `after` parameter: an idle pass reads nothing even when many tasks share one stamp.
        """
        return [task for page in self.change_pages(user_id, since, after_id) for task in page]

    def change_pages(
        self, user_id: str, since: str | None, after_id: str | None = None
    ) -> Iterator[list[Row]]:
        """`changes`, one page (up to `page_size` tasks, one call) at a time - for the O(page) passes."""
        params: dict[str, Any] = {"include_deleted": "true", "limit": self.page_size}
        if since and after_id:
            params["after"] = f"{since},{after_id}"
        elif since:
            params["updated_since"] = since
        while True:
            page = self._request("GET", "/tasks", user_id=user_id, params=params)
            yield page["data"]
            if not page.get("next_cursor"):
                return
            params = {"include_deleted": "true", "limit": self.page_size, "cursor": page["next_cursor"]}

    def get(self, user_id: str, task_id: str) -> Row | None:
        task: Row | None = self._request(
            "GET", f"/tasks/{task_id}", user_id=user_id, allow_404=True, params={"include_deleted": "true"}
        )
        return task

    def batch(self, user_id: str, operations: list[Row]) -> list[Row]:
        out: list[Row] = []
        for start in range(0, len(operations), BATCH):
            chunk = operations[start : start + BATCH]
            out += self._request("POST", "/tasks/batch", user_id=user_id, json={"operations": chunk})[
                "results"
            ]
        return out


def _task_name(task: object) -> str:
    """An error's task ({"sia": id, "salesforce": id}) as words: 'SIA tsk_1 / Salesforce 00T...'."""
    if isinstance(task, dict):
        names = {"sia": "SIA", "salesforce": "Salesforce"}
        return " / ".join(f"{names.get(side, side)} {task_id}" for side, task_id in task.items())
    return str(task or "")


def _error(response: requests.Response) -> SyncError:
    code, message = None, response.text[:300]
    try:
        body = response.json()
        code = body["error"]["code"]
        message = body["error"].get("message") or message
    except (ValueError, KeyError, TypeError):
        pass
    retry_after = None
    if response.headers.get("Retry-After"):
        try:
            retry_after = float(response.headers["Retry-After"])
        except ValueError:
            retry_after = None
    return error_for(
        code,
        response.status_code,
        f"SIA {response.status_code}: {message}",
        side="sia",
        retry_after=retry_after,
    )


SessionFactory = Callable[[], requests.Session]
