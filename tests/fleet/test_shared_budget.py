"""F3/F4 across workers: three governors (as three workers hold them) share one org's budget in PostgreSQL.

Each governor has its own database connection pool, like separate worker processes.
"""

from __future__ import annotations

import os
import time
import uuid
from types import SimpleNamespace

import pytest

ENV = "TASKSYNC_PG_URL"
pytestmark = pytest.mark.skipif(
    not os.environ.get(ENV),
    reason=f"{ENV} is not set: the shared API budget lives in PostgreSQL (.ci/run starts one and sets it)",
)
ORG = "https://acme.my.salesforce.com"


def usage(used: int, total: int = 1000) -> dict:
    return {"api-usage": SimpleNamespace(used=used, total=total)}


@pytest.fixture
def governors():
    from sqlalchemy import create_engine

    from sandbox.fleet import drop_database, recreate_database
    from sync.fleet_store import PgApiBudget, create_fleet_tables

    name = f"ts_budget_{uuid.uuid4().hex[:8]}"
    url = recreate_database(os.environ[ENV], name)
    engines = [create_engine(url) for _ in range(3)]
    create_fleet_tables(engines[0])
    yield [PgApiBudget(e, ORG, threshold=0.9, probe_every=0.5) for e in engines]
    for e in engines:
        e.dispose()
    drop_database(os.environ[ENV], name)


def test_workers_stop_together_at_the_share_then_one_probe_resumes_them(governors):
    from sync.budget import BudgetDeferred

    a, b, c = governors
    for g in governors:
        g.before_call()
    a.after_call(usage(850))
    b.before_call()  # 85 %: still under the 90 % share
    b.after_call(usage(900))  # F4: worker b's answer reaches the share ...
    for g in governors:  # ... and every worker refuses the org's calls before making them
        with pytest.raises(BudgetDeferred, match="900/1000"):
            g.before_call()
    assert a.state()["calls"] == 2  # the fleet's calls, whoever made them

    time.sleep(0.6)  # a probe is due: exactly one worker gets to make it
    allowed = []
    for g in governors:
        try:
            g.before_call()
            allowed.append(g)
        except BudgetDeferred:
            pass
    assert len(allowed) == 1
    allowed[0].after_call(usage(5))  # the allocation was reset: everyone resumes
    for g in governors:
        g.before_call()


def test_a_403_on_one_worker_stops_every_worker(governors):
    from sync.budget import BudgetDeferred

    a, b, c = governors
    c.after_error(SimpleNamespace(code="REQUEST_LIMIT_EXCEEDED"))  # F3
    for g in (a, b):
        with pytest.raises(BudgetDeferred, match="REQUEST_LIMIT_EXCEEDED"):
            g.before_call()
