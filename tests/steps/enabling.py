"""Turning task sync on and off, as the user does on the SIA settings page (R1)."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from steps.parsing import names
from steps.world import World

USER = r"(?P<who>Ann|Bob)"


def turn_on(world: World, who: str) -> dict:
    """Save the setting with the box ticked; the sync starts at once (R1.1), so a pass runs."""
    world.set_task_sync(who, True)
    return world.run_sync()


@given(parsers.re(rf"{USER} has turned on task sync"), target_fixture="sync_report")
@when(parsers.re(rf"{USER} turns on task sync(?: again)?"), target_fixture="sync_report")
def user_turns_on(world: World, who: str) -> dict:
    return turn_on(world, who)


@given("Ann and Bob have both turned on task sync", target_fixture="sync_report")
def both_turn_on(world: World) -> dict:
    world.set_task_sync("Ann", True)
    world.set_task_sync("Bob", True)
    return world.run_sync()


@given(parsers.re(rf"{USER} has turned off task sync"))
@when(parsers.re(rf"{USER} turns off task sync"))
def user_turns_off(world: World, who: str) -> None:
    world.set_task_sync(who, False)


@given(
    parsers.re(
        r'Ann turned task sync off after the tasks? (?P<listed>".+?")(?:, due (?P<due>[^,]+),)? '
        r"(?:was|were) synced"
    ),
    target_fixture="sync_report",
)
def synced_then_paused(world: World, listed: str, due: str | None) -> dict:
    """R1.3: sync on, SIA tasks created and synced, then sync off (links are kept)."""
    turn_on(world, "Ann")
    for name in names(listed):
        fields = {"name": name}
        if due:
            fields["due_date"] = world.iso_date(due)
        world.sia_create("Ann", fields)
    report = world.run_sync()
    for name in names(listed):
        world.sf_task(name)  # it really reached Salesforce before the pause
    world.set_task_sync("Ann", False)
    return report


@given(
    parsers.re(r'Ann turned task sync off after the Salesforce task "(?P<name>[^"]+)" was imported'),
    target_fixture="sync_report",
)
def imported_then_paused(world: World, name: str) -> dict:
    world.sf_create("Ann", {"Subject": name})
    report = turn_on(world, "Ann")
    world.sia_task(name)  # it really arrived before the pause
    world.set_task_sync("Ann", False)
    return report


@then(parsers.re(rf"task sync is (?P<state>on|off) for {USER}"))
def task_sync_state(world: World, state: str, who: str) -> None:
    setting = world.task_sync(who)
    assert setting["enabled"] is (state == "on"), setting
    if state == "on":
        assert setting["first_enabled_at"], setting
