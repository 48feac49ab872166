"""F20 (reference §6.1): a Jepsen-style randomized history as a Hypothesis state machine.

Users create, edit, complete and delete tasks on both sides - through the public APIs only (the SIA
HTTP API as Ann, simple-salesforce as her Salesforce user) - interleaved with sync passes, some of
which run under injected faults (5xx, dropped connections before and after commit, expired sessions,
a crash between a write and its state commit). At quiescence (faults off, at most 2 clean passes
that write, then one that writes nothing) every acknowledged change must be present exactly once,
both sides equal under the field map, and the status DB equal to both (vdirsyncer's invariant).

Rules touched: R4.1, R4.2 (both directions), R4.3 (a field edited on both sides since the last clean
pass may end with either side's value - the winner itself is F13's business), R4.4 (deletes win),
R4.5 (no echo: the quiescent pass writes nothing), R4.6 (no duplicates, nothing lost), R2.2, R2.3,
R2.4, R2.5, R5.1 (default template: the subject is the name).

Deletions: a task is deleted on one side or on both sides between two passes (R4.4: the engine then
retires its link and records the deletion in "both"), and crashes are injected after every kind of
write call - SIA batches and Salesforce upsert, update and delete.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from reliability_support import assert_converged, duplicates, read_sides, step, writes

from sandbox.harness import Harness
from sync.engine import Hooks

FIELDS = {  # SIA field -> (Salesforce field, SIA value -> Salesforce value), synced values only
    "status": ("Status", {"open": "Not Started", "complete": "Completed"}.get),
    "priority": ("Priority", {"normal": "Normal", "high": "High"}.get),
    "due_date": ("ActivityDate", lambda v: v),
    "details": ("Description", lambda v: v),
}
VALUES = {
    "status": st.sampled_from(["open", "complete"]),
    "priority": st.sampled_from(["normal", "high"]),
    "due_date": st.sampled_from([None, "2026-12-31", "2027-01-01", "2027-03-28", "2028-02-29"]),
    "details": st.sampled_from([None, "call back", "Zeile 1\nLine 2 ✓", "x" * 300]),
}
FAULTS = [
    None,
    ("salesforce", "status", {"status": 503, "times": 2}),
    ("sia", "status", {"status": 500, "times": 2}),
    ("salesforce", "connection_drop", {"times": 2}),
    ("salesforce", "drop_after_commit", {"method": "PATCH", "path": "composite/sobjects", "times": 1}),
    ("sia", "drop_after_commit", {"method": "POST", "path": "/tasks/batch", "times": 2}),
    ("sia", "rate_limit", {"times": 1}),
    ("salesforce", "expire_sessions", {}),
    ("crash", "salesforce", "upsert"),
    ("crash", "salesforce", "update"),
    ("crash", "salesforce", "delete"),
    ("crash", "sia", "batch"),
]


class Crash(BaseException):  # a kill -9: nothing in the engine may catch it
    """kill -9 between a write call and its state commit."""


@dataclass
class Expect:
    """One logical task as the users made it. `cands[f]`: the values the field may end with."""

    name: str
    home: str
    cands: dict = field(default_factory=dict)
    since_clean: dict = field(default_factory=dict)  # field -> {side: last value} since the last clean pass
    deleted: bool = False

    def edit(self, side: str, name: str, value) -> None:
        seen = self.since_clean.setdefault(name, {})
        seen[side] = value
        self.cands[name] = set(seen.values()) if len(seen) == 2 else {value}


class SyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.h = Harness()
        self.h.enable_sync()
        step(self.h)
        self.sf = self.h.salesforce()
        self.tasks: dict[str, Expect] = {}
        self.sia_ids: dict[str, str] = {}  # name -> live SIA id as last seen
        self.sf_ids: dict[str, str] = {}  # name -> live Salesforce id as last seen
        self.n = 0

    def teardown(self) -> None:
        try:
            self.quiesce()
        finally:
            self.h.close()

    # -- helpers ----------------------------------------------------------------------------------
    def _refresh(self) -> None:
        sides = read_sides(self.h)
        self.sia_ids = {t["name"]: i for i, t in sides.sia.items()}
        self.sf_ids = {r["Subject"]: i for i, r in sides.sf.items()}

    def _pick(self, index: int, side: str) -> Expect | None:
        ids = self.sia_ids if side == "sia" else self.sf_ids
        live = sorted(n for n, t in self.tasks.items() if not t.deleted and n in ids)
        return self.tasks[live[index % len(live)]] if live else None

    # -- users ------------------------------------------------------------------------------------
    @rule(priority=VALUES["priority"], due=VALUES["due_date"], details=VALUES["details"])
    def create_in_sia(self, priority, due, details):
        self.n += 1
        name = f"sia task {self.n}"
        self.h.clock.advance(seconds=3)
        r = self.h.sia_api(
            "POST", "/tasks", json={"name": name, "priority": priority, "due_date": due, "details": details}
        )
        assert r.status_code == 201, r.text
        self.sia_ids[name] = r.json()["id"]
        self.tasks[name] = Expect(
            name, "sia", {"status": {"open"}, "priority": {priority}, "due_date": {due}, "details": {details}}
        )

    @rule(priority=VALUES["priority"], due=VALUES["due_date"], details=VALUES["details"])
    def create_in_salesforce(self, priority, due, details):
        self.n += 1
        name = f"sf task {self.n}"
        self.h.clock.advance(seconds=3)
        rec = self.sf.Task.create(
            {
                "Subject": name,
                "Priority": FIELDS["priority"][1](priority),
                "ActivityDate": due,
                "Description": details,
            }
        )
        self.sf_ids[name] = rec["id"]
        self.tasks[name] = Expect(
            name,
            "salesforce",
            {"status": {"open"}, "priority": {priority}, "due_date": {due}, "details": {details}},
        )

    @rule(index=st.integers(0, 50), data=st.data(), name=st.sampled_from(list(FIELDS)))
    def edit_in_sia(self, index, data, name):
        task = self._pick(index, "sia")
        if task is None:
            return
        value = data.draw(VALUES[name])
        self.h.clock.advance(seconds=3)
        r = self.h.sia_api("PATCH", f"/tasks/{self.sia_ids[task.name]}", json={name: value})
        assert r.status_code == 200, r.text
        task.edit("sia", name, value)

    @rule(index=st.integers(0, 50), data=st.data(), name=st.sampled_from(list(FIELDS)))
    def edit_in_salesforce(self, index, data, name):
        task = self._pick(index, "salesforce")
        if task is None:
            return
        value = data.draw(VALUES[name])
        sf_field, to_sf = FIELDS[name]
        self.h.clock.advance(seconds=3)
        self.sf.Task.update(self.sf_ids[task.name], {sf_field: to_sf(value)})
        task.edit("salesforce", name, value)

    @rule(index=st.integers(0, 50), side=st.sampled_from(["sia", "salesforce"]))
    def complete(self, index, side):
        task = self._pick(index, side)
        if task is None:
            return
        self.h.clock.advance(seconds=3)
        if side == "sia":
            assert (
                self.h.sia_api(
                    "PATCH", f"/tasks/{self.sia_ids[task.name]}", json={"status": "complete"}
                ).status_code
                == 200
            )
        else:
            self.sf.Task.update(self.sf_ids[task.name], {"Status": "Completed"})
        task.edit(side, "status", "complete")

    @rule(index=st.integers(0, 50), side=st.sampled_from(["sia", "salesforce"]))
    def delete(self, index, side):
        task = self._pick(index, side)
        if task is None:
            return
        self.h.clock.advance(seconds=3)
        if side == "sia":
            assert self.h.sia_api("DELETE", f"/tasks/{self.sia_ids.pop(task.name)}").status_code == 204
        else:
            self.sf.Task.delete(self.sf_ids.pop(task.name))
        task.deleted = True  # R4.4: gone on both sides in the end, whatever else happens

    @rule(index=st.integers(0, 50))
    def delete_on_both_sides(self, index):
        """R4.4: deleted in SIA and in Salesforce before the engine saw either deletion."""
        live = sorted(
            n for n, t in self.tasks.items() if not t.deleted and n in self.sia_ids and n in self.sf_ids
        )
        if not live:
            return
        task = self.tasks[live[index % len(live)]]
        self.h.clock.advance(seconds=3)
        assert self.h.sia_api("DELETE", f"/tasks/{self.sia_ids.pop(task.name)}").status_code == 204
        self.sf.Task.delete(self.sf_ids.pop(task.name))
        task.deleted = True

    # -- the engine -------------------------------------------------------------------------------
    @rule(fault=st.sampled_from(FAULTS))
    def sync_pass(self, fault):
        h = self.h
        clean = fault is None
        if fault and fault[0] == "crash":
            boundary = fault[1:]

            def crash(side, kind):
                if (side, kind) == boundary:
                    raise Crash(boundary)

            h.engine.hooks = Hooks(after_write=crash)
        elif fault and fault[1] == "expire_sessions":
            h.org.expire_sessions()
        elif fault:
            target, kind, options = fault
            (h.org if target == "salesforce" else h.sia).faults.add(kind, **options)
        try:
            report = step(h, seconds=20)
            clean = (
                clean
                and report.error is None
                and all(u.stopped is None and not u.errors for u in report.users)
            )
        except Crash:
            clean = False
        finally:
            h.engine.hooks = Hooks()
            h.org.faults.clear()
            h.sia.faults.clear()
        if clean:  # everything before this pass has reached both sides: restart the conflict windows
            for task in self.tasks.values():
                task.since_clean.clear()
        self._refresh()

    @rule()
    def quiesce(self):
        """Faults off: <= 2 passes that write, then one that writes nothing; then check everything."""
        h = self.h
        h.org.faults.clear()
        h.sia.faults.clear()
        quiet = False
        for _ in range(3):
            report = step(h, seconds=20)
            assert report.error is None and all(u.stopped is None for u in report.users), report.to_dict()
            assert report.total("errors") == 0, report.to_dict()
            if writes(report) == 0:
                quiet = True
                break
        assert quiet, f"still writing after 2 clean passes: {report.to_dict()}"
        sides = assert_converged(h)
        dups = duplicates(h)
        assert not any(dups.values()), dups
        sia = {t["name"]: t for t in sides.sia.values()}
        sf = {r["Subject"]: r for r in sides.sf.values()}
        expected = {n for n, t in self.tasks.items() if not t.deleted}
        assert set(sia) == expected, (sorted(set(sia) ^ expected), "SIA")
        assert set(sf) == expected, (sorted(set(sf) ^ expected), "Salesforce")
        for name in expected:
            task = self.tasks[name]
            for f, cands in task.cands.items():
                assert sia[name][f] in cands, (name, f, sia[name][f], cands)
                task.cands[f] = {sia[name][f]}
            task.since_clean.clear()
        self._refresh()

    @invariant()
    def no_duplicate_creates(self):
        # R4.6 at every step, faults or not: one SIA task never has two Salesforce twins.
        ext = [r["SIA_Task_Id__c"] for r in read_sides(self.h).sf_all.values() if r["SIA_Task_Id__c"]]
        assert len(ext) == len(set(ext)), ext


SyncMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestF20ConvergenceMachine = SyncMachine.TestCase
