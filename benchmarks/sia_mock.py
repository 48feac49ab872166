"""The SIA mock's own cost per call (issue 9): what the engine's import and change reads pay on SIA's side.

Through the in-process HTTP transport and the service token acting for a user, as the engine calls it:

- **batch of 200 creates** with `idempotency_key` (the first import's write; 50 of them make 10,000 tasks),
  the same batch replayed (every key known: the first answers come back), and 200 updates;
- **change-list page** of 1,000 (`include_deleted=true`, `updated_since`, then `cursor`), read to the end;
- **idle change read**: `after=<last updated_at>,<last id>` answering an empty page (an idle pass's read).

`python -m benchmarks mocks --sia-only` prints these (CPU ms per call, the median of the calls).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mock_core.clock import Clock
from mock_sia.app import create_app, get_sia, sia_session
from mock_sia.store import DEFAULT_SERVICE_TOKEN

BASE = "https://sia.mock/api/v1"
BATCH = 200


def _op(n: int) -> dict[str, Any]:
    """A create as the engine sends it for a Salesforce task (its fields, a key per task and generation)."""
    return {
        "op": "create",
        "idempotency_key": f"sf-00T5e{n:013d}-0",
        "data": {
            "name": f"Call {n} about the Cervantes LLC contract",
            "status": ("open", "complete")[n % 5 == 0],
            "priority": ("normal", "high")[n % 3 == 0],
            "due_date": f"2026-12-{1 + n % 28:02d}",
            "details": None if n % 4 == 0 else f"Task {n}: avoid to base much free try name two travel.",
        },
    }


def _timed(call: Callable[[], Any]) -> float:
    """The CPU seconds of one call (client and in-process server alike; steadier than the wall clock
    on a shared machine, and the same thing here: nothing waits on I/O)."""
    started = time.process_time()
    call()
    return time.process_time() - started


def sia_figures(tasks: int = 10_000, idle_reads: int = 50, say: Callable[[str], None] = print) -> dict:
    """Milliseconds per call (medians) of the SIA mock's hot paths on a fresh in-memory instance."""
    # A stopped clock, as in the harness: a first import's tasks all share one `updated_at`, so the
    # change list pages through ties and an idle read starts after the last of them.
    app = create_app({"CLOCK": Clock(frozen_at=datetime(2026, 11, 28, 12, 0, tzinfo=UTC))})
    user = get_sia(app).user_by_email("ann@sia.example")
    http = sia_session(app, token=DEFAULT_SERVICE_TOKEN, user_id=user.id)

    def post(ops: list[dict]) -> list[dict]:
        response = http.post(f"{BASE}/tasks/batch", json={"operations": ops})
        assert response.status_code == 200, response.text
        results: list[dict] = response.json()["results"]
        return results

    def get(params: dict) -> dict:
        response = http.get(f"{BASE}/tasks", params=params)
        assert response.status_code == 200, response.text
        page: dict = response.json()
        return page

    gc.collect()
    batches = [[_op(n) for n in range(start, min(tasks, start + BATCH))] for start in range(0, tasks, BATCH)]
    first: list[dict] = []
    create_s = [_timed(lambda ops=ops: first.extend(post(ops))) for ops in batches]  # type: ignore[misc]
    assert all(r["status"] == 201 for r in first), "a create failed"
    replay_s = [_timed(lambda: post(batches[0])) for _ in range(5)]
    ids = [r["data"]["id"] for r in first[:BATCH]]
    updates = [{"op": "update", "id": i, "data": {"status": "complete", "priority": "high"}} for i in ids]
    update_s = [_timed(lambda: post(updates)) for _ in range(5)]

    pages_s: list[float] = []
    params: dict = {"include_deleted": "true", "limit": 1000, "updated_since": "2000-01-01T00:00:00.000Z"}
    seen, last = 0, {}
    while True:
        started = time.process_time()
        page = get(params)
        pages_s.append(time.process_time() - started)
        seen += len(page["data"])
        last = page["data"][-1] if page["data"] else last
        if not page["next_cursor"]:
            break
        params = {"include_deleted": "true", "limit": 1000, "cursor": page["next_cursor"]}
    assert seen == tasks, (seen, tasks)
    after = {"include_deleted": "true", "limit": 1000, "after": f"{last['updated_at']},{last['id']}"}
    idle_s = [_timed(lambda: get(after)) for _ in range(idle_reads)]

    figures = {
        "create_batch_ms": statistics.median(create_s) * 1000,
        "create_total_s": sum(create_s),
        "replay_batch_ms": statistics.median(replay_s) * 1000,
        "update_batch_ms": statistics.median(update_s) * 1000,
        "list_page_ms": statistics.median(pages_s) * 1000,
        "idle_read_ms": statistics.median(idle_s) * 1000,
    }
    say(f"SIA mock, in-process HTTP, service token acting for a user; {tasks:,} tasks (CPU ms, medians):")
    say(
        f"  batch of {BATCH} creates (with keys) {figures['create_batch_ms']:8.1f} ms"
        f"   ({len(batches)} batches, {figures['create_total_s']:.2f} s in all)"
    )
    say(f"  the same batch replayed            {figures['replay_batch_ms']:8.1f} ms")
    say(f"  batch of {BATCH} updates              {figures['update_batch_ms']:8.1f} ms")
    say(f"  change-list page of 1,000          {figures['list_page_ms']:8.1f} ms   ({len(pages_s)} pages)")
    say(f"  idle change read (after=, empty)   {figures['idle_read_ms']:8.2f} ms")
    return figures


if __name__ == "__main__":
    sia_figures()
