"""R4.3 baselines: "time since the last sync" starts at the moment of that sync on BOTH sides.

Each link's SIA stamp is SIA's clock at the last sync and its Salesforce stamp Salesforce's clock at
it (after our write, else at the read), so an edit's age is measured on its own system's clock from
one shared instant - never by comparing the two clocks. Run on the in-memory twins, each with its
own clock where skew matters.
"""

from datetime import UTC, datetime, timedelta

import pytest

from mock_core import Clock
from sync.adapters.memory import MemorySalesforce, MemorySia
from sync.engine import Engine
from sync.state import StateStore

OWNER = "005000000000001AAA"
T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


class SkewedWorld:
    """SIA and Salesforce on two clocks; Salesforce's runs `skew` ahead (negative: behind)."""

    def __init__(self, skew=timedelta(0)):
        self.sia_clock = Clock(frozen_at=T0)
        self.sf_clock = Clock(frozen_at=T0 + skew)
        self.sf = MemorySalesforce(self.sf_clock)
        self.sia = MemorySia(self.sia_clock)
        self.state = StateStore()
        self.engine = Engine(
            sia=self.sia, salesforce_factory=lambda conn: self.sf, state=self.state, clock=self.sia_clock
        )
        self.user = self.sia.create_user("ann@example.com", salesforce_user_id=OWNER)
        self.sia.set_sync(self.user, True)

    def advance(self, **delta):
        self.sia_clock.advance(**delta)
        self.sf_clock.advance(**delta)

    def run(self, **delta):
        self.advance(**(delta or {"minutes": 1}))
        return self.engine.run_pass()

    def link(self):
        [link] = self.state.links(self.user)
        return link

    def imported(self, subject="Close call"):
        """An SF-born task, created a minute before the pass that imports it (R3.3)."""
        self.run()
        sf_id = self.sf.create(OWNER, Subject=subject)
        self.run()
        [task] = self.sia.live(self.user)
        return task["id"], sf_id


SKEWS = [timedelta(0), timedelta(minutes=7), timedelta(minutes=-7)]


@pytest.mark.parametrize("skew", SKEWS, ids=["same-clock", "sf-7min-ahead", "sf-7min-behind"])
def test_R4_3_imported_task_baselines_are_both_clocks_at_the_import(skew):
    w = SkewedWorld(skew)
    w.imported()
    link = w.link()
    # Not the record's SystemModstamp (its creation a minute earlier): Salesforce's clock at the import.
    assert link.sf_stamp == w.sf_clock.now()
    assert link.sia_stamp == w.sia_clock.now()


@pytest.mark.parametrize("skew", SKEWS, ids=["same-clock", "sf-7min-ahead", "sf-7min-behind"])
@pytest.mark.parametrize("first", ["salesforce", "sia"])
def test_R4_3_the_later_of_two_close_edits_wins_whatever_the_skew(skew, first):
    w = SkewedWorld(skew)
    sia_id, sf_id = w.imported()
    w.advance(minutes=1)
    for side in (first, "sia" if first == "salesforce" else "salesforce"):
        if side == "sia":
            w.sia.edit_task(sia_id, details="from SIA")
        else:
            w.sf.edit(sf_id, Description="from Salesforce")
        w.advance(seconds=30)
    report = w.run()
    later = "salesforce" if first == "sia" else "sia"
    assert [(c["field"], c["winner"]) for c in report.users[0].conflicts] == [("details", later)]
    expected = "from SIA" if later == "sia" else "from Salesforce"
    assert w.sia.tasks[sia_id]["details"] == w.sf.records[sf_id]["Description"] == expected


@pytest.mark.parametrize("skew", SKEWS, ids=["same-clock", "sf-7min-ahead", "sf-7min-behind"])
def test_R4_3_edits_at_the_same_moment_go_to_sia(skew):
    w = SkewedWorld(skew)
    sia_id, sf_id = w.imported()
    w.advance(minutes=2)
    w.sia.edit_task(sia_id, details="from SIA")
    w.sf.edit(sf_id, Description="from Salesforce")
    report = w.run()
    assert [c["winner"] for c in report.users[0].conflicts] == ["sia"]
    assert w.sf.records[sf_id]["Description"] == "from SIA"


def test_R4_3_a_pushed_task_measures_from_the_push_on_both_sides():
    """create_sf: SIA's baseline is SIA's clock at the pass's read (not the task's creation, long
    before); Salesforce's is its clock right after our upsert."""
    w = SkewedWorld(timedelta(minutes=3))
    w.run()
    w.advance(seconds=5)
    sia_id = w.sia.create_task(w.user, "Pushed")
    w.run(minutes=10)  # created 10 minutes before the pass that pushes it
    link = w.link()
    assert link.sia_stamp == w.sia_clock.now()
    assert link.sf_stamp == w.sf_clock.now()
    # SIA edits 20 s after the push... and Salesforce 40 s after it: Salesforce is later.
    w.advance(seconds=20)
    w.sia.edit_task(sia_id, details="SIA at +20 s")
    w.advance(seconds=20)
    w.sf.edit(link.sf_id, Description="SF at +40 s")
    report = w.run()
    assert [c["winner"] for c in report.users[0].conflicts] == ["salesforce"]
    assert w.sia.tasks[sia_id]["details"] == "SF at +40 s"


def test_R4_3_every_sync_restarts_both_baselines():
    """A pull moves the SIA baseline too (SIA's clock at our write), so the next conflict is measured
    from that pass on both sides, not from the import."""
    w = SkewedWorld()
    sia_id, sf_id = w.imported()
    w.advance(minutes=1)
    w.sf.edit(sf_id, Priority="High")
    w.run(minutes=5)  # pulled; both baselines = this pass
    assert w.link().sia_stamp == w.link().sf_stamp == w.sia_clock.now()
    w.advance(seconds=10)
    w.sf.edit(sf_id, Description="SF 10 s after the pull")
    w.advance(seconds=10)
    w.sia.edit_task(sia_id, details="SIA 20 s after the pull")
    report = w.run()
    assert [c["winner"] for c in report.users[0].conflicts] == ["sia"]


def test_R4_5_an_echo_moves_the_baselines_once_and_an_idle_pass_never():
    w = SkewedWorld()
    w.imported()
    w.advance(seconds=10)
    w.sf.edit(w.link().sf_id, Type="Call")  # automation: unmapped field, SystemModstamp moves
    w.run()
    observed = w.link()
    assert observed.sf_stamp == w.sf_clock.now()  # a new version seen: noted
    for _ in range(2):
        w.run(minutes=5)
        assert w.link() == observed  # nothing new: the state stays as it was
