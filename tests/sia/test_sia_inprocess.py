"""`mock_sia`: the decorator / context manager that points https://sia.mock at a fresh instance."""

from __future__ import annotations

import requests

from mock_core.clock import Clock
from mock_core.transport import WSGITransport
from mock_sia import ANN_TOKEN, SiaClient, create_app, get_sia, mock_sia, token_of

from .helpers import START

AS_ANN = {"Authorization": f"Bearer {ANN_TOKEN}"}


def routed_in_process(url: str = "https://sia.mock/api/v1/tasks") -> bool:
    return isinstance(requests.Session().get_adapter(url), WSGITransport)


def test_the_context_manager_routes_plain_requests_to_a_fresh_instance_and_stops_after():
    assert not routed_in_process()
    with mock_sia() as sia:
        made = requests.post("https://sia.mock/api/v1/tasks", json={"name": "Call Ann"}, headers=AS_ANN)
        assert made.status_code == 201, made.text
        ann = sia.user_by_email("ann@sia.example").id
        assert [t["name"] for t in sia.list_tasks(ann)] == ["Call Ann"]
    assert not routed_in_process()
    with mock_sia() as fresh:  # a new use is a new instance
        assert fresh.list_tasks(fresh.user_by_email("ann@sia.example").id) == []


def test_the_decorator_with_and_without_parentheses():
    seen = []

    @mock_sia
    def bare():
        seen.append(requests.get("https://sia.mock/api/v1/tasks", headers=AS_ANN).status_code)

    called = mock_sia()

    @called
    def with_parens():
        seen.append(called.sia is not None)
        seen.append(requests.get("https://sia.mock/api/v1/tasks", headers=AS_ANN).status_code)

    bare()
    with_parens()
    assert seen == [200, True, 200]
    assert called.sia is None
    assert not routed_in_process()


def test_a_shared_app_keeps_its_clock_and_another_base_url_is_routed():
    clock = Clock(frozen_at=START)
    app = create_app({"CLOCK": clock})
    with mock_sia(app=app, base_url="https://sia.internal.example") as sia:
        assert sia is get_sia(app) and sia.clock is clock
        assert routed_in_process("https://sia.internal.example/api/v1/tasks")
        assert not routed_in_process("https://sia.mock/api/v1/tasks")


def test_nested_uses_unwind_in_order():
    with mock_sia() as outer:
        with mock_sia() as inner:
            ann = inner.user_by_email("ann@sia.example").id
            requests.post("https://sia.mock/api/v1/tasks", json={"name": "inner"}, headers=AS_ANN)
        requests.post("https://sia.mock/api/v1/tasks", json={"name": "outer"}, headers=AS_ANN)
        assert [t["name"] for t in inner.list_tasks(ann)] == ["inner"]
        assert [t["name"] for t in outer.list_tasks(outer.user_by_email("ann@sia.example").id)] == ["outer"]
    assert not routed_in_process()


def test_a_client_takes_relative_paths_and_a_users_own_token():
    app = create_app({"CLOCK": Clock(frozen_at=START)})
    sia = get_sia(app)
    made = sia.create_user("Bea", "bea@sia.example", "UTC", "user")
    assert token_of(sia, "bea@sia.example") == made["api_token"]
    bea = SiaClient(token=made["api_token"], app=app)  # in-process without any mock_sia() active
    assert bea.post("/api/v1/tasks", json={"name": "Bea's"}).status_code == 201
    assert [t["name"] for t in sia.list_tasks(made["id"])] == ["Bea's"]
    assert SiaClient(app=app).get("/api/v1/tasks").status_code == 401
