"""A clock that follows a mock server's clock - for test setups only (`tasksync run --clock-url`).

QA moves both mocks' clocks through `POST /__admin/clock`; an engine in another process reads the
wall clock and would never see that. `RemoteClock(url)` answers `now()` with the mock's own
`GET {url}/__admin/clock` (sending `X-Admin-Token` when given), so "the last pass was more than 14
days ago" and the other time rules can be exercised end to end against standalone servers. The
engine only ever calls `clock.now()`. Never point a production engine at it.
"""

from __future__ import annotations

from datetime import datetime

import requests

from sync.errors import SyncError
from tasksync_common.instants import parse_instant


class ClockUnavailable(SyncError):
    """The followed clock could not be read; the pass cannot be timed, so it does not run."""


class RemoteClock:
    def __init__(
        self,
        url: str,
        admin_token: str | None = None,
        *,
        session: requests.Session | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/") + "/__admin/clock"
        self.headers = {"X-Admin-Token": admin_token} if admin_token else {}
        self.session = session or requests.Session()
        self.timeout = timeout

    def now(self) -> datetime:
        """The mock's current instant (timezone-aware UTC)."""
        try:
            answer = self.session.get(self.url, headers=self.headers, timeout=self.timeout)
        except requests.exceptions.RequestException as exc:
            raise ClockUnavailable(
                f"cannot read the clock at {self.url}: {type(exc).__name__}", code="CLOCK"
            ) from exc
        if answer.status_code != 200:
            raise ClockUnavailable(
                f"the clock at {self.url} answered {answer.status_code}"
                + (" (wrong or missing --admin-token)" if answer.status_code in (401, 403) else ""),
                code="CLOCK",
            )
        try:
            return parse_instant(str(answer.json()["now"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ClockUnavailable(f"the clock at {self.url} gave no readable 'now'", code="CLOCK") from exc
