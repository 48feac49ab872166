"""Whose tasks are synced (R1.1, R1.4), deletions Salesforce no longer reports (R3.4, R4.2), and a
rep's bulk deletion (R4.2): the steps of the Examples that pin those rules down from outside."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from steps.parsing import NAME, duration, names
from steps.world import World

IN_SF = "in Salesforce"
RANGE = r'"(?P<stem>[^"]+?) (?P<first>\d+)" to "(?P=stem) (?P<last>\d+)"'


def numbered(stem: str, first: str, last: str) -> list[str]:
    return [f"{stem} {i}" for i in range(int(first), int(last) + 1)]


# -- R1.4: a task reassigned in Salesforce ---------------------------------------------------------------
@given(parsers.re(rf"the Salesforce task {NAME} is reassigned to (?P<who>Bob)'s Salesforce user {IN_SF}"))
@when(parsers.re(rf"the Salesforce task {NAME} is reassigned to (?P<who>Bob)'s Salesforce user {IN_SF}"))
def reassign(world: World, name: str, who: str) -> None:
    world.sf_update(world.sf_task(name)["Id"], {"OwnerId": world.sf_user_id(who)})


@then(parsers.re(rf"the sync report says {NAME} is no longer synced because it was reassigned"))
def unlinked_as_reassigned(world: World, sync_report, name: str) -> None:
    entry = world.report_mentions(sync_report, "unlinked", name)
    assert entry and "reassigned" in entry["reason"], sync_report


# -- R1.1/R1.4: another Salesforce user connected ---------------------------------------------------------
@given(parsers.re(rf"(?P<who>Carol)'s Salesforce user has the task {NAME}"))
@when(parsers.re(rf"(?P<who>Carol)'s Salesforce user has the task {NAME}"))
def create_for_other(world: World, who: str, name: str) -> None:
    world.sf_create(who, {"Subject": name})


@when(
    parsers.re(
        r"Ann disconnects Salesforce and connects (?P<other>Carol)'s Salesforce user instead, "
        r"leaving the user id blank"
    )
)
def reconnect(world: World, other: str) -> None:
    world.sf_user_id(other)  # Carol exists, with her own Salesforce user
    world.h.reconnect_salesforce("ann", other.lower())


@given("Ann connected her Salesforce user, leaving the user id blank")
def connect_without_user_id(world: World) -> None:
    world.h.reconnect_salesforce("ann", "ann")


# -- R4.2/R3.4: purged before the next pass ---------------------------------------------------------------
@when(parsers.re(rf"the Salesforce task {NAME} is deleted {IN_SF} and the recycle bin is emptied"))
def delete_and_purge(world: World, name: str) -> None:
    world.sf_delete(world.sf_task(name)["Id"])
    world.h.salesforce_empty_recycle_bin()


@when(parsers.re(r"(?P<later>\d+ hours?) later, the sync runs"), target_fixture="sync_report")
def sync_runs_later(world: World, later: str):
    world.clock.advance(duration(later))
    return world.run_sync()


# -- R4.2: a rep's bulk deletion -------------------------------------------------------------------------
@given(parsers.re(rf"Ann has the synced Salesforce tasks {RANGE}"), target_fixture="sync_report")
def synced_sf_range(world: World, stem: str, first: str, last: str):
    listed = numbered(stem, first, last)
    for name in listed:
        world.sf_create("Ann", {"Subject": name})
    report = world.run_sync()
    assert sorted(world.sia_names()) == sorted(listed), world.sia_names()
    return report


@when(parsers.re(rf"the Salesforce tasks {RANGE} are deleted {IN_SF}"))
def delete_sf_range(world: World, stem: str, first: str, last: str) -> None:
    for name in numbered(stem, first, last):
        world.sf_delete(world.sf_task(name)["Id"])


@then(parsers.re(r"Sales Insight Actions has only the tasks (?P<listed>.+)"))
def sia_has_only(world: World, listed: str) -> None:
    assert sorted(world.sia_names()) == sorted(names(listed))


@then("the sync report holds no deletion back")
def nothing_held(world: World, sync_report) -> None:
    data = sync_report.to_dict() if hasattr(sync_report, "to_dict") else sync_report
    assert [a for u in data["users"] for a in u.get("alerts", [])] == [], data
