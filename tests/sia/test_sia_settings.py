"""Settings and service endpoints through HTTP: the task-sync switch (R1.1, R1.3), the Salesforce
connection (R1.1, R1.4), the sync's view of its users, and authentication."""

from __future__ import annotations

import pytest

from mock_sia import SERVICE_TOKEN

from .helpers import assert_error

CONNECTION = {
    "instance_url": "https://login.salesforce.com",
    "username": "ann@acme.example",
    "password": "pw",
    "security_token": "tok",
    "salesforce_user_id": "005000000000001AAA",
}


def test_task_sync_is_off_by_default(ann):
    assert ann.get("/api/v1/settings/task_sync").json() == {
        "enabled": False,
        "first_enabled_at": None,
        "last_enabled_at": None,
        "last_disabled_at": None,
    }


def test_task_sync_needs_a_salesforce_connection(ann):
    assert_error(ann.put("/api/v1/settings/task_sync", json={"enabled": True}), 409, "conflict", "enabled")
    assert ann.get("/api/v1/settings/task_sync").json()["enabled"] is False


def test_enable_disable_enable_records_first_and_last_times(ann, clock):
    """R1.1: Save starts sync; first_enabled_at is kept; R1.3: off records last_disabled_at, and a later
    on is a 'previously enabled' start (first_enabled_at < last_enabled_at)."""
    assert ann.put("/api/v1/settings/salesforce_connection", json=CONNECTION).status_code == 200
    on = ann.put("/api/v1/settings/task_sync", json={"enabled": True}).json()
    assert on == {
        "enabled": True,
        "first_enabled_at": "2026-11-28T17:00:00.000Z",
        "last_enabled_at": "2026-11-28T17:00:00.000Z",
        "last_disabled_at": None,
    }
    clock.advance(hours=1)
    assert (
        ann.put("/api/v1/settings/task_sync", json={"enabled": True}).json() == on
    )  # saving again: no change
    off = ann.put("/api/v1/settings/task_sync", json={"enabled": False}).json()
    assert off["enabled"] is False and off["last_disabled_at"] == "2026-11-28T18:00:00.000Z"
    clock.advance(days=2)
    again = ann.put("/api/v1/settings/task_sync", json={"enabled": True}).json()
    assert again == {
        "enabled": True,
        "first_enabled_at": "2026-11-28T17:00:00.000Z",
        "last_enabled_at": "2026-11-30T18:00:00.000Z",
        "last_disabled_at": "2026-11-28T18:00:00.000Z",
    }
    assert ann.get("/api/v1/settings/task_sync").json() == again


@pytest.mark.parametrize("body", [{"enabled": "yes"}, {"enabled": None}, {}, {"enabled": True, "x": 1}])
def test_task_sync_body_is_validated(ann, body):
    assert ann.put("/api/v1/settings/task_sync", json=body).status_code == 422


def test_salesforce_connection_hides_secrets_and_is_one_per_user(ann):
    assert ann.get("/api/v1/settings/salesforce_connection").json()["connected"] is False
    first = ann.put("/api/v1/settings/salesforce_connection", json=CONNECTION).json()
    assert first["connected"] is True
    assert first["instance_url"] == "https://login.salesforce.com"
    assert first["username"] == "ann@acme.example" and first["salesforce_user_id"] == "005000000000001AAA"
    assert "password" not in first and "security_token" not in first
    ann.put("/api/v1/settings/salesforce_connection", json={**CONNECTION, "username": "ann2@acme.example"})
    assert ann.get("/api/v1/settings/salesforce_connection").json()["username"] == "ann2@acme.example"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"instance_url": "ftp://x"}, "instance_url"),
        ({"instance_url": None}, "instance_url"),
        ({"username": ""}, "username"),
        ({"password": ""}, "password"),
        ({"password": None}, "password"),
        ({"salesforce_user_id": "001000000000001"}, "salesforce_user_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_salesforce_connection_is_validated(ann, change, field):
    assert_error(
        ann.put("/api/v1/settings/salesforce_connection", json={**CONNECTION, **change}),
        422,
        "validation_failed",
        field,
    )


def test_disconnecting_switches_sync_off(ann, clock):
    ann.put("/api/v1/settings/salesforce_connection", json=CONNECTION)
    ann.put("/api/v1/settings/task_sync", json={"enabled": True})
    clock.advance(minutes=1)
    assert ann.delete("/api/v1/settings/salesforce_connection").json()["connected"] is False
    setting = ann.get("/api/v1/settings/task_sync").json()
    assert setting["enabled"] is False and setting["last_disabled_at"] == "2026-11-28T17:01:00.000Z"


def test_service_lists_only_users_with_sync_on_with_credentials(ann, admin, service, ann_id):
    assert service.get("/api/v1/service/sync_users").json() == {"data": []}
    ann.put("/api/v1/settings/salesforce_connection", json=CONNECTION)
    admin.put("/api/v1/settings/salesforce_connection", json={**CONNECTION, "username": "admin@acme.example"})
    ann.put("/api/v1/settings/task_sync", json={"enabled": True})
    data = service.get("/api/v1/service/sync_users").json()["data"]
    assert [u["user_id"] for u in data] == [ann_id]
    assert data[0]["email"] == "ann@sia.example" and data[0]["time_zone"] == "America/New_York"
    assert data[0]["task_sync"]["enabled"] is True
    assert data[0]["salesforce"] == {k: CONNECTION[k] for k in CONNECTION}
    ann.put("/api/v1/settings/task_sync", json={"enabled": False})
    assert service.get("/api/v1/service/sync_users").json() == {"data": []}


def test_service_token_can_switch_a_users_sync(make_client, ann_id, ann):
    as_ann = make_client(SERVICE_TOKEN, ann_id)
    as_ann.put("/api/v1/settings/salesforce_connection", json=CONNECTION)
    assert as_ann.put("/api/v1/settings/task_sync", json={"enabled": True}).json()["enabled"] is True
    assert ann.get("/api/v1/settings/task_sync").json()["enabled"] is True


# -- authentication and authorisation (401, 403) -------------------------------------------------------


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer wrong-token", "Basic c2lhOnNpYQ==", "sia-ann-token"]
)
def test_missing_or_wrong_token_is_401(make_client, header):
    client = make_client()
    headers = {"Authorization": header} if header else {}
    assert_error(client.get("/api/v1/tasks", headers=headers), 401, "unauthorized")


def test_service_endpoints_need_the_service_token(ann, admin):
    assert_error(ann.get("/api/v1/service/sync_users"), 403, "forbidden")
    assert_error(admin.get("/api/v1/service/subject_template"), 403, "forbidden")


def test_service_token_without_a_user_may_only_use_service_endpoints(service):
    assert_error(service.get("/api/v1/tasks"), 403, "forbidden", "X-SIA-User")
    assert_error(service.get("/api/v1/command_center"), 403, "forbidden", "X-SIA-User")
    assert_error(
        service.get("/api/v1/tasks", headers={"X-SIA-User": "usr_999"}), 404, "not_found", "X-SIA-User"
    )


def test_a_user_token_cannot_act_for_someone_else(ann, admin_id, ann_id):
    assert_error(ann.get("/api/v1/tasks", headers={"X-SIA-User": admin_id}), 403, "forbidden", "X-SIA-User")
    assert ann.get("/api/v1/tasks", headers={"X-SIA-User": ann_id}).status_code == 200


def test_openapi_needs_no_token(make_client):
    assert make_client().get("/api/v1/openapi.json").json()["openapi"].startswith("3.1")


def test_unknown_paths_and_methods_answer_in_the_error_shape(ann):
    assert_error(ann.get("/api/v1/nothing-here"), 404, "not_found")
    response = ann.put("/api/v1/tasks")
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
