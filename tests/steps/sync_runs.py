"""Running the sync and reading its report — the report is what support and QA read (R4.3-R4.6)."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from steps.parsing import NAME
from steps.world import World


@given("the sync has run", target_fixture="sync_report")
@when(parsers.re(r"the sync runs(?: again)?"), target_fixture="sync_report")
def sync_runs(world: World) -> dict:
    return world.run_sync()


@when("the sync runs twice", target_fixture="sync_report")
def sync_runs_twice(world: World) -> dict:
    world.run_sync()
    return world.run_sync()


@given("the connection to Salesforce breaks right after Salesforce saves the next task")
def drop_after_next_salesforce_write(world: World) -> None:
    world.salesforce_drops_after_next_write()


@given("Salesforce is unavailable")
def salesforce_unavailable(world: World) -> None:
    world.salesforce_unavailable()


@when(
    "the sync runs while Salesforce is unavailable, and again once it is back", target_fixture="sync_report"
)
def sync_during_and_after_outage(world: World) -> dict:
    failed = world.run_sync()
    assert world.report_errors(failed), f"the pass during the outage should report errors: {failed}"
    world.salesforce_available()
    world.clock.advance(minutes=5)
    return world.run_sync()


@then("the sync changed nothing in either system")
def nothing_changed(world: World) -> None:
    """R4.5: a pass over already-synced tasks writes nothing — no task's last-modified time moves
    on either side, and the report counts no creates, updates or deletes."""
    before = world.last_modified_everywhere()
    world.clock.advance(minutes=1)  # any write now would carry a newer timestamp
    report = world.run_sync()
    assert world.last_modified_everywhere() == before
    assert world.report_writes(report) == 0, report


@then(parsers.re(rf"the sync report records a conflict on the task {NAME}"))
def conflict_recorded(world: World, sync_report: dict, name: str) -> None:
    assert world.report_mentions(sync_report, "conflicts", name), sync_report


@then(parsers.re(rf"the sync report records the deletion of the task {NAME}"))
def deletion_recorded(world: World, sync_report: dict, name: str) -> None:
    assert world.report_mentions(sync_report, "deletions", name), sync_report


@then(parsers.re(rf"the sync report says the deletion of {NAME} was found by checking the linked tasks"))
def deletion_found_by_reconciliation(world: World, sync_report: dict, name: str) -> None:
    entry = world.report_mentions(sync_report, "deletions", name)
    assert entry, sync_report
    assert world.found_by_reconciliation(entry), entry
