"""F18: a Salesforce that hangs makes a pass fail fast and cleanly, never hang; the next pass catches up."""

from __future__ import annotations

import time

from sandbox.harness import Harness


def test_F18_a_hanging_salesforce_times_out_and_the_next_pass_converges():
    with Harness(mode="servers", sf_timeout=0.5) as h:
        h.enable_sync()
        h.clock.advance(minutes=1)
        created = h.sia_api("POST", "/tasks", json={"name": "Call Ann"})
        assert created.status_code == 201
        h.clock.advance(minutes=1)
        # Every Salesforce data call hangs for 6 s - far longer than the adapter's 0.5 s timeout.
        h.org.faults.add("latency", path="^/services/data/", seconds=6, times=4)

        started = time.perf_counter()
        report = h.run_pass()
        elapsed = time.perf_counter() - started

        assert elapsed < 5, f"the pass waited out the hang ({elapsed:.1f} s)"
        stuck = report.to_dict()
        assert stuck["error"] or stuck["totals"]["errors"] or any(u.get("stopped") for u in stuck["users"])
        assert h.sf_tasks() == []  # nothing half-written

        h.org.faults.clear()
        h.run_pass()  # a hung request that still lands later is an idempotent upsert: no duplicate
        assert [t["Subject"] for t in h.sf_tasks()] == ["Call Ann"]
