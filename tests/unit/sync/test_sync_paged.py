"""Issue 9, the shape of a paged steady-state pass (`sync.paged`) over the in-memory sides: no plan sees
more than a page, no step loads every link, and the change lists never sit in memory past the
threshold. Results and API calls against the pass at once: tests/integration/test_paged_pass.py."""

from __future__ import annotations

from datetime import timedelta

from sync import paged

OWNER = "005000000000001AAA"

N = 300
PAGE = 20


def _settings(world):
    s = world.engine.settings
    s.stream_pass_above, s.pass_page_size, s.reconcile_every = 50, PAGE, timedelta(hours=6)
    return s


def _no_full_link_loads(world):
    def refuse(_uid):
        raise AssertionError("a paged pass loaded every link of the user")

    world.state.links = refuse


def test_paged_push_echo_and_sweep_plan_a_page_at_a_time_and_never_load_every_link(world, monkeypatch):
    _settings(world)
    plans: list[tuple[int, int]] = []
    world.engine.hooks.planned = lambda _uid, sia, sf: plans.append((sia, sf))
    held: list[int] = []  # the most rows a Reader kept in memory before it spilled
    original_add = paged.Reader.add

    def add(self, side, page):
        original_add(self, side, page)
        held.append(len(self.rows["sia"]) + len(self.rows["salesforce"]))

    monkeypatch.setattr(paged.Reader, "add", add)
    world.sf.create(OWNER, Subject="linked first")  # so the push is a steady-state pass, not an import
    world.enable()
    world.run()
    for i in range(N):
        world.sia.create_task(world.user, f"task {i}")
    _no_full_link_loads(world)

    push = world.run()
    assert push.total("created") == {"sia": 0, "salesforce": N}
    assert len(plans) == N // PAGE + 1 and max(sia + sf for sia, sf in plans) == PAGE  # + the linked one

    plans.clear()
    echo = world.run()  # reads back both sides: each link's two rows are planned together
    assert echo.users[0].writes == 0
    assert plans and max(sia + sf for sia, sf in plans) <= 2 * PAGE and sum(sf for _, sf in plans) == N

    world.run()  # the look-back re-read settles the cursors
    plans.clear()
    sweep = world.run(minutes=7 * 60)  # R4.2: the reconciliation sweep reads every linked id by id
    assert sweep.users[0].writes == 0 and sweep.users[0].alerts == []
    assert sum(sf for _, sf in plans) == N + 1 and max(sia + sf for sia, sf in plans) <= 2 * PAGE
    assert max(held) <= 50 + world.sia.page_size  # spilled as soon as the threshold was passed
    assert world.sf_tasks() and len(world.sia_tasks()) == N + 1


def test_small_passes_stay_all_at_once(world):
    """At or below the threshold (50 rows read, both sides) nothing changes: no paged plan at all."""
    _settings(world)
    plans: list[int] = []
    world.engine.hooks.planned = lambda _uid, sia, sf: plans.append(sia + sf)
    world.sf.create(OWNER, Subject="linked first")
    world.enable()
    world.run()
    for i in range(20):
        world.sia.create_task(world.user, f"task {i}")
    assert world.run().total("created") == {"sia": 0, "salesforce": 20}
    assert world.run().users[0].writes == 0
    assert plans == []
