"""Time: the one shared clock of both products and the sync. Scenarios travel; they never sleep."""

from __future__ import annotations

from pytest_bdd import given, parsers, when

from steps.parsing import duration, moment
from steps.world import World


@given(parsers.re(r"the time is (?P<at>.+)"))
def the_time_is(world: World, at: str) -> None:
    """Travel forward to that moment (time never runs backwards in a scenario)."""
    target = moment(at)
    now = world.clock.now()
    if target < now:
        raise ValueError(f"the scenario is already at {now:%d %B %Y, %H:%M} UTC; it cannot go back to {at}")
    world.clock.set(target)


@given(parsers.re(r"(?P<amount>\d+ (?:second|minute|hour|day|week)s?) (?:have|has) passed"))
@when(parsers.re(r"(?P<amount>\d+ (?:second|minute|hour|day|week)s?) pass(?:es)?"))
def time_passes(world: World, amount: str) -> None:
    world.clock.advance(duration(amount))


@given(parsers.re(r"(?P<who>Ann|Bob) works in the time zone (?P<zone>[A-Za-z_]+/[A-Za-z_/]+|UTC)"))
def user_time_zone(world: World, who: str, zone: str) -> None:
    world.set_time_zone(who, zone)
