"""Issue 9: the state writes are set-based - a batch costs a few SQL statements whatever its size - and
an idle pass loads no link, so its cost does not grow with the number of links.

Counted with SQLAlchemy's `before_cursor_execute` event on the state database (an executemany is one
statement). A regression to per-row work (a SELECT/INSERT/DELETE per link or per task key) multiplies
these counts by the batch size and fails the bounds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from sync.state.store import StateStore

OWNER = "005000000000001AAA"


@contextmanager
def statements(store: StateStore) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", count)


def _data(seen: list[str]) -> list[str]:
    return [s for s in seen if s.split(None, 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE")]


def test_first_import_costs_a_bounded_number_of_statements_per_batch(world):
    """600 Salesforce tasks = 3 SIA batch calls: per batch an intent INSERT, the link INSERT, the intent
    DELETE and a few lookups - not one round of statements per task."""
    for i in range(600):
        world.sf.create(OWNER, Subject=f"task {i}")
    world.enable()
    with statements(world.state) as seen:
        report = world.run()
    assert report.users[0].created["sia"] == 600
    data = _data(seen)
    assert len(data) <= 60, f"{len(data)} statements for 3 batches of 200: {data}"


def test_push_and_echo_cost_a_bounded_number_of_statements(world):
    world.enable()
    world.run()
    for i in range(600):
        world.sia.create_task(world.user, f"task {i}")
    with statements(world.state) as seen:
        report = world.run()
    assert report.users[0].created["salesforce"] == 600
    assert len(_data(seen)) <= 60, _data(seen)
    with statements(world.state) as seen:  # the echo: reads all 600 back, writes nothing
        report = world.run()
    assert report.users[0].writes == 0
    assert len(_data(seen)) <= 30, _data(seen)


def test_an_idle_pass_loads_only_the_links_its_changes_name(world):
    """With 50 links and with 500, an idle pass makes the same statements, and the links it loads are
    only those its change lists name (here the one task edited last, re-read by the look-back window):
    never all of them."""
    world.enable()
    counts = []
    for size in (50, 450):
        for i in range(size):
            world.sf.create(OWNER, Subject=f"task {i}")
        world.run()  # the import
        world.clock.advance(minutes=1)
        world.sia.edit_task(world.sia_tasks()[0]["id"], name=f"edited at {size}")  # a stamp of its own
        for _ in range(3):
            world.run()  # push it, then look-back passes until the cursors settle
        with statements(world.state) as seen:
            report = world.run(minutes=5)
        assert report.users[0].writes == 0
        link_reads = [s for s in seen if "FROM sync_links" in s and "LIMIT" not in s]
        assert all(" IN (" in s and s.count("?") <= 4 for s in link_reads), link_reads  # a few ids, not all
        counts.append(len(_data(seen)))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 30, counts
