"""The task API through HTTP: create/read/update/delete, validation, idempotency, tombstones, paging,
updated_since, monotonic updated_at, batch and cross-user isolation (R1.4)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .helpers import START, assert_error

TASK = {
    "type": "call",
    "name": "Call Ann",
    "priority": "high",
    "due_date": "2026-11-30",
    "details": "Ask about renewal\nand the new contract ✓",
}


def test_create_returns_201_with_every_field_and_reads_back(ann, ann_id):
    created = ann.post("/api/v1/tasks", json=TASK)
    assert created.status_code == 201
    task = created.json()
    assert task["id"].startswith("tsk_")
    assert created.headers["Location"] == f"/api/v1/tasks/{task['id']}"
    assert task["user_id"] == ann_id
    assert {k: task[k] for k in TASK} == TASK
    assert task["status"] == "open"
    assert task["created_at"] == task["updated_at"] == "2026-11-28T17:00:00.000Z"
    assert task["deleted_at"] is None
    assert ann.get(f"/api/v1/tasks/{task['id']}").json() == task


def test_create_defaults(ann):
    task = ann.post("/api/v1/tasks", json={"name": "Just a name"}).json()
    assert (task["type"], task["status"], task["priority"], task["due_date"], task["details"]) == (
        "custom",
        "open",
        "normal",
        None,
        None,
    )


def test_patch_is_partial_and_moves_updated_at(ann, clock):
    task = ann.post("/api/v1/tasks", json=TASK).json()
    clock.advance(seconds=1.5)
    patched = ann.patch(f"/api/v1/tasks/{task['id']}", json={"status": "complete", "due_date": None})
    assert patched.status_code == 200
    body = patched.json()
    assert body["status"] == "complete" and body["due_date"] is None
    assert body["name"] == "Call Ann" and body["priority"] == "high"
    assert body["updated_at"] == "2026-11-28T17:00:01.500Z"
    assert body["created_at"] == task["created_at"]


def test_updated_at_strictly_increases_within_one_millisecond(ann):
    """The clock is frozen: every write still moves updated_at by at least 1 ms."""
    task = ann.post("/api/v1/tasks", json=TASK).json()
    stamps = [task["updated_at"]]
    for n in range(5):
        stamps.append(ann.patch(f"/api/v1/tasks/{task['id']}", json={"name": f"v{n}"}).json()["updated_at"])
    assert stamps == sorted(set(stamps))
    assert stamps[-1] == "2026-11-28T17:00:00.005Z"
    ann.delete(f"/api/v1/tasks/{task['id']}")
    tomb = ann.get(f"/api/v1/tasks/{task['id']}?include_deleted=true").json()
    assert tomb["updated_at"] == tomb["deleted_at"] == "2026-11-28T17:00:00.006Z"


def test_delete_keeps_a_tombstone(ann):
    task = ann.post("/api/v1/tasks", json=TASK).json()
    other = ann.post("/api/v1/tasks", json={"name": "Keep me"}).json()
    assert ann.delete(f"/api/v1/tasks/{task['id']}").status_code == 204
    assert_error(ann.get(f"/api/v1/tasks/{task['id']}"), 404, "not_found")
    assert [t["id"] for t in ann.get("/api/v1/tasks").json()["data"]] == [other["id"]]
    listed = ann.get("/api/v1/tasks", params={"include_deleted": "true"}).json()["data"]
    tomb = next(t for t in listed if t["id"] == task["id"])
    assert tomb["deleted_at"] is not None and tomb["name"] == "Call Ann"
    # deleting again is answered 204 (retries are safe) and changes nothing
    assert ann.delete(f"/api/v1/tasks/{task['id']}").status_code == 204
    assert ann.get(f"/api/v1/tasks/{task['id']}?include_deleted=true").json() == tomb
    # a tombstone cannot be edited
    assert_error(ann.patch(f"/api/v1/tasks/{task['id']}", json={"name": "x"}), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 1001}, "name"),
        ({"name": "ok", "type": "meeting"}, "type"),
        ({"name": "ok", "status": "Completed"}, "status"),
        ({"name": "ok", "priority": "low"}, "priority"),
        ({"name": "ok", "due_date": "2026-02-30"}, "due_date"),
        ({"name": "ok", "due_date": "30.11.2026"}, "due_date"),
        ({"name": "ok", "details": "x" * 32001}, "details"),
        ({"name": "ok", "sales_campaign_day": 0}, "sales_campaign_day"),
        ({"name": "ok", "sales_campaign_step": "2"}, "sales_campaign_step"),
        ({"name": "ok", "colour": "red"}, "colour"),
        ({"name": "ok", "id": "tsk_1"}, "id"),
        ({"name": "ok", "updated_at": "2026-11-28T17:00:00.000Z"}, "updated_at"),
    ],
)
def test_create_validation_names_the_field(ann, body, field):
    assert_error(ann.post("/api/v1/tasks", json=body), 422, "validation_failed", field)
    assert ann.get("/api/v1/tasks").json()["data"] == []


def test_details_keep_every_character_up_to_the_limit(ann):
    prefix = "Line 1\r\nLine 2\n\tÜmlaut 🚀 "
    details = prefix + "x" * (32000 - len(prefix))
    assert len(details) == 32000
    task = ann.post("/api/v1/tasks", json={"name": "long", "details": details}).json()
    assert ann.get(f"/api/v1/tasks/{task['id']}").json()["details"] == details


def test_malformed_json_is_400(ann):
    response = ann.post("/api/v1/tasks", data=b"{not json", headers={"Content-Type": "application/json"})
    assert_error(response, 400, "bad_request")
    assert_error(ann.post("/api/v1/tasks", json=["a list"]), 400, "bad_request")
    assert_error(ann.post("/api/v1/tasks"), 400, "bad_request")


# -- idempotency ----------------------------------------------------------------------------------------


def test_idempotency_key_returns_the_first_result_never_a_second_task(ann, clock):
    first = ann.post("/api/v1/tasks", json=TASK, headers={"Idempotency-Key": "k-1"})
    clock.advance(seconds=3)
    again = ann.post("/api/v1/tasks", json=TASK, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len(ann.get("/api/v1/tasks").json()["data"]) == 1


def test_idempotency_key_with_a_different_body_is_409(ann):
    ann.post("/api/v1/tasks", json=TASK, headers={"Idempotency-Key": "k-1"})
    response = ann.post("/api/v1/tasks", json={**TASK, "name": "Other"}, headers={"Idempotency-Key": "k-1"})
    assert_error(response, 409, "conflict", "Idempotency-Key")
    assert len(ann.get("/api/v1/tasks").json()["data"]) == 1


def test_idempotency_keys_are_per_user(ann, admin):
    a = ann.post("/api/v1/tasks", json=TASK, headers={"Idempotency-Key": "shared"}).json()
    b = admin.post("/api/v1/tasks", json={"name": "Admin's"}, headers={"Idempotency-Key": "shared"})
    assert b.status_code == 201 and b.json()["id"] != a["id"]


def test_distinct_keys_make_distinct_tasks_and_no_key_always_creates(ann):
    ids = {
        ann.post("/api/v1/tasks", json=TASK, headers={"Idempotency-Key": f"k{n}"}).json()["id"]
        for n in range(3)
    }
    ids |= {ann.post("/api/v1/tasks", json=TASK).json()["id"] for _ in range(2)}
    assert len(ids) == 5


# -- listing, paging, filters ---------------------------------------------------------------------------


def _all_pages(client, **params) -> tuple[list[dict], int]:
    seen, pages, cursor = [], 0, None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        body = client.get("/api/v1/tasks", params=query).json()
        seen.extend(body["data"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


def test_paging_under_equal_timestamps_lists_every_task_exactly_once(ann, sia, ann_id):
    """250 tasks share one updated_at (frozen clock): keyset paging on (updated_at, id) is stable."""
    created = [sia.create_task(ann_id, {"name": f"t{n}"})["id"] for n in range(250)]
    seen, pages = _all_pages(ann, limit=100)
    assert pages == 3
    assert [t["id"] for t in seen] == created  # ties broken by id, in creation order
    assert len({t["updated_at"] for t in seen}) == 1
    # stable: a second walk gives the same sequence
    assert [t["id"] for t in _all_pages(ann, limit=100)[0]] == created


def test_paging_stays_correct_while_tasks_change(ann, sia, ann_id, clock):
    ids = [sia.create_task(ann_id, {"name": f"t{n}"})["id"] for n in range(30)]
    page1 = ann.get("/api/v1/tasks", params={"limit": 10}).json()
    clock.advance(seconds=1)
    ann.patch(f"/api/v1/tasks/{ids[0]}", json={"name": "moved to the end"})  # already read on page 1
    ann.patch(f"/api/v1/tasks/{ids[20]}", json={"name": "moved too"})  # not read yet: moves behind
    rest, _ = _all_pages(ann, limit=10, cursor=page1["next_cursor"])
    order = [t["id"] for t in page1["data"]] + [t["id"] for t in rest]
    assert set(order) == set(ids)
    assert order[-2:] == [ids[0], ids[20]]


def test_updated_since_is_inclusive_and_sees_deletions(ann, clock):
    old = ann.post("/api/v1/tasks", json={"name": "old"}).json()
    clock.advance(minutes=5)
    mark = clock.now()
    new = ann.post("/api/v1/tasks", json={"name": "new"}).json()
    since = mark.isoformat().replace("+00:00", "Z")
    assert [t["id"] for t in ann.get("/api/v1/tasks", params={"updated_since": since}).json()["data"]] == [
        new["id"]
    ]
    clock.advance(minutes=1)
    ann.delete(f"/api/v1/tasks/{old['id']}")
    changed = ann.get("/api/v1/tasks", params={"updated_since": since, "include_deleted": "true"}).json()
    assert [(t["id"], t["deleted_at"] is not None) for t in changed["data"]] == [
        (new["id"], False),
        (old["id"], True),
    ]
    # an offset written with '+' (unencoded in the query) still parses
    plus = ann.get(
        f"/api/v1/tasks?updated_since={(mark + timedelta(minutes=1)).isoformat()}&include_deleted=true"
    ).json()
    assert [t["id"] for t in plus["data"]] == [old["id"]]


def test_filters_status_and_due_dates(ann):
    for name, due, status in [
        ("a", "2026-11-27", "open"),
        ("b", "2026-11-28", "complete"),
        ("c", "2026-11-30", "open"),
        ("d", None, "open"),
    ]:
        ann.post("/api/v1/tasks", json={"name": name, "due_date": due, "status": status})

    def names(**params):
        return sorted(t["name"] for t in ann.get("/api/v1/tasks", params=params).json()["data"])

    assert names(status="open") == ["a", "c", "d"]
    assert names(status="complete") == ["b"]
    assert names(due_after="2026-11-28") == ["b", "c"]
    assert names(due_before="2026-11-28") == ["a", "b"]
    assert names(due_after="2026-11-28", due_before="2026-11-28") == ["b"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"status": "done"}, "status"),
        ({"due_before": "2026-13-01"}, "due_before"),
        ({"due_after": "soon"}, "due_after"),
        ({"include_deleted": "maybe"}, "include_deleted"),
    ],
)
def test_bad_query_parameters_are_400(ann, params, field):
    assert_error(ann.get("/api/v1/tasks", params=params), 400, "bad_request", field)


# -- isolation (R1.4) -----------------------------------------------------------------------------------


def test_another_users_task_is_404_for_every_verb(ann, admin):
    mine = ann.post("/api/v1/tasks", json=TASK).json()
    url = f"/api/v1/tasks/{mine['id']}"
    assert_error(admin.get(url), 404, "not_found")
    assert_error(admin.get(url + "?include_deleted=true"), 404, "not_found")
    assert_error(admin.patch(url, json={"name": "hijack"}), 404, "not_found")
    assert_error(admin.delete(url), 404, "not_found")
    assert admin.get("/api/v1/tasks", params={"include_deleted": "true"}).json()["data"] == []
    batch = admin.post(
        "/api/v1/tasks/batch",
        json={
            "operations": [
                {"op": "update", "id": mine["id"], "data": {"name": "x"}},
                {"op": "delete", "id": mine["id"]},
            ]
        },
    )
    assert [r["status"] for r in batch.json()["results"]] == [404, 404]
    assert ann.get(url).json() == mine  # untouched
    # the 404 is the same as for an id that never existed: nothing to learn
    theirs = admin.get(url).json()["error"]
    missing = admin.get("/api/v1/tasks/tsk_9999999999").json()["error"]
    assert theirs["message"].replace(mine["id"], "ID") == missing["message"].replace("tsk_9999999999", "ID")
    assert (theirs["code"], theirs["field"]) == (missing["code"], missing["field"])
    assert_error(admin.get("/api/v1/tasks/not-an-id"), 404, "not_found")


def test_service_token_acts_for_one_user_at_a_time(make_client, ann, ann_id, admin_id):
    from mock_sia import SERVICE_TOKEN

    mine = ann.post("/api/v1/tasks", json=TASK).json()
    as_ann = make_client(SERVICE_TOKEN, ann_id)
    assert as_ann.get(f"/api/v1/tasks/{mine['id']}").json() == mine
    as_admin = make_client(SERVICE_TOKEN, admin_id)
    assert_error(as_admin.get(f"/api/v1/tasks/{mine['id']}"), 404, "not_found")
    created = as_ann.post("/api/v1/tasks", json={"name": "by the sync"}).json()
    assert created["user_id"] == ann_id


# -- batch ----------------------------------------------------------------------------------------------


def test_batch_answers_per_item_and_a_bad_item_never_fails_the_others(ann):
    existing = ann.post("/api/v1/tasks", json=TASK).json()
    doomed = ann.post("/api/v1/tasks", json={"name": "doomed"}).json()
    ops = [
        {"op": "create", "idempotency_key": "b1", "data": {"name": "New one", "type": "email"}},
        {"op": "create", "data": {"name": ""}},
        {"op": "update", "id": existing["id"], "data": {"status": "complete"}},
        {"op": "update", "id": "tsk_0000099999", "data": {"status": "complete"}},
        {"op": "delete", "id": doomed["id"]},
        {"op": "explode"},
        "not an object",
        {"op": "update", "id": existing["id"], "data": {"priority": "urgent"}},
    ]
    response = ann.post("/api/v1/tasks/batch", json={"operations": ops})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 200, 404, 204, 422, 422, 422]
    assert results[0]["data"]["name"] == "New one"
    assert results[1]["error"]["field"] == "name"
    assert results[2]["data"]["status"] == "complete"
    assert results[3]["error"]["code"] == "not_found"
    assert results[5]["error"]["field"] == "op"
    assert results[7]["error"]["field"] == "priority"
    listed = {t["id"]: t for t in ann.get("/api/v1/tasks").json()["data"]}
    assert set(listed) == {existing["id"], results[0]["data"]["id"]}
    assert listed[existing["id"]]["priority"] == "high"  # the bad item changed nothing
    # the batch's idempotency key is the same keyspace as the header's
    again = ann.post(
        "/api/v1/tasks", json={"name": "New one", "type": "email"}, headers={"Idempotency-Key": "b1"}
    )
    assert again.json()["id"] == results[0]["data"]["id"]


def test_batch_limits(ann):
    ops = [{"op": "create", "data": {"name": f"t{n}"}} for n in range(200)]
    response = ann.post("/api/v1/tasks/batch", json={"operations": ops})
    assert [r["status"] for r in response.json()["results"]] == [201] * 200
    assert_error(
        ann.post("/api/v1/tasks/batch", json={"operations": ops + ops[:1]}),
        422,
        "validation_failed",
        "operations",
    )
    for bad in ([], {}, None):
        assert_error(
            ann.post("/api/v1/tasks/batch", json={"operations": bad}), 422, "validation_failed", "operations"
        )
    assert_error(ann.post("/api/v1/tasks/batch", json={"ops": []}), 422, "validation_failed", "ops")


def test_users_me(ann, admin, ann_id):
    assert ann.get("/api/v1/users/me").json() == {
        "id": ann_id,
        "name": "Ann Jones",
        "email": "ann@sia.example",
        "time_zone": "America/New_York",
        "role": "user",
    }
    assert admin.get("/api/v1/users/me").json()["role"] == "admin"


def test_time_runs_with_a_running_clock():
    """Without freezing, created_at follows the injected clock, offset and all (time travel)."""
    from mock_core.clock import Clock
    from mock_sia import ANN_TOKEN, create_app

    from .helpers import client_for

    clock = Clock()
    clock.set(START - timedelta(days=400))
    client = client_for(create_app({"CLOCK": clock}), ANN_TOKEN)
    task = client.post("/api/v1/tasks", json={"name": "x"}).json()
    assert task["created_at"].startswith("2025-10-")
