"""Logging in, sessions, versions, limits: the real simple-salesforce against the org."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceRefusedRequest,
)

from mock_salesforce.ids import is_valid


def test_soap_login_then_create_returns_201_with_a_00T_id(sfx, sf):
    t = sf.Task
    result = t.create({"Subject": "Call Ann"})
    assert result["success"] is True and result["errors"] == []
    assert result["id"].startswith("00T") and len(result["id"]) == 18 and is_valid(result["id"])
    assert t.api_usage["api-usage"].total == 15000
    assert t.api_usage["api-usage"].used >= 1
    assert sf.session_id and sf.sf_instance


def test_create_answers_201_on_the_wire(sfx, sf):
    response = sf.session.post(f"{sf.base_url}sobjects/Task/", headers=sf.headers, json={"Subject": "wire"})
    assert response.status_code == 201
    assert list(response.json()) == ["id", "success", "errors"]
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")
    assert response.headers["Content-Type"].startswith("application/json")


def test_wrong_password_raises_authentication_failed(sfx):
    with pytest.raises(SalesforceAuthenticationFailed) as info:
        sfx.client(username="admin@example.com", password="password", security_token="nope")
    assert info.value.code == "INVALID_LOGIN"


def test_inactive_user_cannot_log_in(sfx):
    sfx.org.create_user({"Username": "gone@example.com", "IsActive": False})
    with pytest.raises(SalesforceAuthenticationFailed):
        sfx.client(username="gone@example.com", password="password", security_token="token")


def test_oauth_password_flow_with_any_client(sfx):
    sf = sfx.client(
        username="admin@example.com", password="password", consumer_key="any-id", consumer_secret="any-secret"
    )
    assert sf.Task.create({"Subject": "via oauth"})["success"]
    with pytest.raises(SalesforceAuthenticationFailed):
        sfx.client(username="admin@example.com", password="wrong", consumer_key="k", consumer_secret="s")


def test_oauth_client_credentials_runs_as_the_default_user(sfx):
    sf = sfx.client(consumer_key="any-id", consumer_secret="any-secret", domain="mock-org.my")
    new_id = sf.Task.create({"Subject": "cc"})["id"]
    assert sf.Task.get(new_id)["OwnerId"] == sfx.org.default_user()["Id"]


def test_refresh_token_grant(sfx):
    http = sfx.http or __import__("requests").Session()
    token = http.post(
        "https://login.salesforce.com/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": "c",
            "client_secret": "s",
            "username": "admin@example.com",
            "password": "passwordtoken",
        },
    ).json()
    refreshed = http.post(
        "https://login.salesforce.com/services/oauth2/token",
        data={"grant_type": "refresh_token", "client_id": "c", "refresh_token": token["refresh_token"]},
    )
    assert refreshed.status_code == 200 and refreshed.json()["access_token"] != token["access_token"]
    bad = http.post(
        "https://login.salesforce.com/services/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": "nope"},
    )
    assert bad.status_code == 400 and bad.json() == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }
    unsupported = http.post(
        "https://login.salesforce.com/services/oauth2/token", data={"grant_type": "magic"}
    )
    assert unsupported.json()["error"] == "unsupported_grant_type"


def test_direct_session_id_mode(sfx):
    sf = sfx.direct()
    assert sf.Task.create({"Subject": "direct"})["success"]


def test_sandbox_login_host_works_too(sfx):
    sf = sfx.client(
        **{
            "username": "admin@example.com",
            "password": "password",
            "security_token": "token",
            "domain": "test",
        }
    )
    assert sf.query("SELECT COUNT() FROM Task")["totalSize"] == 0


def test_expired_session_logs_in_again_transparently(sfx, sf):
    first_session = sf.session_id
    sf.Task.create({"Subject": "before"})
    assert sfx.org.expire_sessions() >= 1
    assert sf.query("SELECT COUNT() FROM Task")["totalSize"] == 1  # 401 -> re-login -> retry
    assert sf.session_id != first_session


def test_session_times_out_by_clock(sfx, sf):
    sf.Task.create({"Subject": "x"})
    sfx.org.clock.advance(hours=3)  # default timeout is two hours of inactivity
    direct = sfx.direct()
    sfx.org.clock.advance(hours=3)
    with pytest.raises(SalesforceExpiredSession) as info:
        direct.query("SELECT Id FROM Task")
    assert info.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    assert sf.query("SELECT COUNT() FROM Task")["totalSize"] == 1  # the password client logs in again


def test_expired_session_in_direct_mode_raises(sfx):
    sf = sfx.direct()
    sfx.org.expire_sessions()
    with pytest.raises(SalesforceExpiredSession):
        sf.Task.create({"Subject": "x"})


def test_missing_token_is_invalid_session(sfx):
    sf = Salesforce(instance_url=sfx.instance_url, session_id="not-a-session", **sfx.session_kw())
    with pytest.raises(SalesforceExpiredSession):
        sf.limits()


def test_api_allocation_runs_out(sfx, sf):
    sfx.org.set_api_allocation(max=100, used=99)
    assert sf.limits()["DailyApiRequests"] == {"Max": 100, "Remaining": 0}
    with pytest.raises(SalesforceRefusedRequest) as info:
        sf.Task.create({"Subject": "over"})
    assert info.value.content == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    sfx.org.clock.advance(hours=24)  # a new day, a fresh allocation
    assert sf.Task.create({"Subject": "next day"})["success"]


def test_versions_are_public_and_not_counted(sfx, sf):
    before = sfx.org.api_allocation()["used"]
    response = sf.session.get(f"https://{sf.sf_instance}/services/data/")
    assert response.status_code == 200
    assert {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"} in response.json()
    assert "Sforce-Limit-Info" not in response.headers
    assert sfx.org.api_allocation()["used"] == before


def test_any_version_and_trailing_slash(sfx):
    for version in ("52.0", "59.0", "62.0"):
        sf = sfx.client(
            **{
                "username": "admin@example.com",
                "password": "password",
                "security_token": "token",
                "version": version,
            }
        )
        assert sf.Task.metadata()["objectDescribe"]["keyPrefix"] == "00T"
        assert sf.restful("limits")["DailyApiRequests"]["Max"] == 15000
        assert sf.restful("limits/")["DailyApiRequests"]["Max"] == 15000
