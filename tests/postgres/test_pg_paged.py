"""Issue 9: the paged steady-state pass (`sync.paged`) with its state on PostgreSQL - its link paging,
live-link count and indexed lookups run there too (the full comparison with the pass at once is
tests/integration/test_paged_pass.py, on SQLite)."""

from __future__ import annotations

from datetime import timedelta

from sandbox.harness import Harness
from sync.engine import EngineSettings


def test_paged_push_echo_and_held_sweep_on_postgresql(pg_url):
    settings = EngineSettings(stream_pass_above=20, pass_page_size=6, reconcile_every=timedelta(hours=6))
    with Harness(db_url=pg_url, settings=settings) as h:
        planned: list[int] = []
        h.engine.hooks.planned = lambda _uid, sia, sf: planned.append(sia + sf)
        h.org.seed(5, seed=3, owner=h.sf_user_id)
        h.clock.advance(minutes=1)
        h.enable_sync()
        h.clock.advance(minutes=1)
        assert h.run_pass().total("created") == {"sia": 5, "salesforce": 0}
        ops = [{"op": "create", "data": {"name": f"push {i}"}} for i in range(40)]
        assert h.sia_api("POST", "/tasks/batch", json={"operations": ops}).status_code == 200
        h.clock.advance(minutes=1)
        push = h.run_pass()
        assert push.total("created") == {"sia": 0, "salesforce": 40}
        assert push.users[0].api_calls == {"sia": 1, "salesforce": 2}  # one read each, one upsert
        assert planned and max(planned) <= 12
        h.clock.advance(minutes=1)
        assert h.run_pass().users[0].writes == 0  # the echo
        sf = h.salesforce()
        doomed = [r["Id"] for r in h.sf_tasks()[:30]]
        sf.restful(
            "composite/sobjects", method="DELETE", params={"ids": ",".join(doomed), "allOrNone": "false"}
        )
        h.org.purge_recycle_bin()
        h.clock.advance(hours=7)
        sweep = h.run_pass().users[0]
        assert [(a["would_delete"], a["linked"]) for a in sweep.alerts] == [(30, 45)] and sweep.writes == 0
        h.engine.settings.allow_mass_delete = True
        h.clock.advance(minutes=1)
        assert h.run_pass().users[0].deleted == {"sia": 30, "salesforce": 0}
        assert len(h.sia_tasks()) == 15
