"""The Command Center: what Ann sees as her to-do list for today and tomorrow (R6)."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from steps.parsing import NAME
from steps.world import World


def shown(world: World, who: str = "Ann") -> dict[str, list[str]]:
    board = world.command_center(who)
    return {"today": [t["name"] for t in board["today"]], "tomorrow": [t["name"] for t in board["tomorrow"]]}


@then("the Command Center shows no tasks")
def shows_nothing(world: World) -> None:
    assert shown(world) == {"today": [], "tomorrow": []}


@given(parsers.re(rf"the Command Center shows {NAME} for (?P<day>today|tomorrow)"))
@then(parsers.re(rf"the Command Center shows {NAME} for (?P<day>today|tomorrow)"))
def shows_task_on(world: World, name: str, day: str) -> None:
    board = shown(world)
    assert name in board[day], f"{name!r} is not shown for {day}: {board}"


@then(
    parsers.re(
        r'the Command Center shows "(?P<today>[^"]+)" for today and "(?P<tomorrow>[^"]+)" for tomorrow, '
        r"and nothing else"
    )
)
def shows_exactly(world: World, today: str, tomorrow: str) -> None:
    assert shown(world) == {"today": [today], "tomorrow": [tomorrow]}
