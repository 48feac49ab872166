"""The sync tells SIA how each user's pass went, and SIA's pages say it in plain words.

Real engine, real simple-salesforce, both mocks (in-process and over real servers); the Salesforce
password is changed through the mock's control plane, as an admin would in a real org.
"""

from __future__ import annotations

import pytest
import requests

from mock_sia import health
from sandbox.harness import Harness


@pytest.fixture(params=["inprocess", "servers"])
def h(request):
    with Harness(mode=request.param) as harness:
        yield harness


def _health(h: Harness) -> dict:
    return h.sia_api("GET", "/sync_health").json()["health"]


def test_each_pass_reports_the_users_outcome(h):
    h.enable_sync()
    sf = h.salesforce()
    sf.Task.create({"Subject": "Call Ann", "ActivityDate": "2026-11-28", "OwnerId": h.sf_user_id})
    assert _health(h) is None
    report = h.run_pass()
    kept = _health(h)
    assert kept["state"] == "ok" and kept["last_success_at"] == kept["last_pass_at"]
    assert kept["created"] == sum(report.users[0].created.values()) >= 1
    assert kept["errors"] == []


def test_a_refused_login_is_reported_as_stopped_with_the_reason(h):
    h.enable_sync()
    h.run_pass()
    first_success = _health(h)["last_success_at"]
    h.clock.advance(minutes=5)
    answer = h.sf_app.test_client().post(f"/__admin/users/{h.sf_user_id}", json={"Password": "changed-pw"})
    assert answer.status_code == 200, answer.text
    report = h.run_pass()
    assert report.users[0].stopped and "INVALID_LOGIN" in report.users[0].stopped
    kept = _health(h)
    assert kept["state"] == "stopped" and kept["code"] == "INVALID_LOGIN"
    assert kept["last_success_at"] == first_success  # the last good pass is remembered
    words = health.describe(kept, True, "UTC", h.clock.now())
    assert words["headline"] == "Sync stopped: Salesforce refused the login — reconnect."


def test_a_failing_health_report_never_fails_the_pass(h):
    h.enable_sync()
    h.sia.faults.add("status", path="/service/sync_health", status=503)
    report = h.run_pass()
    assert report.error is None and report.users[0].stopped is None
    assert _health(h) is None  # SIA refused the report; the pass went on


def test_reporting_to_an_unreachable_sia_returns_false_quickly():
    from sync.adapters.sia import SiaAdapter
    from sync.report import UserReport

    adapter = SiaAdapter("http://127.0.0.1:9", "token", session=requests.Session())
    assert adapter.report_outcome(UserReport(user_id="usr_1", stopped="INVALID_LOGIN: no")) is False
    assert adapter.calls == 0
