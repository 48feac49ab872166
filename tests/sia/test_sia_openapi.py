"""The OpenAPI 3.1 document: valid, served by the app, in step with the app's routes, and real
responses match its schemas."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mock_sia.routes.api import openapi_document

DOC_URI = "urn:sia-openapi"
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi_document()


def schema_validator(document: dict, name: str) -> Draft202012Validator:
    registry = Registry().with_resource(DOC_URI, Resource(contents=document, specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"{DOC_URI}#/components/schemas/{name}"}, registry=registry)


def check(document: dict, name: str, instance) -> None:
    errors = sorted(schema_validator(document, name).iter_errors(instance), key=str)
    assert not errors, [e.message for e in errors]


def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_served_document_is_the_repository_file(make_client, document):
    assert make_client().get("/api/v1/openapi.json").json() == document


def test_every_documented_operation_exists_and_vice_versa(app, document):
    def shape(path: str) -> str:  # parameter names are free: /tasks/{id} is /tasks/<task_id>
        return re.sub(r"\{[^}]+\}|<[^>]+>", "{}", path)

    documented = {
        (shape(path), method)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = shape(rule.rule[len("/api/v1") :])
            served |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert ("/tasks/{}", "patch") in served
    assert documented == served


def test_contract_paths_are_all_documented(document):
    """Every path the contract page (docs/sia-api-contract.md) names is in the document."""
    from pathlib import Path

    contract = (Path(__file__).resolve().parents[2] / "docs" / "sia-api-contract.md").read_text()
    named = set(re.findall(r"`(?:GET|POST|PUT|PATCH|DELETE) /api/v1(/[a-z_/{}]+)`", contract))
    assert named and named <= set(document["paths"])


def test_real_responses_match_the_schemas(document, ann, admin, service, ann_id):
    task = ann.post(
        "/api/v1/tasks",
        json={"name": "Call Ann", "type": "call", "due_date": "2026-11-28", "sales_campaign_day": 2},
    ).json()
    check(document, "Task", task)
    check(document, "TaskPage", ann.get("/api/v1/tasks").json())
    check(document, "User", ann.get("/api/v1/users/me").json())
    check(document, "CommandCenter", ann.get("/api/v1/command_center").json())
    check(document, "TaskSync", ann.get("/api/v1/settings/task_sync").json())
    check(document, "SalesforceConnection", ann.get("/api/v1/settings/salesforce_connection").json())
    connection = ann.put(
        "/api/v1/settings/salesforce_connection",
        json={"instance_url": "https://login.salesforce.com", "username": "u", "password": "p"},
    ).json()
    check(document, "SalesforceConnection", connection)
    check(document, "TaskSync", ann.put("/api/v1/settings/task_sync", json={"enabled": True}).json())
    check(document, "SubjectTemplate", admin.get("/api/v1/settings/subject_template").json())
    check(document, "SyncUsers", service.get("/api/v1/service/sync_users").json())
    batch = ann.post(
        "/api/v1/tasks/batch",
        json={
            "operations": [
                {"op": "create", "data": {"name": "b"}},
                {"op": "delete", "id": task["id"]},
                {"op": "update", "id": "tsk_404", "data": {}},
            ]
        },
    ).json()
    check(document, "BatchResponse", batch)
    tombs = ann.get("/api/v1/tasks", params={"include_deleted": "true"}).json()
    check(document, "TaskPage", tombs)
    for error in (
        ann.get("/api/v1/tasks/tsk_404"),
        ann.post("/api/v1/tasks", json={}),
        ann.get("/api/v1/tasks", params={"limit": "0"}),
    ):
        check(document, "Error", error.json())


def test_request_schemas_agree_with_the_server(document, ann):
    """A body the TaskCreate schema rejects is rejected by the server too, and vice versa."""
    validator = schema_validator(document, "TaskCreate")
    for body in (
        {"name": "ok"},
        {"name": "ok", "priority": "high", "due_date": None},
        {"name": "ok", "priority": "low"},
        {"name": "ok", "extra": 1},
        {"type": "call"},
        {"name": "ok", "sales_campaign_step": 0},
    ):
        accepted = ann.post("/api/v1/tasks", json=body).status_code == 201
        assert accepted == validator.is_valid(body), body
