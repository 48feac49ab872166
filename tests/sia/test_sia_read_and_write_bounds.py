"""Issue 9: the SIA mock's hot paths stay cheap - bounds a return to per-row work would break.

- the change list (what every sync pass reads) is Core rows turned into the wire form: no ORM object
  per task, a couple of statements per page, and a keyset bound (`after=`, `cursor`) is an index seek
  that starts where the last read ended, even when every task shares one `updated_at` (the frozen clock
  of a first import makes exactly that) - no scan over the ties, no sort;
- a batch of creates makes no ORM object per task;
- the request contract is compiled once (not per request), and the batch's 200 operations are not
  each walked by jsonschema (`items: {}` says every item is valid; the route checks each on its own).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import yaml
from sqlalchemy import event

from mock_core.db import count_statements
from mock_sia.contract import OPENAPI_PATH, contract, openapi_document
from mock_sia.models import Task


@contextlib.contextmanager
def orm_tasks_made() -> Iterator[list[str]]:
    """The ORM `Task` objects built (`init`) or loaded from rows (`load`) inside the block."""
    made: list[str] = []

    def on_init(_target, _args, _kwargs) -> None:
        made.append("init")

    def on_load(_target, _context) -> None:
        made.append("load")

    event.listen(Task, "init", on_init)
    event.listen(Task, "load", on_load)
    try:
        yield made
    finally:
        event.remove(Task, "init", on_init)
        event.remove(Task, "load", on_load)


@contextlib.contextmanager
def query_plans(engine) -> Iterator[list[str]]:
    """SQLite's plan (EXPLAIN QUERY PLAN) of every SELECT run inside the block, one text each."""
    selects: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append((statement, parameters))

    plans: list[str] = []
    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield plans
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    with engine.connect() as conn:
        for statement, parameters in selects:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            plans.append(" / ".join(str(row[-1]) for row in rows))


def create(client, count: int, prefix: str) -> list[dict]:
    out: list[dict] = []
    for start in range(0, count, 200):
        ops = [
            {"op": "create", "data": {"name": f"{prefix} {n}"}} for n in range(start, min(count, start + 200))
        ]
        response = client.post("/api/v1/tasks/batch", json={"operations": ops})
        assert response.status_code == 200, response.text
        out += [r["data"] for r in response.json()["results"]]
    return out


def test_a_batch_of_creates_makes_no_orm_object_per_task(ann):
    ops = [{"op": "create", "idempotency_key": f"k{n}", "data": {"name": f"Call {n}"}} for n in range(200)]
    with orm_tasks_made() as made:
        response = ann.post("/api/v1/tasks/batch", json={"operations": ops})
    assert [r["status"] for r in response.json()["results"]] == [201] * 200
    assert made == []


def test_a_change_list_page_is_rows_not_orm_objects_in_two_statements(ann, sia):
    create(ann, 450, "task")
    with orm_tasks_made() as made, count_statements(sia.store.engine) as sql:
        page = ann.get("/api/v1/tasks", params={"include_deleted": "true", "limit": 300}).json()
    assert len(page["data"]) == 300 and page["next_cursor"]
    assert made == []
    assert len(sql) <= 2, sql  # who the token is; the page
    with count_statements(sia.store.engine) as sql:
        rest = ann.get("/api/v1/tasks", params={"limit": 300, "cursor": page["next_cursor"]}).json()
    assert len(rest["data"]) == 150 and rest["next_cursor"] is None
    assert len(sql) <= 2, sql


def test_a_keyset_read_seeks_past_thousands_of_ties_without_a_scan_or_a_sort(ann, sia):
    """The frozen clock gives all 1,200 tasks one `updated_at`: `after=` the last of them (an idle
    pass) and a cursor in the middle of them are both index seeks on (user, updated_at, id)."""
    tasks = create(ann, 1200, "tie")
    assert len({t["updated_at"] for t in tasks}) == 1
    last = tasks[-1]
    with query_plans(sia.store.engine) as plans:
        idle = ann.get(
            "/api/v1/tasks", params={"include_deleted": "true", "after": f"{last['updated_at']},{last['id']}"}
        )
        first = ann.get("/api/v1/tasks", params={"include_deleted": "true", "limit": 1000}).json()
        second = ann.get(
            "/api/v1/tasks", params={"include_deleted": "true", "limit": 1000, "cursor": first["next_cursor"]}
        )
    assert idle.json() == {"data": [], "next_cursor": None}
    assert [t["id"] for t in first["data"] + second.json()["data"]] == [t["id"] for t in tasks]
    task_plans = [p for p in plans if "sia_tasks" in p]
    assert len(task_plans) == 3, plans
    keyset = [task_plans[0], task_plans[2]]  # the `after=` and the cursor reads
    for plan in keyset:
        assert "updated_ms=? AND pk>?" in plan, plan  # straight to the bound inside the tied instant
        assert "SCAN" not in plan and "TEMP B-TREE" not in plan, plan
    assert "SCAN" not in task_plans[1] and "TEMP B-TREE" not in task_plans[1], task_plans[1]


def test_the_contract_is_compiled_once_and_does_not_walk_every_batch_item():
    assert contract() is contract()  # one per process: validators built once, not per request
    served = openapi_document()["components"]["schemas"]["BatchRequest"]["properties"]["operations"]
    assert served["items"] == {}  # the document as written and served
    checked = contract().resolver.lookup("urn:sia-openapi#/components/schemas/BatchRequest").contents
    assert "items" not in checked["properties"]["operations"]  # the copy the checks run on
    assert checked["properties"]["operations"]["maxItems"] == 200


def test_the_sync_users_list_is_one_statement_for_any_number_of_users(sia, service):
    for n in range(6):
        user = sia.create_user(f"Rep {n}", f"rep{n}@sia.example")
        login = f"rep{n}@acme.example"
        sia.connect_salesforce(user["id"], "https://login.salesforce.com", login, "pw", "tok")
        if n % 3:
            sia.set_task_sync(user["id"], True)
    with count_statements(sia.store.engine) as sql:
        data = service.get("/api/v1/service/sync_users").json()["data"]
    assert [u["email"] for u in data] == [f"rep{n}@sia.example" for n in (1, 2, 4, 5)]
    assert all(u["task_sync"]["enabled"] and u["salesforce"]["password"] == "pw" for u in data)
    assert len(sql) == 1, sql


def test_the_document_reads_the_same_with_the_fast_yaml_loader():
    """openapi_document() uses libyaml's safe loader when there is one: the same document as PyYAML's
    own safe loader gives."""
    assert openapi_document() == yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))
