"""`GET /tasks?after=<updated_at>,<id>`: a strict keyset start on (updated_at, id), under equal timestamps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .helpers import START


def _ids(client, **params) -> list[str]:
    out, cursor = [], None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        response = client.get("/api/v1/tasks", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        out += [t["id"] for t in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return out


def test_after_is_strict_on_the_pair_when_every_task_shares_one_updated_at(ann, sia, ann_id):
    created = [sia.create_task(ann_id, {"name": f"t{n}"})["id"] for n in range(25)]
    stamp = ann.get(f"/api/v1/tasks/{created[0]}").json()["updated_at"]
    assert {ann.get(f"/api/v1/tasks/{i}").json()["updated_at"] for i in created} == {stamp}
    assert _ids(ann, after=f"{stamp},{created[9]}", limit=7) == created[10:]  # across 3 pages
    assert _ids(ann, after=f"{stamp},{created[-1]}") == []  # nothing after the last one
    # updated_since stays inclusive: the same stamp lists all of them again
    assert _ids(ann, updated_since=stamp) == created


def test_after_moves_to_later_stamps_and_sees_tombstones(ann, sia, ann_id, clock):
    first = [sia.create_task(ann_id, {"name": f"a{n}"})["id"] for n in range(3)]
    stamp = ann.get(f"/api/v1/tasks/{first[-1]}").json()["updated_at"]
    clock.advance(seconds=1)
    later = ann.post("/api/v1/tasks", json={"name": "later"}).json()
    ann.delete(f"/api/v1/tasks/{first[0]}")  # moves first[0] past the bookmark: it is listed again
    after = f"{stamp},{first[-1]}"
    assert _ids(ann, after=after) == [later["id"]]
    assert _ids(ann, after=after, include_deleted="true") == [first[0], later["id"]]  # same ms: id order


def test_the_pair_need_not_exist_and_combines_with_other_filters(ann, sia, ann_id):
    created = [sia.create_task(ann_id, {"name": f"t{n}", "due_date": "2026-12-01"})["id"] for n in range(4)]
    stamp = ann.get(f"/api/v1/tasks/{created[0]}").json()["updated_at"]
    assert _ids(ann, after=f"{stamp},tsk_0000000000") == created
    earlier = (START - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert _ids(ann, after=f"{earlier},tsk_9999999999") == created  # an earlier stamp: any id
    assert _ids(ann, after=f"{stamp},{created[1]}", due_after="2026-12-02") == []
    assert _ids(ann, after=f"{stamp},{created[1]}", updated_since=stamp) == created[2:]


def test_after_never_reaches_another_users_tasks(ann, admin, sia, ann_id, admin_id):
    mine = sia.create_task(ann_id, {"name": "mine"})["id"]
    sia.create_task(admin_id, {"name": "theirs"})
    stamp = ann.get(f"/api/v1/tasks/{mine}").json()["updated_at"]
    assert _ids(ann, after=f"{stamp},tsk_0000000000") == [mine]


@pytest.mark.parametrize(
    "value", ["", "2026-11-28T12:00:00.000Z", "yesterday,tsk_0000000001", "2026-11-28T12:00:00Z,42", ",tsk_1"]
)
def test_a_malformed_after_is_a_clear_400(ann, value):
    response = ann.get("/api/v1/tasks", params={"after": value})
    # An empty parameter is a malformed one too (issue 12: the OpenAPI document says what a value is).
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert response.json()["error"]["field"] == "after"
