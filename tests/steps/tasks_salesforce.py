"""What happens to tasks in Salesforce, and what a Salesforce user sees there.

Every action and check goes through simple-salesforce as the connected Salesforce user (the
org's control plane is used only for what only an admin can do: the recycle bin, picklists, faults).
"""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from steps.parsing import NAME, duration, names, table_rows
from steps.world import World

IN_SF = "in Salesforce"
MOMENT = r"(?:(?P<moment>\d+ minutes later|at the same moment) )?"
SF_COLUMNS = {
    "subject": "Subject",
    "status": "Status",
    "priority": "Priority",
    "due date": "ActivityDate",
    "comments": "Description",
    "type": "Type",
}
FIELD_WORDS = {"status": "Status", "priority": "Priority", "comments": "Description", "subject": "Subject"}


def sf_fields(world: World, row: dict[str, str], at=None) -> dict:
    """Table columns -> Salesforce fields; relative due dates count from `at` (default: now)."""
    fields = {}
    for column, value in row.items():
        if column in ("created", "last changed"):
            continue
        key = SF_COLUMNS[column]
        fields[key] = world.iso_date(value, at=at) if key == "ActivityDate" else value
    return fields


def create_on_a_timeline(world: World, rows: list[dict[str, str]]) -> None:
    """Create (and later touch) tasks so that, at the end, each was created and last changed the
    given time ago. The shared clock moves forward through the events; it never goes back."""
    events = []
    for index, row in enumerate(rows):
        created = duration(row.get("created") or row.get("last changed") or "0 seconds")
        changed = duration(row.get("last changed") or row.get("created") or "0 seconds")
        if changed > created:
            raise ValueError(f"{row}: a task cannot be last changed before it was created")
        events.append((created, index, "create", row))
        if changed != created:
            events.append((changed, index, "touch", row))
    longest = max(age for age, *_ in events)
    start = world.clock.now()
    end = start + longest
    ids: dict[int, str] = {}
    for age, index, kind, row in sorted(events, key=lambda e: (-e[0], e[1])):
        world.clock.set(start + (longest - age))
        if kind == "create":
            ids[index] = world.sf_create("Ann", sf_fields(world, row, at=end))
        else:
            world.sf_touch(ids[index])
    world.clock.set(end)


# --------------------------------------------------------------------------------------- creating
@given(parsers.re(rf"Ann has the Salesforce task {NAME}"))
@given(parsers.re(rf"the task {NAME} is created {IN_SF}"))
@when(parsers.re(rf"the task {NAME} is created {IN_SF}"))
def create_sf_task(world: World, name: str) -> None:
    world.sf_create("Ann", {"Subject": name})


@given(parsers.re(rf"Bob's Salesforce user has the task {NAME}"))
@when(parsers.re(rf"Bob's Salesforce user has the task {NAME}"))
def create_sf_task_for_bob(world: World, name: str) -> None:
    world.sf_create("Bob", {"Subject": name})


@given(parsers.re(rf"the task {NAME} was created {IN_SF} and synced"), target_fixture="sync_report")
def created_in_sf_and_synced(world: World, name: str) -> dict:
    world.sf_create("Ann", {"Subject": name})
    report = world.run_sync()
    world.sia_task(name)
    return report


@when(parsers.re(rf"the task {NAME} due (?P<due>.+) is created {IN_SF}"))
def create_sf_task_due(world: World, name: str, due: str) -> None:
    world.sf_create("Ann", {"Subject": name, "ActivityDate": world.iso_date(due)})


@when(
    parsers.re(rf'the task {NAME} with the (?P<field>status|priority) "(?P<value>[^"]+)" is created {IN_SF}')
)
def create_sf_task_with(world: World, name: str, field: str, value: str) -> None:
    world.sf_create("Ann", {"Subject": name, FIELD_WORDS[field]: value})


@when(
    parsers.re(rf"the task {NAME} with (?P<size>\d+) characters of comments is created {IN_SF}"),
    target_fixture="written_text",
)
def create_sf_task_with_long_comments(world: World, name: str, size: str) -> str:
    text = world.long_text(int(size))
    world.sf_create("Ann", {"Subject": name, "Description": text})
    return text


@given(parsers.re(r"Ann has these tasks in Salesforce:"))
def sf_tasks_on_a_timeline(world: World, datatable: list[list[str]]) -> None:
    create_on_a_timeline(world, table_rows(datatable))


@given(parsers.re(r"these tasks were created in Salesforce:"))
@when(parsers.re(r"this task is created in Salesforce:"))
def sf_tasks_now(world: World, datatable: list[list[str]]) -> None:
    for row in table_rows(datatable):
        world.sf_create("Ann", sf_fields(world, row))


@given(parsers.re(r'Salesforce has a custom closed task status "(?P<status>[^"]+)"'))
def custom_closed_status(world: World, status: str) -> None:
    world.sf_add_closed_status(status)


# ---------------------------------------------------------------------------------- editing
@given(
    parsers.re(
        rf"{MOMENT}the (?P<field>status|priority) of the Salesforce task {NAME} (?:is|was) set to "
        rf'"(?P<value>[^"]+)" {IN_SF}'
    )
)
@when(
    parsers.re(
        rf"{MOMENT}the (?P<field>status|priority) of the Salesforce task {NAME} (?:is|was) set to "
        rf'"(?P<value>[^"]+)" {IN_SF}'
    )
)
@given(
    parsers.re(
        rf"{MOMENT}the (?P<field>comments|subject) of the Salesforce task {NAME} (?:are|is|were|was) "
        rf'changed to "(?P<value>[^"]*)" {IN_SF}'
    )
)
@when(
    parsers.re(
        rf"{MOMENT}the (?P<field>comments|subject) of the Salesforce task {NAME} (?:are|is|were|was) "
        rf'changed to "(?P<value>[^"]*)" {IN_SF}'
    )
)
def change_sf_field(world: World, field: str, name: str, value: str, moment: str | None) -> None:
    world.wait(moment)
    world.sf_update(world.sf_task(name)["Id"], {FIELD_WORDS[field]: value})


@when(parsers.re(rf"the due date of the Salesforce task {NAME} is set to (?P<due>.+) {IN_SF}"))
def change_sf_due_date(world: World, name: str, due: str) -> None:
    world.sf_update(world.sf_task(name)["Id"], {"ActivityDate": world.iso_date(due)})


@given(parsers.re(rf"the Salesforce task {NAME} is deleted {IN_SF}"))
@when(parsers.re(rf"the Salesforce task {NAME} is deleted {IN_SF}"))
def delete_sf_task(world: World, name: str) -> None:
    world.sf_delete(world.sf_task(name)["Id"])


@given(parsers.re(rf"the Salesforce task {NAME} was deleted {IN_SF} (?P<ago>.+) ago"))
def deleted_in_sf_some_time_ago(world: World, name: str, ago: str) -> None:
    world.sf_delete(world.sf_task(name)["Id"])
    world.clock.advance(duration(ago))


@given(parsers.re(rf"all of Ann's tasks were deleted {IN_SF} (?P<ago>.+) ago"))
def all_deleted_in_sf(world: World, ago: str) -> None:
    tasks = world.sf_tasks(owner="Ann")
    assert tasks, "Ann has no Salesforce tasks to delete"
    for task in tasks:
        world.sf_delete(task["Id"])
    world.clock.advance(duration(ago))


@given(
    parsers.re(rf"the Salesforce task {NAME} was deleted {IN_SF} and the sync ran"),
    target_fixture="sync_report",
)
def deleted_in_sf_and_synced(world: World, name: str) -> dict:
    world.sia_task(name)  # remember the task Ann had, to tell a restored one from it
    world.sf_delete(world.sf_task(name)["Id"])
    report = world.run_sync()
    assert not world.sia_named(name), "the deletion did not reach Sales Insight Actions"
    return report


@when(parsers.re(rf"the Salesforce task {NAME} is restored from the recycle bin (?P<later>.+) later"))
def restore_from_recycle_bin(world: World, name: str, later: str) -> None:
    world.clock.advance(duration(later))
    world.sf_restore(name)


# --------------------------------------------------------------------------------- checking
@then(parsers.re(rf"Salesforce has the task {NAME}"))
def sf_has(world: World, name: str) -> None:
    assert world.sf_named(name), f"no Salesforce task {name!r}; there are {world.sf_subjects()}"


@then(parsers.re(rf"Salesforce has no task {NAME}"))
def sf_has_not(world: World, name: str) -> None:
    assert not world.sf_named(name), f"Salesforce still has {name!r}"


@then(parsers.re(rf"Salesforce has exactly one task {NAME}"))
def sf_has_one(world: World, name: str) -> None:
    found = world.sf_named(name)
    assert len(found) == 1, f"expected one {name!r}, found {len(found)}"


@then(parsers.re(r"Salesforce has none of the tasks (?P<listed>.+)"))
def sf_has_none(world: World, listed: str) -> None:
    present = [n for n in names(listed) if world.sf_named(n)]
    assert not present, f"Salesforce has {present}"


@then(parsers.re(rf'Salesforce has the task {NAME} instead of "(?P<old>[^"]+)"'))
def sf_has_instead(world: World, name: str, old: str) -> None:
    assert len(world.sf_named(name)) == 1, f"no Salesforce task {name!r}; there are {world.sf_subjects()}"
    assert not world.sf_named(old), f"Salesforce still has {old!r}"


@then(parsers.re(r"Salesforce has these tasks:"))
def sf_has_table(world: World, datatable: list[list[str]]) -> None:
    for row in table_rows(datatable):
        expected = sf_fields(world, row)
        task = world.sf_task(expected["Subject"])
        actual = {key: task[key] for key in expected}
        assert actual == expected, f"{expected['Subject']}: expected {expected}, got {actual}"


@then(
    parsers.re(rf'the Salesforce task {NAME} has the (?P<field>status|priority|comments) "(?P<value>[^"]*)"')
)
def sf_field_is(world: World, name: str, field: str, value: str) -> None:
    assert world.sf_task(name)[FIELD_WORDS[field]] == value


@then(parsers.re(rf"the Salesforce task {NAME} is due (?P<due>.+)"))
def sf_due(world: World, name: str, due: str) -> None:
    assert world.sf_task(name)["ActivityDate"] == world.iso_date(due)


@then(parsers.re(rf"the Salesforce task {NAME} has exactly those comments"))
@then(parsers.re(rf"the Salesforce task {NAME} has all \d+ characters of those comments"))
def sf_comments_unchanged(world: World, name: str, written_text: str) -> None:
    comments = world.sf_task(name)["Description"]
    assert comments == written_text, f"got {comments!r:.200}"


@then(parsers.re(rf"the Salesforce task {NAME} has no type"))
def sf_no_type(world: World, name: str) -> None:
    assert world.sf_task(name)["Type"] is None


@then(parsers.re(rf"the Salesforce task {NAME} is assigned to (?P<who>Ann|Bob|Carol)'s Salesforce user"))
def sf_owner(world: World, name: str, who: str) -> None:
    assert world.sf_task(name)["OwnerId"] == world.sf_user_id(who)


@then("the Salesforce subject of that task has no line breaks and is 255 characters long")
def sf_subject_cut(world: World, written_text: str) -> None:
    subject = world.sf_task_from_sia_name(written_text)["Subject"]
    assert "\n" not in subject and "\r" not in subject
    assert len(subject) == 255
    assert written_text.startswith(subject.split(" ", 1)[1][:100]), subject
