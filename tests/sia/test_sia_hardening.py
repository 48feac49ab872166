"""Issue 12 on the SIA mock: every bad input is a 4xx in `{"error": {code, message, field}}`; the
control plane is locked by --admin-token; page sessions end at logout, their cookie is Secure under
TLS, logins are throttled per account, and each user has a password of their own."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from click.testing import CliRunner

from mock_core.server import ServerThread
from mock_sia import create_app, page_password
from mock_sia.__main__ import main
from tasksync_common.routing import routed_session

from .helpers import assert_error, client_for, csrf_of

T = "/api/v1/tasks"
CONNECTION = "/api/v1/settings/salesforce_connection"


def raw(client, method: str, path: str, body: bytes):
    return client.request(method, path, data=body, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", T, b'{"name": ' + b"[" * 3000 + b"]" * 3000 + b"}", None),
        ("POST", T, b'{"name": "\\ud800"}', None),
        ("POST", T, b'{"name": "ok", "details": "\\udc00"}', None),
        ("POST", f"{T}/batch", b'{"operations": [{"op": "create", "data": {"name": "\\ud83d"}}]}', None),
        ("PUT", CONNECTION, b'{"instance_url": "https://x\\ud800", "username": "u", "password": "p"}', None),
        ("PATCH", "/api/v1/users/me", b'{"name": "\\udfff"}', None),
        ("POST", T, b'{"name": "\xff"}', None),
        ("POST", T, b'{"name": ', None),
    ],
)
def test_bodies_no_parser_should_see_are_400(ann, method, path, body, field):
    assert_error(raw(ann, method, path, body), 400, "bad_request", field)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"updated_since": "9999-12-31T23:59:59-14:00"}, "updated_since"),
        ({"updated_since": "0001-01-01T00:00:00+14:00"}, "updated_since"),
        ({"after": "0001-01-01T00:00:00+14:00,tsk_1"}, "after"),
        ({"after": "nonsense"}, "after"),
        ({"limit": "²"}, "limit"),
        ({"limit": "١٠"}, "limit"),  # Arabic-Indic digits are no number to this API
        ({"limit": "0"}, "limit"),
        ({"include_deleted": "maybe"}, "include_deleted"),
        ({"cursor": "WzEsMV0"}, "cursor"),  # base64 of [1,1]: hand-made, not given out
        ({"due_before": "2026-02-30"}, "due_before"),
    ],
)
def test_bad_query_parameters_are_400_naming_the_parameter(ann, query, field):
    assert_error(ann.get(T, params=query), 400, "bad_request", field)


def test_only_cursors_the_api_gave_out_are_accepted(ann):
    for i in range(3):
        ann.post(T, json={"name": f"t{i}"})
    page = ann.get(T, params={"limit": 2}).json()
    assert page["next_cursor"]
    assert len(ann.get(T, params={"cursor": page["next_cursor"]}).json()["data"]) == 1
    forged = page["next_cursor"][:-2] + ("AA" if not page["next_cursor"].endswith("AA") else "BB")
    assert_error(ann.get(T, params={"cursor": forged}), 400, "bad_request", "cursor")


@pytest.mark.parametrize("task_id", ["tsk_²", "tsk_", "tsk_" + "9" * 30, "usr_1"])
def test_malformed_task_ids_are_404(ann, task_id):
    assert_error(ann.get(f"{T}/{task_id}"), 404, "not_found")


def test_malformed_acting_user_is_404(service):
    response = service.get(
        "/api/v1/users/me", headers={"X-SIA-User": "usr_\u00b2".encode().decode("latin-1")}
    )
    assert_error(response, 404, "not_found", "X-SIA-User")


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", T, {"name": "a", "due_date": "0000-00-00"}, "due_date"),
        ("POST", T, {"name": "a", "due_date": "2026-02-30"}, "due_date"),
        ("PATCH", "/api/v1/users/me", {"time_zone": ""}, "time_zone"),
        ("PUT", "/api/v1/settings/subject_template", {"template": ""}, "template"),
        ("POST", "/api/v1/settings/subject_template/preview", {"task_id": None}, "task_id"),
        (
            "PUT",
            CONNECTION,
            {"instance_url": "https://[::1/", "username": "u", "password": "p"},
            "instance_url",
        ),
        (
            "PUT",
            CONNECTION,
            {"instance_url": "https://a:99999999", "username": "u", "password": "p"},
            "instance_url",
        ),
        (
            "PUT",
            CONNECTION,
            {"instance_url": "https://a.example", "username": "", "password": "p"},
            "username",
        ),
        ("PUT", "/api/v1/settings/task_sync", {"enabled": "yes"}, "enabled"),
    ],
)
def test_bodies_the_schema_refuses_are_422_naming_the_field(ann, admin, method, path, body, field):
    client = admin if "subject_template" in path and method == "PUT" else ann
    assert_error(client.request(method, path, json=body), 422, "validation_failed", field)


def test_a_bad_batch_item_is_its_own_error(ann):
    response = ann.post(
        f"{T}/batch",
        json={"operations": [{"op": "delete", "id": 5}, {"op": "create", "data": {"name": "ok"}}]},
    )
    assert response.status_code == 200
    first, second = response.json()["results"]
    assert first["status"] in (404, 422) and second["status"] == 201


def test_options_advertises_only_the_methods_served(ann):
    allow = {m.strip() for m in ann.options(f"{T}/batch").headers["Allow"].split(",")}
    assert allow == {"POST", "OPTIONS"}
    assert_error(ann.get(f"{T}/batch"), 405, "method_not_allowed")
    allow = {m.strip() for m in ann.options(f"{T}/tsk_0000000001").headers["Allow"].split(",")}
    assert allow == {"GET", "HEAD", "PATCH", "DELETE", "OPTIONS"}


def test_a_long_url_is_414_in_the_api_shape(app):
    with ServerThread(app, tls=False) as server:
        for length in (20_000, 70_000):
            response = requests.get(f"{server.url}{T}?q=" + "x" * length, timeout=10)
            assert_error(response, 414, "uri_too_long")


def test_an_unexpected_exception_still_answers_in_the_api_shape(app, ann, sia, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(type(sia.store), "command_center", explode)
    with caplog.at_level("ERROR", logger="mock_core"):
        response = ann.get("/api/v1/command_center")
    assert_error(response, 500, "internal_error")
    assert any(record.exc_info for record in caplog.records)


# -- the control plane ---------------------------------------------------------------------------------


def test_admin_needs_the_token_when_one_is_set():
    app = create_app({"ADMIN_TOKEN": "sia-admin-secret"})
    open_client = client_for(app)
    assert_error_401 = open_client.get("/__admin/users")
    assert assert_error_401.status_code == 401
    assert (
        open_client.post(
            "/__admin/users", json={"name": "Eve", "email": "eve@x.example", "role": "admin"}
        ).status_code
        == 401
    )
    ok = open_client.get("/__admin/users", headers={"X-Admin-Token": "sia-admin-secret"})
    assert ok.status_code == 200


def test_in_process_use_needs_no_token(app):
    assert client_for(app).get("/__admin/users").status_code == 200


def test_a_non_loopback_bind_without_a_token_is_refused():
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 2 and "--admin-token" in result.output


# -- pages: passwords, sessions, throttling ---------------------------------------------------------------


def sign_in(browser, email: str, password: str):
    page = browser.get("/login")
    return browser.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_of(page.text)}
    )


def test_each_user_has_a_password_of_their_own(app):
    browser = app.test_client()
    assert page_password("ann@sia.example") == "ann-password"
    assert sign_in(browser, "ann@sia.example", "admin-password").headers["Location"].startswith("/login")
    assert sign_in(browser, "ann@sia.example", "ann-password").headers["Location"] == "/command_center"
    other = app.test_client()
    assert sign_in(other, "admin@sia.example", "admin-password").headers["Location"] == "/command_center"


def test_a_user_created_with_a_password_signs_in_with_it(app, sia):
    sia.create_user({"name": "Bo", "email": "bo@x.example", "password": "bo-secret-1"})
    browser = app.test_client()
    assert sign_in(browser, "bo@x.example", "bo-password").headers["Location"].startswith("/login")
    assert sign_in(browser, "bo@x.example", "bo-secret-1").headers["Location"] == "/command_center"


def test_a_cookie_replayed_after_logout_is_refused(app):
    browser = app.test_client()
    sign_in(browser, "ann@sia.example", "ann-password")
    assert browser.get("/settings").status_code == 200
    captured = browser.get_cookie("sia_session").value
    token = csrf_of(browser.get("/settings").text)
    browser.post("/logout", data={"csrf_token": token})
    attacker = app.test_client()
    attacker.set_cookie("sia_session", captured)
    response = attacker.get("/settings")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_session_cookie_is_secure_under_tls_only(app):
    with ServerThread(app, tls=True) as server:
        http = routed_session(server.url, server.ca_path)
        page = http.get(f"{server.url}/login", timeout=10)
        response = http.post(
            f"{server.url}/login",
            allow_redirects=False,
            timeout=10,
            data={"email": "ann@sia.example", "password": "ann-password", "csrf_token": csrf_of(page.text)},
        )
        assert "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    with ServerThread(app, tls=False) as server:
        page = requests.get(f"{server.url}/login", timeout=10)
        assert "Secure" not in page.headers["Set-Cookie"]


def test_login_is_throttled_per_account(app, clock):
    browser = app.test_client()
    for _ in range(5):
        assert sign_in(browser, "ann@sia.example", "wrong").status_code == 302
    throttled = sign_in(browser, "ann@sia.example", "ann-password")  # even the right one, for now
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    # Another account is not affected.
    assert sign_in(app.test_client(), "admin@sia.example", "admin-password").status_code == 302
    clock.advance(timedelta(seconds=int(throttled.headers["Retry-After"])))
    assert sign_in(browser, "ann@sia.example", "ann-password").headers["Location"] == "/command_center"
