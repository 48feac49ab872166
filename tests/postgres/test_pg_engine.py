"""The sync engine with its state, and both mocks, on PostgreSQL (one database, three sets of tables)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from sandbox.harness import Harness


def on_pg(pg_url: str) -> Harness:
    return Harness(db_url=pg_url, sf_config={"DB_URL": pg_url}, sia_config={"DB_URL": pg_url})


@pytest.fixture
def h(pg_url):
    with on_pg(pg_url) as harness:
        yield harness
        harness.org.engine.dispose()
        harness.sia.store.engine.dispose()


def step(h, **kw):
    h.clock.advance(**(kw or {"minutes": 1}))
    return h.run_pass()


def names(tasks: list[dict], key: str) -> dict:
    return {t[key]: t for t in tasks}


def test_first_sync_edits_both_ways_then_a_pass_with_zero_writes(h, pg):
    """R3.1/R3.3 import, R4.1/R4.2 edits both ways, R4.5 nothing changed -> nothing written."""
    sf = h.salesforce()
    sf.Task.create({"Subject": "Call Ann", "ActivityDate": "2026-12-01", "Priority": "High"})
    sf.Task.create({"Subject": "Send deck"})
    h.clock.advance(hours=1)
    h.enable_sync()
    first = step(h)
    assert first.users[0].start == "first" and first.total("created") == {"sia": 2, "salesforce": 0}
    sia = names(h.sia_tasks(), "name")
    assert sia["Call Ann"]["due_date"] == "2026-12-01" and sia["Call Ann"]["priority"] == "high"

    made = h.sia_api("POST", "/tasks", json={"name": "From SIA", "due_date": "2026-12-03"}).json()
    h.sia_api("PATCH", f"/tasks/{sia['Call Ann']['id']}", json={"status": "complete"})
    sf_send = names(h.sf_tasks(), "Subject")["Send deck"]
    sf.Task.update(sf_send["Id"], {"Description": "v2 attached", "ActivityDate": "2026-12-05"})
    edits = step(h)
    assert edits.total("created") == {"sia": 0, "salesforce": 1}
    assert edits.total("updated") == {"sia": 1, "salesforce": 1}
    sf_now = names(h.sf_tasks(), "Subject")
    assert sf_now["Call Ann"]["Status"] == "Completed"
    assert sf_now["From SIA"]["ActivityDate"] == "2026-12-03" and sf_now["From SIA"]["Type"] is None
    assert sf_now["From SIA"]["SIA_Task_Id__c"] == made["id"]
    sia_now = names(h.sia_tasks(), "name")
    send = sia_now["Send deck"]
    assert (send["details"], send["due_date"]) == ("v2 attached", "2026-12-05")

    echo = step(h)  # reads back its own writes
    assert echo.users[0].writes == 0
    idle = step(h, minutes=5)
    assert idle.users[0].writes == 0 and idle.users[0].api_calls == {"sia": 1, "salesforce": 1}
    with pg.connect() as conn:  # the state really is in PostgreSQL, next to both mocks' tables
        assert conn.execute(text("SELECT count(*) FROM sync_links WHERE live")).scalar() == 3
        assert conn.execute(text("SELECT count(*) FROM sf_task")).scalar() == 3
        assert conn.execute(text("SELECT count(*) FROM sia_tasks")).scalar() == 3


def test_a_restarted_engine_on_the_same_databases_links_instead_of_duplicating(pg_url):
    """State, Salesforce org and SIA all reopened from PostgreSQL: the next pass knows every link."""
    with on_pg(pg_url) as h:
        sf = h.salesforce()
        for i in range(30):
            sf.Task.create({"Subject": f"sf {i}"})
        h.enable_sync()
        assert step(h).total("created") == {"sia": 30, "salesforce": 0}
        h.sia_api("POST", "/tasks", json={"name": "from sia"})
        assert step(h).total("created") == {"sia": 0, "salesforce": 1}
        step(h)
        clock = h.clock
        h.org.engine.dispose()
        h.sia.store.engine.dispose()
    with Harness(
        clock=clock, db_url=pg_url, sf_config={"DB_URL": pg_url}, sia_config={"DB_URL": pg_url}
    ) as again:
        again.clock.advance(minutes=5)
        later = again.run_pass()
        assert later.users[0].writes == 0
        assert len(again.sia_tasks()) == 31 and len(again.sf_tasks()) == 31
        sf = again.salesforce()
        sf.Task.update(again.sf_tasks()[0]["Id"], {"Subject": "renamed in Salesforce"})
        assert step(again).users[0].writes == 0  # R5: a Salesforce subject edit never reaches SIA
        again.org.engine.dispose()
        again.sia.store.engine.dispose()
