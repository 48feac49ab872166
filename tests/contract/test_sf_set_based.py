"""Issue 9: sObject Collections are set-based - a 200-record upsert costs a few SQL statements, not a
SELECT and a write per record. Counted with SQLAlchemy's `before_cursor_execute` event, so a return
to per-row work (which costs 200+ statements) fails here."""

from __future__ import annotations

import pytest

from mock_core.db import count_statements as counting

STATEMENT_BOUND = 12  # users, matches, unique values, one INSERT/UPDATE executemany each, savepoints


@pytest.fixture
def mode() -> str:
    return "inprocess"  # the statements are the org's; HTTP adds none


def upsert(sf, records: list[dict]) -> list[dict]:
    body = {"allOrNone": False, "records": records}
    return sf.restful("composite/sobjects/Task/SIA_Task_Id__c", method="PATCH", json=body)


def test_a_200_record_collection_upsert_is_a_few_statements_per_batch(sfx):
    sf = sfx.client()
    records = [
        {"attributes": {"type": "Task"}, "SIA_Task_Id__c": f"tsk_{n}", "Subject": f"Call {n}"}
        for n in range(200)
    ]
    with counting(sfx.org.engine) as created_sql:
        created = upsert(sf, records)
    assert [r["created"] for r in created] == [True] * 200
    assert all(r["success"] for r in created)
    assert len(created_sql) <= STATEMENT_BOUND, created_sql

    for rec in records:
        rec["Subject"] += " again"
    records[7]["OwnerId"] = "005000000000000AAA"  # no such user: this item fails alone, as before
    with counting(sfx.org.engine) as updated_sql:
        updated = upsert(sf, records)
    assert [r["created"] for r in updated if r["success"]] == [False] * 199
    assert [r["id"] for r in updated if r["success"]] == [r["id"] for i, r in enumerate(created) if i != 7]
    assert updated[7]["errors"][0]["statusCode"] in ("INVALID_CROSS_REFERENCE_KEY", "MALFORMED_ID")
    assert len(updated_sql) <= STATEMENT_BOUND, updated_sql
    assert sfx.org.get_task(created[0]["id"])["Subject"] == "Call 0 again"


def test_collection_create_and_update_are_set_based_too(sfx):
    sf = sfx.client()
    records = [{"attributes": {"type": "Task"}, "Subject": f"Call {n}"} for n in range(200)]
    with counting(sfx.org.engine) as create_sql:
        created = sf.restful("composite/sobjects", method="POST", json={"records": records})
    assert all(r["success"] for r in created)
    assert len(create_sql) <= STATEMENT_BOUND, create_sql
    changes = [{"attributes": {"type": "Task"}, "Id": r["id"], "Status": "Completed"} for r in created]
    with counting(sfx.org.engine) as update_sql:
        updated = sf.restful("composite/sobjects", method="PATCH", json={"records": changes})
    assert all(r["success"] for r in updated)
    assert len(update_sql) <= STATEMENT_BOUND, update_sql
    assert sfx.org.get_task(created[-1]["id"])["IsClosed"] is True


def test_one_record_create_get_update_and_delete_are_their_floor_of_statements(sfx):
    """The per-call path (issue 9): a create is one INSERT, a read one SELECT (no transaction of its
    own), an update one SELECT and one UPDATE of the changed columns, a delete one SELECT and one UPDATE -
    no ORM load, no second read, no write of a row whose values did not change."""
    sf = sfx.client()
    first = sf.Task.create({"Subject": "Warm-up"})["id"]
    sf.Task.get(first)  # the recycle-bin purge runs at most once a clock minute; let it run here
    with counting(sfx.org.engine) as create_sql:
        rid = sf.Task.create({"Subject": "Call", "Status": "Not Started", "Priority": "Normal"})["id"]
    assert create_sql == ["INSERT"]
    with counting(sfx.org.engine) as get_sql:
        assert sf.Task.get(rid)["Subject"] == "Call"
    assert get_sql == ["SELECT"]
    with counting(sfx.org.engine) as update_sql:
        sf.Task.update(rid, {"Subject": "Call again"})
    assert update_sql == ["SELECT", "UPDATE"]
    with counting(sfx.org.engine) as delete_sql:
        sf.Task.delete(rid)
    assert delete_sql == ["SELECT", "UPDATE"]
    assert sfx.org.get_task(rid)["Subject"] == "Call again" and sfx.org.get_task(rid)["IsDeleted"] is True
