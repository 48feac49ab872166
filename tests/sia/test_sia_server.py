"""Ways to use the mock: the threaded server (HTTP and HTTPS), the standalone command, the /__admin
control plane with its Python mirror, persistence, and `sia_session`."""

from __future__ import annotations

import re
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from mock_core.clock import Clock
from mock_core.server import ServerThread
from mock_sia import ADMIN_TOKEN, ANN_TOKEN, SERVICE_TOKEN, create_app, get_sia, sia_session
from mock_sia.__main__ import main
from tasksync_common.routing import routed_session

from .helpers import START, assert_error, client_for


@pytest.mark.parametrize("tls", [False, True])
def test_real_server_speaks_the_same_api(app, tls):
    with ServerThread(app, tls=tls) as server:
        http = routed_session(server.url, server.ca_path)
        http.headers["Authorization"] = f"Bearer {ANN_TOKEN}"
        assert server.url.startswith("https://" if tls else "http://")
        created = http.post(
            f"{server.url}/api/v1/tasks", json={"name": "over the wire", "due_date": "2026-11-28"}
        )
        assert created.status_code == 201
        assert (
            http.get(f"{server.url}/api/v1/command_center").json()["today"][0]["id"] == created.json()["id"]
        )
        assert_error(http.get(f"{server.url}/api/v1/tasks/tsk_0"), 404, "not_found")


def test_drop_after_commit_over_a_real_socket(app):
    with ServerThread(app, tls=False) as server:
        requests.post(
            f"{server.url}/__admin/faults", json={"kind": "drop_after_commit", "method": "POST", "times": 1}
        )
        headers = {"Authorization": f"Bearer {ANN_TOKEN}", "Idempotency-Key": "k"}
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.post(f"{server.url}/api/v1/tasks", json={"name": "x"}, headers=headers)
        again = requests.post(f"{server.url}/api/v1/tasks", json={"name": "x"}, headers=headers)
        listed = requests.get(f"{server.url}/api/v1/tasks", headers=headers).json()["data"]
        assert [t["id"] for t in listed] == [again.json()["id"]]


def test_sia_session_with_token_and_acting_user(app, sia):
    ann_id = sia.user_by_email("ann@sia.example").id
    assert sia_session(app, token=ANN_TOKEN).get("https://sia.mock/api/v1/users/me").json()["id"] == ann_id
    as_ann = sia_session(app, "https://sia.example.test", token=SERVICE_TOKEN, user_id=ann_id)
    assert as_ann.get("https://sia.example.test/api/v1/users/me").json()["id"] == ann_id


# -- the control plane ----------------------------------------------------------------------------------


def test_admin_users_and_reset(make_client, sia):
    control = make_client()
    users = control.get("/__admin/users").json()["users"]
    assert [(u["email"], u["role"], u["api_token"]) for u in users] == [
        ("admin@sia.example", "admin", ADMIN_TOKEN),
        ("ann@sia.example", "user", ANN_TOKEN),
    ]
    bo = control.post(
        "/__admin/users", json={"name": "Bo", "email": "bo@sia.example", "time_zone": "Asia/Tokyo"}
    )
    assert bo.status_code == 201 and bo.json()["api_token"]
    bo_client = make_client(bo.json()["api_token"])
    assert bo_client.get("/api/v1/users/me").json()["time_zone"] == "Asia/Tokyo"
    assert_error(
        control.post("/__admin/users", json={"name": "Bo", "email": "bo@sia.example"}), 409, "conflict"
    )
    assert_error(
        control.post(
            "/__admin/users", json={"name": "Z", "email": "z@sia.example", "time_zone": "Mars/Base"}
        ),
        422,
        "validation_failed",
        "time_zone",
    )
    assert_error(
        control.post("/__admin/users", json={"name": "Z", "email": "z@x.example", "role": "root"}),
        422,
        "validation_failed",
        "role",
    )
    bo_client.post("/api/v1/tasks", json={"name": "x"})
    assert control.post("/__admin/reset").json() == {"reset": True}
    assert [u["email"] for u in control.get("/__admin/users").json()["users"]] == [
        "admin@sia.example",
        "ann@sia.example",
    ]
    assert_error(bo_client.get("/api/v1/tasks"), 401, "unauthorized")
    assert make_client(ANN_TOKEN).get("/api/v1/tasks").json()["data"] == []


def test_seed_is_reproducible(make_client, clock):
    control = make_client()
    seeded = control.post("/__admin/seed", json={"count": 20, "seed": 42}).json()
    assert seeded["created"] == 20 and len(seeded["task_ids"]) == 20
    first = [
        (t["name"], t["due_date"], t["type"])
        for t in make_client(ANN_TOKEN).get("/api/v1/tasks").json()["data"]
    ]
    other = create_app({"CLOCK": Clock(frozen_at=START)})
    get_sia(other).seed(20, 42)
    second = [
        (t["name"], t["due_date"], t["type"])
        for t in client_for(other, ANN_TOKEN).get("/api/v1/tasks").json()["data"]
    ]
    assert first == second
    assert len({name for name, _, _ in first}) > 10
    admin_id = get_sia(other).user_by_email("admin@sia.example").id
    assert get_sia(other).seed(3, 1, user_id=admin_id)["user_id"] == admin_id
    assert_error(
        control.post("/__admin/seed", json={"count": 1, "colour": "red"}), 422, "validation_failed", "colour"
    )


def test_clock_via_admin_moves_the_command_center(make_client):
    control = make_client()
    ann = make_client(ANN_TOKEN)
    ann.post("/api/v1/tasks", json={"name": "due on the 30th", "due_date": "2026-11-30"})
    assert ann.get("/api/v1/command_center").json()["today"] == []
    control.post("/__admin/clock", json={"action": "advance", "days": 2})
    assert [t["name"] for t in ann.get("/api/v1/command_center").json()["today"]] == ["due on the 30th"]
    control.post("/__admin/clock", json={"action": "set", "at": "2026-11-29T12:00:00Z"})
    assert ann.post("/api/v1/tasks", json={"name": "x"}).json()["created_at"] == "2026-11-29T12:00:00.000Z"


def test_journal_counts_api_calls_by_principal(make_client, sia):
    ann = make_client(ANN_TOKEN)
    ann_id = sia.user_by_email("ann@sia.example").id
    ann.get("/api/v1/tasks")
    ann.post("/api/v1/tasks", json={"name": "x"})
    make_client(SERVICE_TOKEN).get("/api/v1/service/sync_users")
    make_client().get("/api/v1/openapi.json")
    journal = make_client().get("/__admin/journal", params={"counted_only": "true"}).json()
    assert [(r["method"], r["path"], r["principal"], r["status"]) for r in journal["requests"]] == [
        ("GET", "/api/v1/tasks", ann_id, 200),
        ("POST", "/api/v1/tasks", ann_id, 201),
        ("GET", "/api/v1/service/sync_users", "service", 200),
    ]
    assert sia.journal.count(principal=ann_id) == 2


# -- persistence and the Python API ----------------------------------------------------------------------


def test_a_file_database_persists_across_instances(tmp_path):
    url = f"sqlite:///{tmp_path / 'sia.db'}"
    clock = Clock(frozen_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    first = create_app({"DB_URL": url, "CLOCK": clock})
    sia = get_sia(first)
    ann_id = sia.user_by_email("ann@sia.example").id
    task = sia.create_task(ann_id, {"name": "survives"}, idempotency_key="p1")
    sia.connect_salesforce(ann_id, "https://login.salesforce.com", "ann@acme.example", "pw", "tok")
    sia.set_task_sync(ann_id, True)
    sia.set_subject_template("[SIA] {{activity_subject}}")
    first_engine = sia.store.engine

    second = get_sia(create_app({"DB_URL": url, "CLOCK": clock}))
    assert len(second.list_users()) == 2  # the default users are not added twice
    assert second.list_tasks(ann_id) == [task]
    assert second.create_task(ann_id, {"name": "survives"}, idempotency_key="p1") == task
    assert second.sync_users()[0]["salesforce"]["password"] == "pw"
    assert second.subject_template() == "[SIA] {{activity_subject}}"
    first_engine.dispose()
    second.store.engine.dispose()


def test_python_api_mirrors_the_http_api(sia):
    bo = sia.create_user("Bo", "bo@sia.example", "Asia/Tokyo", "user")
    assert bo["id"].startswith("usr_") and bo["time_zone"] == "Asia/Tokyo"
    assert sia.create_user({"name": "Cy", "email": "cy@sia.example"})["time_zone"] == "UTC"
    with pytest.raises(Exception, match="connect Salesforce"):
        sia.set_task_sync(bo["id"], True)
    sia.connect_salesforce(
        bo["id"],
        "https://login.salesforce.com",
        "bo@acme.example",
        "pw",
        salesforce_user_id="005000000000002AAA",
    )
    assert sia.set_task_sync(bo["id"], True)["enabled"] is True
    assert [u["user_id"] for u in sia.sync_users()] == [bo["id"]]
    task = sia.create_task(bo["id"], {"name": "Call Di", "due_date": "2026-11-29"})
    assert sia.command_center(bo["id"])["today"] == [task]  # already the 29th in Tokyo
    sia.delete_task(bo["id"], task["id"])
    assert sia.list_tasks(bo["id"]) == [] and len(sia.list_tasks(bo["id"], include_deleted=True)) == 1
    assert sia.service_token == SERVICE_TOKEN


def test_custom_service_token_and_no_default_users():
    app = create_app({"SERVICE_TOKEN": "another-secret-token", "SEED_DEFAULTS": False})
    assert get_sia(app).list_users() == []
    assert_error(client_for(app, SERVICE_TOKEN).get("/api/v1/service/sync_users"), 401, "unauthorized")
    assert client_for(app, "another-secret-token").get("/api/v1/service/sync_users").json() == {"data": []}


# -- the command line --------------------------------------------------------------------------------------


def test_every_command_has_help():
    runner = CliRunner()
    assert "serve" in runner.invoke(main, ["--help"]).output
    result = runner.invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--port", "--host", "--db", "--tls / --http", "--seed"):
        assert option in result.output


def test_standalone_server_prints_url_and_tokens_and_serves():
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_sia", "serve", "--port", "0", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        output = "".join(lines)
        url = re.search(r"listening on (http://\S+)", output).group(1)
        assert "seeded 3 tasks" in output
        # No secret in the banner; they are in a file only the owner can read.
        assert ANN_TOKEN not in output and ADMIN_TOKEN not in output and SERVICE_TOKEN not in output
        path = Path(re.search(r"tokens and passwords: (\S+)", output).group(1))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        secrets_text = path.read_text()
        assert f"token {ANN_TOKEN}" in secrets_text and SERVICE_TOKEN in secrets_text
        assert "ann-password" in secrets_text
        response = requests.get(
            f"{url}/api/v1/tasks", headers={"Authorization": f"Bearer {ANN_TOKEN}"}, timeout=5
        )
        assert len(response.json()["data"]) == 3
    finally:
        process.terminate()
        process.wait(timeout=10)
