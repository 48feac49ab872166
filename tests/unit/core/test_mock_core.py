"""mock_core through its public surfaces: a tiny Flask app with a MockService, over the in-process
transport and over a real threaded HTTPS server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from flask import Flask, jsonify

from mock_core import Clock, Journal
from mock_core.clock import parse_instant
from mock_core.errors import AdminError
from mock_core.faults import FaultPlan
from mock_core.server import ServerThread
from mock_core.service import MockService, install
from mock_core.transport import Interceptor, make_session
from tasksync_common.routing import routed_session

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


class EchoService(MockService):
    extension_name = "echo"

    def __init__(self, clock=None):
        super().__init__(clock)
        self.items: list[dict] = []

    def reset(self):
        self.items.clear()

    def seed(self, count, seed=None, **options):
        self.items.extend({"n": i} for i in range(count))
        return {"created": count}

    def create_user(self, data):
        if "name" not in data:
            raise AdminError("'name' is required")
        return {"name": data["name"]}

    def list_users(self):
        return []

    def render_error(self, status, code, message):
        return jsonify([{"errorCode": code, "message": message}]), status


def make_app(clock=None):
    app = Flask("echo")
    svc = EchoService(clock)
    install(app, svc)

    @app.post("/items")
    def add():
        svc.items.append({"n": len(svc.items)})
        return jsonify({"count": len(svc.items)}), 201

    return app, svc


@pytest.fixture
def app_svc():
    return make_app(Clock(T0))


@pytest.fixture
def http(app_svc):
    return make_session({"https://echo.test": app_svc[0]})


# -- Clock -------------------------------------------------------------------------------------


def test_frozen_clock_stands_still_and_advances():
    clock = Clock(T0)
    assert clock.now() == T0
    assert clock.advance(hours=25) == T0 + timedelta(hours=25)
    assert clock.today("Pacific/Kiritimati").isoformat() == "2026-11-30"


def test_running_clock_time_travels():
    ticks = iter([T0, T0 + timedelta(seconds=1), T0 + timedelta(seconds=2), T0 + timedelta(seconds=3)])
    clock = Clock(source=lambda: next(ticks))
    clock.advance(days=15)
    assert clock.now() == T0 + timedelta(days=15, seconds=1)
    with pytest.raises(ValueError):
        clock.advance(seconds=-1)


def test_unfreeze_keeps_the_frozen_instant():
    wall = [T0]
    clock = Clock(T0 - timedelta(days=1), source=lambda: wall[0])
    clock.unfreeze()  # offset = -1 day from here on
    wall[0] = T0 + timedelta(seconds=5)
    assert clock.now() == T0 - timedelta(days=1) + timedelta(seconds=5)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-28T12:00:00Z",
        "2026-11-28T12:00:00+00:00",
        "2026-11-28T12:00:00.000+0000",
        "2026-11-28T13:00:00+01:00",
    ],
)
def test_parse_instant_accepts_vendor_formats(text):
    assert parse_instant(text) == T0


# -- Journal and faults ------------------------------------------------------------------------


def test_journal_is_bounded_and_filterable(http, app_svc):
    _, svc = app_svc
    small = Journal(maxlen=3)
    svc.journal = small
    for _ in range(5):
        http.post("https://echo.test/items")
    assert len(small) == 3 and small.total == 5
    assert small.count(method="POST", path="^/items$") == 3
    assert small.count(method="GET") == 0


def test_status_fault_renders_vendor_error_then_disarms(http, app_svc):
    _, svc = app_svc
    svc.faults.add("status", status=503, error_code="SERVER_UNAVAILABLE", message="down", times=1)
    first = http.post("https://echo.test/items")
    assert first.status_code == 503
    assert first.json() == [{"errorCode": "SERVER_UNAVAILABLE", "message": "down"}]
    assert http.post("https://echo.test/items").status_code == 201
    assert svc.items == [{"n": 0}]


def test_drop_after_commit_commits_but_the_client_sees_a_reset(http, app_svc):
    _, svc = app_svc
    svc.faults.add("drop_after_commit", method="POST", times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        http.post("https://echo.test/items")
    assert len(svc.items) == 1  # the write happened


def test_connection_drop_happens_before_the_handler(http, app_svc):
    _, svc = app_svc
    svc.faults.add("connection_drop", path="/items", times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        http.post("https://echo.test/items")
    assert svc.items == []


def test_probability_faults_are_reproducible():
    def hits(seed):
        plan = FaultPlan(seed=seed)
        plan.add("status", status=500, probability=0.3)
        return [bool(plan.take("GET", "/x")) for _ in range(50)]

    assert hits(7) == hits(7)
    assert 5 < sum(hits(7)) < 30


@pytest.mark.parametrize(
    "body, message",
    [
        ({"kind": "explode"}, "unknown fault kind"),
        ({"kind": "status"}, "needs a status"),
        ({"kind": "status", "status": 500, "times": 0}, "'times'"),
        ({"kind": "latency", "seconds": -1}, "'seconds'"),
        ({"kind": "status", "status": 500, "path": "("}, "regular expression"),
        ({"kind": "status", "status": 500, "colour": "red"}, None),
    ],
)
def test_bad_fault_requests_are_400_not_500(http, body, message):
    response = http.post("https://echo.test/__admin/faults", json=body)
    if message is None:  # unknown options are kept as params for mock-specific kinds
        assert response.status_code == 201
        return
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


# -- Control plane -----------------------------------------------------------------------------


def test_admin_clock_reset_seed_and_journal(http, app_svc):
    _, svc = app_svc
    moved = http.post("https://echo.test/__admin/clock", json={"action": "advance", "days": 15}).json()
    assert moved == {"now": "2026-12-13T12:00:00Z", "frozen": True}
    assert http.post("https://echo.test/__admin/clock", json={"action": "fly"}).status_code == 400
    bad_set = http.post("https://echo.test/__admin/clock", json={"action": "set", "at": "soon"})
    assert bad_set.status_code == 400
    assert http.post("https://echo.test/__admin/seed", json={"count": 3}).json() == {"created": 3}
    assert http.post("https://echo.test/__admin/seed", json={"count": "x"}).status_code == 400
    http.post("https://echo.test/items")
    journal = http.get("https://echo.test/__admin/journal", params={"method": "POST"}).json()
    assert journal["count"] == 1 and journal["requests"][0]["path"] == "/items"
    assert journal["requests"][0]["at"] == "2026-12-13T12:00:00Z"  # stamped by the injected clock
    assert http.get("https://echo.test/__admin/journal/count").json() == {"count": 1}
    http.post("https://echo.test/__admin/reset")
    assert svc.items == []
    assert http.post("https://echo.test/__admin/users", json={}).status_code == 400
    assert http.post("https://echo.test/__admin/users", data="not json").status_code == 400


def test_in_process_sessions_keep_cookies(app_svc):
    app, _ = app_svc

    @app.get("/login")
    def login():
        response = jsonify({})
        response.set_cookie("sid", "abc")
        return response

    @app.get("/whoami")
    def whoami():
        from flask import request

        return jsonify({"sid": request.cookies.get("sid")})

    session = make_session({"https://echo.test": app})
    session.get("https://echo.test/login")
    assert session.get("https://echo.test/whoami").json() == {"sid": "abc"}


def test_two_apps_never_share_state():
    (app_a, svc_a), (app_b, svc_b) = make_app(), make_app()
    session = make_session({"https://a.test": app_a, "https://b.test": app_b})
    session.post("https://a.test/items")
    assert len(svc_a.items) == 1 and svc_b.items == []


# -- Interceptor and server --------------------------------------------------------------------


def test_interceptor_routes_sessions_built_elsewhere(app_svc):
    app, svc = app_svc
    with Interceptor({"https://echo.test": app}):
        assert requests.post("https://echo.test/items").status_code == 201
    assert len(svc.items) == 1
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post("https://echo.test/items", timeout=2)  # no longer routed: DNS fails offline


def test_https_server_with_generated_certificate_and_routed_hosts(app_svc):
    app, svc = app_svc
    with ServerThread(app, port=0, tls=True) as server:
        assert server.url.startswith("https://localhost:")
        assert requests.post(f"{server.url}/items", verify=server.ca_path).status_code == 201
        with pytest.raises(requests.exceptions.SSLError):
            requests.post(f"{server.url}/items", verify=requests.certs.where())  # not trusted by default
        session = routed_session(server.url, server.ca_path, ["login.example.com"])
        assert session.post("https://login.example.com/items").status_code == 201
        svc.faults.add("drop_after_commit", times=1)
        with pytest.raises(requests.exceptions.ConnectionError):
            session.post("https://login.example.com/items")
    assert len(svc.items) == 3  # the untrusted attempt never reached the app


def test_plain_http_server(app_svc):
    app, _ = app_svc
    with ServerThread(app, tls=False) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert requests.post(f"{server.url}/items").status_code == 201


def test_every_answer_carries_one_date_from_the_mock_clock(app_svc, http):
    app, _ = app_svc
    assert http.post("https://echo.test/items").headers["Date"] == "Sat, 28 Nov 2026 12:00:00 GMT"
    with ServerThread(app, tls=False) as server:
        answer = requests.post(f"{server.url}/items")
        assert answer.headers["Date"] == "Sat, 28 Nov 2026 12:00:00 GMT"  # not the wall clock, and only one
        admin = requests.get(f"{server.url}/__admin/clock")
        assert admin.headers["Date"] == "Sat, 28 Nov 2026 12:00:00 GMT"
