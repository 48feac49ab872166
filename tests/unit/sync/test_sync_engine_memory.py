"""The engine end to end over the in-memory sides (fast); the same rules run against the mocks in
tests/integration/."""

import contextlib

from sync.engine import Hooks

OWNER = "005000000000001AAA"


class Crash(BaseException):  # a kill -9: nothing in the engine may catch it
    pass


def test_R3_first_sync_imports_24h_window_and_never_pushes_old_sia_tasks(world):
    world.sf.create(OWNER, Subject="too old")
    world.clock.advance(hours=2)
    world.sf.create(OWNER, Subject="recent", Status="Deferred", Priority="Low")
    world.sf.create("005OTHER", Subject="someone else's")  # R1.4
    world.sia.create_task(world.user, "existed before")
    world.clock.advance(hours=23)
    world.enable()
    report = world.run()
    assert report.users[0].start == "first"
    assert [
        (t["name"], t["status"], t["priority"]) for t in world.sia_tasks() if t["name"] != "existed before"
    ] == [("recent", "open", "normal")]  # R3.3, R2.2b, R2.3a
    assert [r["Subject"] for r in world.sf_tasks()] == ["too old", "recent"]  # R3.2: nothing pushed
    # R3.6: editing the pre-existing SIA task later does not push it.
    old = next(t for t in world.sia_tasks() if t["name"] == "existed before")
    world.sia.edit_task(old["id"], name="existed before, edited")
    world.run()
    assert len(world.sf_tasks()) == 2
    # R3.6: the old Salesforce task is imported when it next changes.
    too_old = next(r for r in world.sf_tasks() if r["Subject"] == "too old")
    world.sf.edit(too_old["Id"], Description="touched")
    world.run()
    assert "too old" in [t["name"] for t in world.sia_tasks()]


def test_R4_1_R4_2_R4_5_two_way_and_no_echo(world):
    world.enable()
    world.run()
    sia_id = world.sia.create_task(world.user, "Email Bob", due_date="2026-12-24")
    first = world.run()
    assert first.total("created") == {"sia": 0, "salesforce": 1}
    [rec] = world.sf_tasks()
    assert rec["SIA_Task_Id__c"] == sia_id and rec["ActivityDate"] == "2026-12-24"
    world.sf.edit(rec["Id"], Status="Completed")
    world.run()
    assert world.sia.tasks[sia_id]["status"] == "complete"
    quiet = [world.run(), world.run()]
    assert all(r.users[0].writes == 0 for r in quiet)  # R4.5
    assert all(r.users[0].api_calls == {"sia": 1, "salesforce": 1} for r in quiet)


def test_R4_4_deletes_win_and_are_recorded(world):
    world.enable()
    world.run()
    sia_id = world.sia.create_task(world.user, "Doomed")
    world.run()
    [rec] = world.sf_tasks()
    world.sf.edit(rec["Id"], Description="edited in SF")
    world.sia.delete_task(sia_id)
    report = world.run()
    assert world.sf_tasks() == []
    assert report.users[0].deletions[0]["deleted_in"] == "salesforce"
    assert world.state.deletions()[0].how_found == "SIA deletion"


def test_R4_7_restore_from_recycle_bin_comes_back_as_new_task(world):
    world.enable()
    sf_id = world.sf.create(OWNER, Subject="Call Carla")
    world.run()
    world.sf.remove(sf_id)
    world.run()
    assert world.sia_tasks() == []
    world.sf.undelete(sf_id)
    world.run()
    assert [t["name"] for t in world.sia_tasks()] == ["Call Carla"]


def test_R4_4_R4_7_deleted_on_both_sides_retires_the_link_and_a_restore_comes_back(world):
    world.enable()
    sf_id = world.sf.create(OWNER, Subject="Gone twice")
    world.run()
    [task] = world.sia_tasks()
    world.sf.remove(sf_id)
    world.sia.delete_task(task["id"])
    report = world.run()
    # R4.4: nothing left to write, but the link is retired and the deletion recorded as "both".
    assert report.users[0].writes == 0
    assert [lk.live for lk in world.state.links(world.user)] == [False]
    [deletion] = world.state.deletions()
    assert (deletion.deleted_in, deletion.how_found) == ("both", "deleted on both sides")
    assert report.users[0].deletions == [
        {"sia_id": task["id"], "sf_id": sf_id, "deleted_in": "both", "how_found": "deleted on both sides"}
    ]
    assert world.run().users[0].writes == 0  # nothing comes back by itself
    # R4.7: a restore from the recycle bin comes back into SIA as a new task, and stays.
    world.sf.undelete(sf_id)
    report = world.run()
    [back] = world.sia_tasks()
    assert back["name"] == "Gone twice" and back["id"] != task["id"]
    assert report.users[0].created["sia"] == 1
    assert world.run().users[0].writes == 0
    assert [r["Id"] for r in world.sf_tasks()] == [sf_id]
    assert [(lk.sia_id, lk.live, lk.generation) for lk in world.state.links(world.user)] == [
        (back["id"], True, 1)
    ]


def test_R3_4_previously_enabled_start_applies_deletions_including_purged(world):
    world.enable()
    a = world.sf.create(OWNER, Subject="a")
    b = world.sf.create(OWNER, Subject="b")
    c = world.sf.create(OWNER, Subject="c")
    world.run()
    world.sia.set_sync(world.user, False)
    world.clock.advance(days=20)
    world.sf.remove(a)  # deleted 20 days ago ...
    world.sf.purge(a)  # ... and gone from the recycle bin
    world.clock.advance(days=5)
    world.sf.remove(b)  # still in the recycle bin
    world.sia.set_sync(world.user, True)
    report = world.run()
    assert report.users[0].start == "previously_enabled"
    assert [t["name"] for t in world.sia_tasks()] == ["c"]
    how = sorted(d["how_found"] for d in report.users[0].deletions)
    assert how[0].startswith("Salesforce recycle bin") and how[1].startswith("linked-id check")
    assert c  # R3.5: the linked one is kept, not imported again
    assert world.run().total("created") == {"sia": 0, "salesforce": 0}


def test_R1_3_off_stops_at_once_and_pause_tasks_stay_unsynced(world):
    world.enable()
    world.run()
    world.sia.set_sync(world.user, False)
    world.sia.create_task(world.user, "during pause")
    assert world.run().users == []
    world.sia.set_sync(world.user, True)
    world.run()
    assert world.sf_tasks() == []


def test_R4_6_crash_between_write_and_commit_makes_no_duplicate(world):
    world.enable()
    world.run()
    world.sia.create_task(world.user, "Once only")
    world.sf.create(OWNER, Subject="Import once")

    def crash(side, kind):
        raise Crash(side)

    for side in ("sia", "salesforce"):
        world.engine.hooks = Hooks(after_write=lambda s, k, side=side: crash(s, k) if s == side else None)
        with contextlib.suppress(Crash):
            world.run()
    world.engine.hooks = Hooks()
    world.run()
    world.run()
    assert [r["Subject"] for r in world.sf_tasks()].count("Once only") == 1
    assert [t["name"] for t in world.sia_tasks()].count("Import once") == 1
    assert len(world.sf_tasks()) == 2 and len(world.sia_tasks()) == 2


def test_R2_5_too_long_is_an_error_for_that_task_only(world):
    world.enable()
    world.run()
    world.sia.create_task(world.user, "fine")
    world.sf.create(OWNER, Subject="x", Description="y" * 32001)  # longer than SIA accepts
    report = world.run()
    assert report.users[0].errors[0]["code"] == "STRING_TOO_LONG"
    assert [r["Subject"] for r in world.sf_tasks() if r["Subject"] == "fine"] == ["fine"]
    assert world.state.task_errors()[0].side == "salesforce"


def test_R3_1_R4_6_large_first_import_is_applied_page_by_page_and_a_crash_duplicates_nothing(world):
    """A first import above `stream_import_above` rows is planned and applied per Salesforce page
    (memory O(page)); a crash after page 2's SIA write resumes without a duplicate."""
    world.sf.page_size = 10
    world.engine.settings.stream_import_above = 15
    for i in range(35):
        world.sf.create(OWNER, Subject=f"t{i:02d}")
    world.clock.advance(minutes=1)
    world.enable()
    pushed = world.sia.create_task(world.user, "created after enabling")
    writes = []
    world.engine.hooks = Hooks(after_write=lambda side, kind: writes.append((side, world.sf.calls)))
    report = world.run()
    # one SIA batch after each page read (4 pages of <= 10), then the one Salesforce upsert
    assert [calls for side, calls in writes if side == "sia"] == [1, 2, 3, 4]
    assert report.total("created") == {"sia": 35, "salesforce": 1}
    assert world.sf.records[world.sf_tasks()[-1]["Id"]]["SIA_Task_Id__c"] == pushed

    world2 = type(world)()
    world2.sf.page_size, world2.engine.settings.stream_import_above = 10, 15
    for i in range(35):
        world2.sf.create(OWNER, Subject=f"t{i:02d}")
    world2.clock.advance(minutes=1)
    world2.enable()
    seen = []

    def crash(side, kind):
        seen.append(side)
        if len(seen) == 2:
            raise Crash(side)

    world2.engine.hooks = Hooks(after_write=crash)
    with contextlib.suppress(Crash):
        world2.run()
    assert len(world2.sia_tasks()) == 20  # pages 1 and 2 written; page 2 not committed
    world2.engine.hooks = Hooks()
    world2.run()
    world2.run()
    assert sorted(t["name"] for t in world2.sia_tasks()) == [f"t{i:02d}" for i in range(35)]
    assert len(world2.sf_tasks()) == 35


def test_small_first_import_is_read_whole_before_anything_is_applied(world):
    world.sf.page_size = 10
    world.engine.settings.stream_import_above = 100
    for i in range(25):
        world.sf.create(OWNER, Subject=f"t{i:02d}")
    world.clock.advance(minutes=1)
    world.enable()
    writes = []
    world.engine.hooks = Hooks(after_write=lambda side, kind: writes.append(world.sf.calls))
    world.run()
    assert writes == [3]  # all three pages read, then one SIA batch
