"""Issue 9: the batch endpoint is set-based - 200 operations cost one transaction and a few SQL
statements, not a transaction, an idempotency SELECT and a flush per item. Counted with SQLAlchemy's
`before_cursor_execute` event, so a return to per-item work (600+ statements) fails here."""

from __future__ import annotations

from mock_core.db import count_statements as counting

STATEMENT_BOUND = 14  # auth, tasks named, keys carried, INSERT tasks, INSERT keys, UPDATEs, COMMIT


def batch(client, ops: list[dict]) -> list[dict]:
    response = client.post("/api/v1/tasks/batch", json={"operations": ops})
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_a_200_op_batch_is_a_few_statements(ann, sia):
    creates = [
        {"op": "create", "idempotency_key": f"k{n}", "data": {"name": f"Call {n}", "type": "call"}}
        for n in range(200)
    ]
    with counting(sia.store.engine) as create_sql:
        created = batch(ann, creates)
    assert [r["status"] for r in created] == [201] * 200
    assert len({r["data"]["id"] for r in created}) == 200
    assert len(create_sql) <= STATEMENT_BOUND, create_sql

    with counting(sia.store.engine) as replay_sql:
        replayed = batch(ann, creates)  # the same keys: the first answers, no new task
    assert [r["data"] for r in replayed] == [r["data"] for r in created]
    assert len(replay_sql) <= STATEMENT_BOUND, replay_sql

    ids = [r["data"]["id"] for r in created]
    mixed = [{"op": "update", "id": i, "data": {"status": "complete"}} for i in ids[:150]]
    mixed += [{"op": "delete", "id": i} for i in ids[150:199]]
    mixed.append({"op": "update", "id": "tsk_999999", "data": {"status": "complete"}})
    with counting(sia.store.engine) as mixed_sql:
        results = batch(ann, mixed)
    assert [r["status"] for r in results] == [200] * 150 + [204] * 49 + [404]
    assert all(r["data"]["status"] == "complete" for r in results[:150])
    assert len(mixed_sql) <= STATEMENT_BOUND, mixed_sql
    assert len(ann.get("/api/v1/tasks", params={"limit": 1000}).json()["data"]) == 151


def test_a_key_repeated_inside_one_batch_answers_like_two_calls(ann):
    op = {"op": "create", "idempotency_key": "twice", "data": {"name": "Once"}}
    other = {"op": "create", "idempotency_key": "twice", "data": {"name": "Other"}}
    first, again, clash = batch(ann, [op, op, other])
    assert first["status"] == again["status"] == 201 and first["data"] == again["data"]
    assert clash["status"] == 409 and clash["error"]["field"] == "Idempotency-Key"
    assert [t["name"] for t in ann.get("/api/v1/tasks").json()["data"]] == ["Once"]
