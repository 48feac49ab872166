"""The SIA mock on PostgreSQL, over its HTTP API in-process (the same WSGI app the server runs)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mock_core.clock import Clock
from mock_sia import ANN_TOKEN, create_app, get_sia, sia_session

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
API = "https://sia.mock/api/v1"


@pytest.fixture
def clock() -> Clock:
    return Clock(frozen_at=T0)


@pytest.fixture
def app(pg_url, clock):
    app = create_app({"CLOCK": clock, "DB_URL": pg_url, "SECRET_KEY": "test"})
    yield app
    get_sia(app).store.engine.dispose()


@pytest.fixture
def ann(app):
    return sia_session(app, token=ANN_TOKEN)


def list_all(http, **params) -> list[dict]:
    """Follow `next_cursor` to the end; every page must be non-empty until the last."""
    out, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = http.get(f"{API}/tasks", params=query).json()
        out += body["data"]
        cursor = body["next_cursor"]
        if not cursor:
            return out


def test_paging_under_one_timestamp_returns_every_task_once_in_updated_at_id_order(ann, clock):
    ids = [ann.post(f"{API}/tasks", json={"name": f"task {i}"}).json()["id"] for i in range(257)]
    clock.advance(seconds=1)
    for task_id in ids[::3]:  # a second group, all on another equal stamp
        assert ann.patch(f"{API}/tasks/{task_id}", json={"status": "complete"}).status_code == 200
    listed = list_all(ann, limit=50)
    keys = [(t["updated_at"], t["id"]) for t in listed]
    assert keys == sorted(keys) and sorted(t["id"] for t in listed) == sorted(ids)
    assert len({t["updated_at"] for t in listed}) == 2
    since = list_all(ann, limit=20, updated_since="2026-11-28T12:00:00.500Z")
    assert [t["id"] for t in since] == ids[::3]


def test_idempotency_key_returns_the_first_task_and_refuses_another_body(ann, clock):
    first = ann.post(f"{API}/tasks", json={"name": "Call Ann"}, headers={"Idempotency-Key": "k-1"})
    clock.advance(seconds=5)
    again = ann.post(f"{API}/tasks", json={"name": "Call Ann"}, headers={"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 201) and again.json() == first.json()
    other = ann.post(f"{API}/tasks", json={"name": "Other"}, headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 409 and other.json()["error"]["field"] == "Idempotency-Key"
    assert [t["name"] for t in list_all(ann)] == ["Call Ann"]


def test_deleted_tasks_stay_as_tombstones_and_read_back_as_changes(ann, clock):
    keep = ann.post(f"{API}/tasks", json={"name": "keep"}).json()
    gone = ann.post(f"{API}/tasks", json={"name": "gone", "due_date": "2026-11-29"}).json()
    clock.advance(minutes=1)
    assert ann.delete(f"{API}/tasks/{gone['id']}").status_code == 204
    assert [t["id"] for t in list_all(ann)] == [keep["id"]]
    changed = list_all(ann, include_deleted="true", updated_since="2026-11-28T12:00:30Z")
    assert [(t["id"], t["deleted_at"]) for t in changed] == [(gone["id"], "2026-11-28T12:01:00.000Z")]
    assert changed[0]["due_date"] == "2026-11-29"  # a DATE column, not shifted by the server's zone
    assert ann.get(f"{API}/tasks/{gone['id']}").status_code == 404


def test_a_ten_digit_task_id_is_a_404_not_a_database_error(ann):
    """The public id prints the key with ten digits; PostgreSQL's INTEGER would overflow on it."""
    response = ann.get(f"{API}/tasks/tsk_9999999999")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_second_app_on_the_same_database_finds_users_settings_and_tasks(pg_url, app, ann, clock):
    made = ann.post(f"{API}/tasks", json={"name": "persisted", "priority": "high"}).json()
    sia = get_sia(app)
    ann_id = sia.user_by_email("ann@sia.example").id
    sia.connect_salesforce(ann_id, "https://x.my.salesforce.com", "admin@example.com", "password", "token")
    sia.set_task_sync(ann_id, True)
    get_sia(app).store.engine.dispose()
    again = create_app({"CLOCK": clock, "DB_URL": pg_url, "SECRET_KEY": "test"})
    try:
        http = sia_session(again, token=ANN_TOKEN)  # the token itself was persisted
        assert http.get(f"{API}/tasks/{made['id']}").json() == made
        assert http.get(f"{API}/settings/task_sync").json()["enabled"] is True
        newer = http.post(f"{API}/tasks", json={"name": "after restart"}).json()
        assert int(newer["id"][4:]) > int(made["id"][4:])  # the sequence went on
    finally:
        get_sia(again).store.engine.dispose()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/tasks", {"name": "a\u0000b"}, "name"),  # PostgreSQL text cannot hold NUL
        ("/tasks", {"name": "x", "details": "line\u0000"}, "details"),
        ("/tasks", {"name": "x", "sales_campaign_day": 2**31}, "sales_campaign_day"),  # INTEGER column
        ("/tasks", {"name": "x", "sales_campaign_step": 2**40}, "sales_campaign_step"),
    ],
)
def test_values_postgresql_cannot_store_are_422s_not_500s(ann, path, body, field):
    response = ann.post(f"{API}{path}", json=body)
    assert response.status_code == 422 and response.json()["error"]["field"] == field
    assert list_all(ann) == []


def test_settings_values_too_wide_for_their_columns_are_422s(ann, app):
    long_url = "https://x.my.salesforce.com/" + "p" * 500
    response = ann.put(
        f"{API}/settings/salesforce_connection",
        json={"instance_url": long_url, "username": "u@x.com", "password": "p"},
    )
    assert response.status_code == 422 and response.json()["error"]["field"] == "instance_url"
    response = ann.patch(f"{API}/users/me", json={"name": "Ann\u0000"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "name"


def test_ids_and_cursors_too_big_for_bigint_are_404_and_400(app, ann):
    assert ann.get(f"{API}/tasks/tsk_{'9' * 30}").status_code == 404
    service = sia_session(app, token="sia-service-token", user_id=f"usr_{'9' * 30}")
    assert service.get(f"{API}/tasks").status_code == 404
    import base64
    import json

    forged = base64.urlsafe_b64encode(json.dumps([1, 2**70]).encode()).decode().rstrip("=")
    response = ann.get(f"{API}/tasks", params={"cursor": forged})
    assert response.status_code == 400 and response.json()["error"]["field"] == "cursor"


def test_a_batch_of_creates_is_one_insert_and_each_answer_is_its_own_task(app, ann):
    """Issue 9: the batch's new tasks go in with one INSERT .. RETURNING (keys in the rows' order), so
    every answer names the task made from its own item - read back by id - with a few statements."""
    from mock_core.db import count_statements

    ops = [
        {
            "op": "create",
            "idempotency_key": f"pg-{n}",
            "data": {"name": f"pg task {n}", "sales_campaign_day": n + 1},
        }
        for n in range(200)
    ]
    with count_statements(get_sia(app).store.engine) as sql:
        results = ann.post(f"{API}/tasks/batch", json={"operations": ops}).json()["results"]
    assert len(sql) <= 14, sql
    assert [r["status"] for r in results] == [201] * 200
    for n, result in enumerate(results):
        stored = ann.get(f"{API}/tasks/{result['data']['id']}").json()
        assert (
            stored == result["data"]
            and stored["name"] == f"pg task {n}"
            and stored["sales_campaign_day"] == n + 1
        )
    replayed = ann.post(f"{API}/tasks/batch", json={"operations": ops}).json()["results"]
    assert replayed == results
