"""Injected faults through /__admin (the same vocabulary as the Salesforce mock), and 429 rate_limited."""

from __future__ import annotations

import pytest
import requests

from .helpers import assert_error


def test_rate_limit_fault_answers_429_with_retry_after(make_client, ann):
    control = make_client()
    armed = control.post(
        "/__admin/faults",
        json={"kind": "rate_limit", "path": "^/api/v1/tasks$", "times": 2, "retry_after": 7},
    )
    assert armed.status_code == 201
    for _ in range(2):
        response = ann.get("/api/v1/tasks")
        assert_error(response, 429, "rate_limited", None)
        assert response.headers["Retry-After"] == "7"
    assert ann.get("/api/v1/tasks").status_code == 200  # used up
    assert control.get("/__admin/faults").json() == {"faults": []}


def test_status_fault_429_in_the_sia_error_shape(make_client, ann):
    make_client().post(
        "/__admin/faults", json={"kind": "status", "status": 429, "method": "POST", "times": 1}
    )
    response = ann.post("/api/v1/tasks", json={"name": "x"})
    assert_error(response, 429, "rate_limited", None)
    assert response.headers["Retry-After"] == "1"
    assert ann.get("/api/v1/tasks").json()["data"] == []  # nothing was created
    assert ann.post("/api/v1/tasks", json={"name": "x"}).status_code == 201


@pytest.mark.parametrize(("status", "code"), [(500, "internal_error"), (503, "service_unavailable")])
def test_server_errors_only_from_faults(make_client, ann, status, code):
    make_client().post("/__admin/faults", json={"kind": "status", "status": status, "times": 1})
    assert_error(ann.get("/api/v1/tasks"), status, code, None)
    assert ann.get("/api/v1/tasks").status_code == 200


def test_drop_after_commit_then_retry_with_the_same_key_gives_one_task(make_client, ann):
    """The client never hears the answer, but the task exists; the Idempotency-Key retry finds it."""
    make_client().post("/__admin/faults", json={"kind": "drop_after_commit", "method": "POST", "times": 1})
    with pytest.raises(requests.exceptions.ConnectionError):
        ann.post("/api/v1/tasks", json={"name": "once"}, headers={"Idempotency-Key": "retry-me"})
    retried = ann.post("/api/v1/tasks", json={"name": "once"}, headers={"Idempotency-Key": "retry-me"})
    assert retried.status_code == 201
    assert [t["id"] for t in ann.get("/api/v1/tasks").json()["data"]] == [retried.json()["id"]]


def test_connection_drop_changes_nothing(make_client, ann):
    make_client().post("/__admin/faults", json={"kind": "connection_drop", "method": "POST", "times": 1})
    with pytest.raises(requests.exceptions.ConnectionError):
        ann.post("/api/v1/tasks", json={"name": "lost"})
    assert ann.get("/api/v1/tasks").json()["data"] == []


def test_unknown_fault_kind_is_a_clear_error(make_client):
    response = make_client().post("/__admin/faults", json={"kind": "meltdown"})
    assert response.status_code == 400
    assert "rate_limit" in response.json()["error"]["message"]
