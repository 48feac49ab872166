"""The Salesforce API budget governor (F3/F4): read `Sforce-Limit-Info`, stop calling before the org runs dry.

One `ApiBudget` per Salesforce org (its instance URL), shared by every user of that org, because the
daily allocation is the org's. The Salesforce adapter asks it before every REST call and tells it what
each answer said:

- `after_call(usage)`: simple-salesforce parses the `Sforce-Limit-Info` header of every answer into
  `sf.api_usage["api-usage"]` (used/total). Once `used >= threshold * total` (default 90 %, Fivetran's
  pause point) - or, with `pass_share`, once this pass made `pass_share * total` calls (Singer's 25 %
  per run) - every further call in this pass is refused before it is made (`BudgetDeferred`): the
  user's pass stops where it is, its bookmarks stay put, and the rest is done on a later pass.
- `after_error(err)`: a 403 `REQUEST_LIMIT_EXCEEDED` (F3) stops the org's calls for the rest of the
  pass at once - the engine makes no further Salesforce call in that pass (the spec allows one).
- `start_pass()`: a new pass forgets what the last one saw, so its first call is the probe that finds
  out whether the allocation was reset (resume) or is still spent (one call, then stop again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sync.errors import StopUser


class BudgetDeferred(StopUser):
    """The rest of this pass's Salesforce work waits for a later pass (F3/F4); no call was made."""


@dataclass
class ApiBudget:
    threshold: float | None = 0.9  # share of the allocation at which to stop (None: only stop on 403)
    pass_share: float | None = None  # most of the allocation one pass may use (None: no cap)
    used: int | None = None
    total: int | None = None
    calls_this_pass: int = 0
    exhausted: str | None = None  # why the rest of this pass is deferred

    def start_pass(self) -> None:
        self.calls_this_pass = 0
        self.exhausted = None

    def before_call(self) -> None:
        if self.exhausted:
            raise BudgetDeferred(self.exhausted, code="API_BUDGET", side="salesforce")

    def after_call(self, api_usage: Any) -> None:
        self.calls_this_pass += 1
        usage = (api_usage or {}).get("api-usage")
        if usage is None:
            return
        self.used, self.total = int(usage.used), int(usage.total)
        if not self.total:
            return
        if self.threshold is not None and self.used >= self.threshold * self.total:  # F4
            self.exhausted = (
                f"API usage {self.used}/{self.total} reached {self.threshold:.0%} of the org's allocation; "
                "the rest of this pass is deferred"
            )
        elif self.pass_share is not None and self.calls_this_pass >= self.pass_share * self.total:
            self.exhausted = (
                f"this pass used {self.calls_this_pass} calls, {self.pass_share:.0%} of the allocation "
                f"({self.total}); the rest is deferred"
            )

    def after_error(self, error: BaseException) -> None:
        if getattr(error, "code", None) == "REQUEST_LIMIT_EXCEEDED":  # F3: never spin on a 403
            self.exhausted = "REQUEST_LIMIT_EXCEEDED: the API allocation is spent; resumed on a later pass"
