"""Faults, the /__admin control plane over HTTP, persistence across restarts, and the ways to run the org."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from mock_core import Clock
from mock_core.server import ServerThread
from mock_salesforce import create_app, get_org, mock_salesforce, salesforce_session

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LOGIN = {"username": "admin@example.com", "password": "password", "security_token": "token"}


def admin(sfx, method: str, path: str, **kwargs) -> requests.Response:
    """Call the control plane over HTTP: the real server, or the in-process transport."""
    http = sfx.http or requests.Session()
    base = sfx.admin_url or f"{sfx.instance_url}/__admin"
    return http.request(method, f"{base}{path}", **kwargs)


def test_status_fault_gives_the_vendor_error(sfx, sf):
    sfx.org.faults.add("status", status=503, path="/query", times=1)
    with pytest.raises(SalesforceGeneralError) as info:
        sf.query("SELECT Id FROM Task")
    assert info.value.status == 503 and info.value.content[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert sf.query("SELECT COUNT() FROM Task")["totalSize"] == 0  # used up after one hit
    admin(
        sfx,
        "POST",
        "/faults",
        json={
            "kind": "status",
            "status": 400,
            "error_code": "UNABLE_TO_LOCK_ROW",
            "message": "unable to obtain exclusive access to this record",
            "method": "POST",
            "times": 1,
        },
    )
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Task.create({"Subject": "x"})
    assert info.value.content == [
        {"message": "unable to obtain exclusive access to this record", "errorCode": "UNABLE_TO_LOCK_ROW"}
    ]


def test_drop_after_commit_commits_but_the_client_sees_a_connection_error(sfx, sf):
    sfx.org.faults.add("drop_after_commit", method="PATCH", times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        sf.Task.upsert("SIA_Task_Id__c/once", {"Subject": "committed"})
    assert sf.Task.get_by_custom_id("SIA_Task_Id__c", "once")["Subject"] == "committed"
    assert sf.Task.upsert("SIA_Task_Id__c/once", {"Subject": "retried"}) == 200  # a retry is safe
    assert sf.query("SELECT COUNT() FROM Task")["totalSize"] == 1


def test_connection_drop_changes_nothing(sfx, sf):
    sfx.org.faults.add("connection_drop", method="POST", times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        sf.Task.create({"Subject": "lost"})
    assert sfx.org.count_tasks() == 0


def test_expire_sessions_and_api_limit_faults_over_http(sfx):
    sf = sfx.direct()
    response = admin(sfx, "POST", "/faults", json={"kind": "expire_sessions"})
    assert response.status_code == 201 and response.json()["expired"] >= 1
    with pytest.raises(SalesforceExpiredSession):
        sf.limits()
    sf = sfx.client()
    response = admin(sfx, "POST", "/faults", json={"kind": "api_limit", "max": 100, "used": 100})
    assert response.json() == {"kind": "api_limit", "max": 100, "used": 100, "remaining": 0}
    with pytest.raises(SalesforceRefusedRequest):
        sf.query("SELECT Id FROM Task")
    admin(sfx, "POST", "/api-allocation", json={"used": 0})
    assert sf.limits()["DailyApiRequests"]["Remaining"] == 99


def test_journal_counts_api_calls_per_user_not_logins(sfx):
    admin(sfx, "DELETE", "/journal")
    sf = sfx.client()
    sf.Task.create({"Subject": "x"})
    sf.query("SELECT Id FROM Task")
    user_id = sfx.org.default_user()["Id"]
    counted = admin(sfx, "GET", "/journal/count", params={"counted_only": "true"}).json()["count"]
    mine = admin(sfx, "GET", "/journal/count", params={"principal": user_id}).json()["count"]
    everything = admin(sfx, "GET", "/journal").json()
    assert counted == 2 and mine == 2
    assert any(
        e["path"].startswith("/services/Soap/u/") and e["counted"] is False for e in everything["requests"]
    )


def test_control_plane_users_seed_clock_restore_fields(sfx):
    created = admin(
        sfx,
        "POST",
        "/users",
        json={"Username": "qa@example.com", "LastName": "QA", "Password": "pw", "SecurityToken": "tk"},
    )
    assert created.status_code == 201 and created.json()["Id"].startswith("005")
    assert "qa@example.com" in [u["Username"] for u in admin(sfx, "GET", "/users").json()["users"]]
    qa = sfx.client(username="qa@example.com", password="pw", security_token="tk")
    seeded = admin(sfx, "POST", "/seed", json={"count": 5, "seed": 42, "owner": "qa@example.com"}).json()
    assert seeded["created"] == 5 and seeded["owner"] == created.json()["Id"]
    twin = get_org(create_app())  # the same seed gives the same tasks in another org
    twin.seed(5, seed=42)
    twin_rows = twin.query(
        "SELECT Subject FROM Task ORDER BY Id",
        include_deleted=False,
        batch_size=2000,
        user_id=None,
        version="59.0",
    )["records"]
    rows = qa.query("SELECT Subject FROM Task ORDER BY Id")["records"]
    assert [r["Subject"] for r in rows] == [r["Subject"] for r in twin_rows]
    qa.Task.delete(seeded["ids"][0])
    assert admin(sfx, "GET", "/recycle-bin").json()["records"][0]["Id"] == seeded["ids"][0]
    restored = admin(sfx, "POST", "/recycle-bin/restore", json={"ids": [seeded["ids"][0]]})
    assert restored.json() == {"restored": [seeded["ids"][0]]}
    assert admin(sfx, "POST", "/recycle-bin/restore", json={"ids": [seeded["ids"][0]]}).status_code == 404
    clock = admin(sfx, "POST", "/clock", json={"action": "advance", "days": 1}).json()
    assert clock["now"].startswith("2026-11-29T12:00:00")
    field = admin(sfx, "POST", "/fields", json={"name": "Source__c", "length": 40, "externalId": True})
    assert field.status_code == 201 and field.json()["externalId"] is True
    assert qa.Task.upsert("Source__c/s1", {"Subject": "by source"}) == 201
    assert admin(sfx, "POST", "/fields", json={"name": "bad name"}).status_code == 400
    assert admin(sfx, "POST", "/reset").json() == {"reset": True}
    assert sfx.org.count_tasks() == 0 and len(sfx.org.list_users()) == 1
    info = admin(sfx, "GET", "/org").json()
    assert info["org_id"].startswith("00D") and info["api_allocation"]["max"] == 15000


def test_persistence_to_a_sqlite_file_across_restarts(tmp_path):
    url = f"sqlite:///{tmp_path / 'org.db'}"
    clock = Clock(frozen_at=T0)
    first = create_app({"DB_URL": url, "CLOCK": clock})
    with mock_salesforce(app=first) as org:
        org.declare_field("Task", "Legacy__c", external_id=True)
        sf = Salesforce(**LOGIN)
        kept = sf.Task.create({"Subject": "survives", "Legacy__c": "L"})["id"]
        org_id = org.org_id
    get_org(first).engine.dispose()
    second = create_app({"DB_URL": url, "CLOCK": clock})
    with mock_salesforce(app=second) as org:
        assert org.org_id == org_id
        sf = Salesforce(**LOGIN)
        assert sf.Task.get_by_custom_id("Legacy__c", "L")["Id"] == kept
        newer = sf.Task.create({"Subject": "next"})["id"]
        assert newer != kept and newer > kept  # ids keep counting after a restart
        assert len(org.list_users()) == 1


def test_decorator_gives_a_fresh_org_each_call():
    seen = []

    @mock_salesforce
    def run():
        sf = Salesforce(**LOGIN)
        seen.append(sf.query("SELECT COUNT() FROM Task")["totalSize"])
        sf.Task.create({"Subject": "x"})

    run()
    run()
    assert seen == [0, 0]

    @mock_salesforce()
    def run_with_parentheses():
        return Salesforce(**LOGIN).Task.create({"Subject": "y"})["success"]

    assert run_with_parentheses() is True


def test_shared_app_and_clock_with_a_harness():
    clock = Clock(frozen_at=T0)
    app = create_app({"CLOCK": clock})
    with mock_salesforce(app=app) as org:
        assert org.clock is clock and org.app is app
        sf = Salesforce(**LOGIN)
        created = sf.Task.get(sf.Task.create({"Subject": "t"})["id"])["CreatedDate"]
        assert created == "2026-11-28T12:00:00.000+0000"


def test_plain_http_server_with_a_routed_session():
    app = create_app({"INSTANCE_URL": None})
    with ServerThread(app, port=0, tls=False) as server:
        session = salesforce_session(server.url)
        sf = Salesforce(**LOGIN, session=session)
        assert sf.sf_instance == f"127.0.0.1:{server.port}"
        response = session.get(f"{server.url}/services/data/")
        assert response.status_code == 200


def test_cli_help():
    for args in ([], ["serve"]):
        out = subprocess.run(
            [sys.executable, "-m", "mock_salesforce", *args, "--help"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "Usage:" in out
    assert "--http" in out and "--tls-cert" in out and "--seed" in out
