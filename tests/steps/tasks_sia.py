"""What a rep does with reminder tasks in Sales Insight Actions, and what they see there.

Every action goes through the SIA task API as that user; every check reads the same API.
"""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from steps.parsing import NAME, names, table_rows
from steps.world import World

IN_SIA = "in Sales Insight Actions"
MOMENT = r"(?:(?P<moment>\d+ minutes later|at the same moment) )?"
SIA_COLUMNS = {
    "name": "name",
    "status": "status",
    "priority": "priority",
    "due date": "due_date",
    "details": "details",
    "type": "type",
    "kind": "type",
    "sales campaign name": "sales_campaign_name",
    "sales campaign day": "sales_campaign_day",
    "sales campaign step": "sales_campaign_step",
}


def sia_fields(world: World, row: dict[str, str]) -> dict:
    fields = {}
    for column, value in row.items():
        key = SIA_COLUMNS[column]
        if key == "due_date":
            fields[key] = world.iso_date(value)
        elif key in ("sales_campaign_day", "sales_campaign_step"):
            fields[key] = int(value)
        else:
            fields[key] = value
    return fields


# --------------------------------------------------------------------------------------- creating
@given(parsers.re(rf"Ann has the task {NAME} {IN_SIA}"))
@given(parsers.re(rf"(?P<who>Ann|Bob) creates the task {NAME} {IN_SIA}"))
@when(parsers.re(rf"(?P<who>Ann|Bob) creates the task {NAME} {IN_SIA}"))
def create_sia_task(world: World, name: str, who: str = "Ann") -> None:
    world.sia_create(who, {"name": name})


@when(parsers.re(rf"Ann creates the (?P<kind>call|email|inmail|custom) task {NAME} {IN_SIA}"))
def create_sia_task_of_kind(world: World, kind: str, name: str) -> None:
    world.sia_create("Ann", {"name": name, "type": kind})


@when(parsers.re(rf"Ann creates the task {NAME} due (?P<due>.+) {IN_SIA}"))
def create_sia_task_due(world: World, name: str, due: str) -> None:
    world.sia_create("Ann", {"name": name, "due_date": world.iso_date(due)})


@when(parsers.re(rf"Ann creates the task {NAME} {IN_SIA} with the details:"), target_fixture="written_text")
def create_sia_task_with_details(world: World, name: str, docstring: str) -> str:
    world.sia_create("Ann", {"name": name, "details": docstring})
    return docstring


@when(
    parsers.re(rf"Ann creates the task {NAME} {IN_SIA} with (?P<size>\d+) characters of details"),
    target_fixture="written_text",
)
def create_sia_task_with_long_details(world: World, name: str, size: str) -> str:
    text = world.long_text(int(size))
    world.sia_create("Ann", {"name": name, "details": text})
    return text


@when(parsers.re(rf"Ann creates this task {IN_SIA}:"))
def create_sia_task_from_table(world: World, datatable: list[list[str]]) -> None:
    for row in table_rows(datatable):
        world.sia_create("Ann", sia_fields(world, row))


@when(
    parsers.re(rf"Ann creates a task {IN_SIA} whose name is (?P<size>\d+) characters long"),
    target_fixture="written_text",
)
def create_sia_task_with_long_name(world: World, size: str) -> str:
    name = world.long_text(int(size), single_line=True)
    world.sia_create("Ann", {"name": name})
    return name


# ------------------------------------------------------------------------------- synced tasks
def create_and_sync(world: World, fields: dict) -> dict:
    """A task Ann creates after enabling, synced to Salesforce (the pass must really create it)."""
    world.sia_create("Ann", fields)
    report = world.run_sync()
    world.sf_task(world.expected_subject(fields))
    return report


@given(parsers.re(rf"Ann has the synced task {NAME}(?: due (?P<due>.+))?"), target_fixture="sync_report")
def synced_task(world: World, name: str, due: str | None) -> dict:
    fields = {"name": name}
    if due:
        fields["due_date"] = world.iso_date(due)
    return create_and_sync(world, fields)


@given(
    parsers.re(rf"Ann has the synced (?P<kind>call|email|inmail|custom) task {NAME}"),
    target_fixture="sync_report",
)
def synced_task_of_kind(world: World, kind: str, name: str) -> dict:
    return create_and_sync(world, {"name": name, "type": kind})


@given(
    parsers.re(rf"the synced task {NAME} is (?P<status>open|complete) {IN_SIA}"), target_fixture="sync_report"
)
def synced_task_with_status(world: World, name: str, status: str) -> dict:
    return create_and_sync(world, {"name": name, "status": status})


@given(
    parsers.re(rf"the synced task {NAME} has (?P<priority>normal|high) priority {IN_SIA}"),
    target_fixture="sync_report",
)
def synced_task_with_priority(world: World, name: str, priority: str) -> dict:
    return create_and_sync(world, {"name": name, "priority": priority})


# ---------------------------------------------------------------------------------- editing
@given(parsers.re(rf"Ann completes the task {NAME} {IN_SIA}"))
@when(parsers.re(rf"Ann completes the task {NAME} {IN_SIA}"))
def complete_sia_task(world: World, name: str) -> None:
    world.sia_update("Ann", name, {"status": "complete"})


@given(parsers.re(rf"Ann completed the task {NAME} {IN_SIA} and the sync ran"), target_fixture="sync_report")
def completed_and_synced(world: World, name: str) -> dict:
    world.sia_update("Ann", name, {"status": "complete"})
    return world.run_sync()


@when(parsers.re(rf"Ann marks the task {NAME} as (?P<status>open|complete) {IN_SIA}"))
def mark_sia_task(world: World, name: str, status: str) -> None:
    world.sia_update("Ann", name, {"status": status})


@when(parsers.re(rf'Ann renames the task {NAME} to "(?P<new>[^"]+)" {IN_SIA}'))
def rename_sia_task(world: World, name: str, new: str) -> None:
    world.sia_update("Ann", name, {"name": new})


@when(parsers.re(rf'{MOMENT}Ann changes the details of the task {NAME} to "(?P<text>[^"]*)" {IN_SIA}'))
def change_sia_details(world: World, name: str, text: str, moment: str | None) -> None:
    world.wait(moment)
    world.sia_update("Ann", name, {"details": text})


@when(parsers.re(rf"Ann changes the due date of the task {NAME} to (?P<due>.+) {IN_SIA}"))
def change_sia_due_date(world: World, name: str, due: str) -> None:
    world.sia_update("Ann", name, {"due_date": world.iso_date(due)})


@when(parsers.re(rf"Ann sets the priority of the task {NAME} to (?P<priority>normal|high) {IN_SIA}"))
def set_sia_priority(world: World, name: str, priority: str) -> None:
    world.sia_update("Ann", name, {"priority": priority})


@when(parsers.re(rf"Ann changes the task {NAME} {IN_SIA}:"))
def change_sia_task_from_table(world: World, name: str, datatable: list[list[str]]) -> None:
    (row,) = table_rows(datatable)
    world.sia_update("Ann", name, sia_fields(world, row))


@given(parsers.re(rf"Ann deletes the task {NAME} {IN_SIA}"))
@when(parsers.re(rf"Ann deletes the task {NAME} {IN_SIA}"))
def delete_sia_task(world: World, name: str) -> None:
    world.sia_delete("Ann", name)


# --------------------------------------------------------------------------------- checking
@then(parsers.re(rf"Sales Insight Actions has the task {NAME}"))
def sia_has(world: World, name: str) -> None:
    assert world.sia_named(name), f"Ann has no task {name!r}; she has {world.sia_names()}"


@then(parsers.re(rf"Sales Insight Actions has no task {NAME}"))
@then(parsers.re(rf"Ann does not see the task {NAME} {IN_SIA}"))
def sia_has_not(world: World, name: str) -> None:
    assert not world.sia_named(name), f"Ann still has {name!r}: {world.sia_named(name)}"


@then(parsers.re(rf"Sales Insight Actions has exactly one task {NAME}"))
def sia_has_one(world: World, name: str) -> None:
    found = world.sia_named(name)
    assert len(found) == 1, f"expected one {name!r}, found {len(found)}: {found}"


@then(parsers.re(r"Sales Insight Actions has the tasks (?P<listed>.+)"))
def sia_has_all(world: World, listed: str) -> None:
    missing = [n for n in names(listed) if not world.sia_named(n)]
    assert not missing, f"missing {missing}; Ann has {world.sia_names()}"


@then(parsers.re(r"Sales Insight Actions has none of the tasks (?P<listed>.+)"))
def sia_has_none(world: World, listed: str) -> None:
    present = [n for n in names(listed) if world.sia_named(n)]
    assert not present, f"still there: {present}"


@then(parsers.re(r"Sales Insight Actions has these tasks:"))
def sia_has_table(world: World, datatable: list[list[str]]) -> None:
    for row in table_rows(datatable):
        expected = sia_fields(world, row)
        task = world.sia_task(expected["name"])
        actual = {key: task[key] for key in expected}
        assert actual == expected, f"{expected['name']}: expected {expected}, got {actual}"


@then(parsers.re(rf"Sales Insight Actions has the task {NAME} again, as a new task"))
def sia_has_again_as_new(world: World, name: str) -> None:
    task = world.sia_task(name)
    assert task["id"] not in world.sia_ids_seen_before(name, excluding=task["id"]), task
    assert world.sia_ids_seen_before(name, excluding=task["id"]), "the task was never seen before"


@then(parsers.re(rf"the task {NAME} is (?P<still>still )?(?P<status>open|complete) {IN_SIA}"))
def sia_status(world: World, name: str, status: str, still: str | None) -> None:
    assert world.sia_task(name)["status"] == status


@then(parsers.re(rf"the task {NAME} (?P<still>still )?has (?P<priority>normal|high) priority {IN_SIA}"))
def sia_priority(world: World, name: str, priority: str, still: str | None) -> None:
    assert world.sia_task(name)["priority"] == priority


@then(parsers.re(rf"the task {NAME} {IN_SIA} is due (?P<due>.+)"))
def sia_due(world: World, name: str, due: str) -> None:
    assert world.sia_task(name)["due_date"] == world.iso_date(due)


@then(parsers.re(rf'the task {NAME} {IN_SIA} has the details "(?P<text>[^"]*)"'))
def sia_details(world: World, name: str, text: str) -> None:
    assert world.sia_task(name)["details"] == text


@then(parsers.re(rf"the task {NAME} {IN_SIA} has all (?P<size>\d+) characters of those details"))
def sia_details_in_full(world: World, name: str, size: str, written_text: str) -> None:
    details = world.sia_task(name)["details"]
    assert len(written_text) == int(size)
    assert details == written_text, f"got {len(details or '')} characters"
