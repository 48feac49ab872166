"""Shared checks for the reliability suite (reference §6.1 F1-F20): convergence, duplicates, call floors.

Everything is read through the public surfaces - SIA over its HTTP API (the service's own view
`h.sia_tasks`), Salesforce over simple-salesforce `queryAll` - plus the engine's state tables, which
this suite may read because it tests the engine itself ("status DB matches both sides").

    report = step(h)                      # advance the shared clock, run one pass
    assert_converged(h)                   # both sides equal under the field map, no duplicates
    passes = settle(h)                    # clean passes until one writes nothing (<= 2 expected)
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from sync.domain import content_hash, sf_view, sia_view
from sync.rules import PRIORITY_SF_TO_SIA, STATUS_SF_TO_SIA
from sync.state.models import ConflictRecord, Cursor, DeletionRecord, Link, TaskError, UserState

SF_FIELDS = (
    "Id, Subject, Status, Priority, ActivityDate, Description, Type, OwnerId, SIA_Task_Id__c, "
    "IsDeleted, SystemModstamp"
)


def step(h, extra_clocks=(), **delta):
    """Advance the shared clock (and any skewed clocks) by `delta` (default one minute), then one pass."""
    delta = delta or {"minutes": 1}
    for clock in (h.clock, *extra_clocks):
        clock.advance(**delta)
    return h.run_pass()


def user_report(report, user_id):
    return report.user(user_id)


def writes(report) -> int:
    """API writes the pass made on either side (creates + updates + deletes)."""
    return sum(u.writes for u in report.users)


def settle(h, max_passes: int = 2, extra_clocks=()) -> int:
    """Clean passes until one makes no writes and no errors; returns how many passes made writes.

    Convergence (§6.1): after faults stop, <= `max_passes` clean passes must leave nothing to write.
    """
    for n in range(max_passes + 1):
        report = step(h, extra_clocks)
        assert report.error is None, report.error
        for u in report.users:
            assert u.stopped is None, u.stopped
        if writes(report) == 0 and report.total("errors") == 0:
            return n
    raise AssertionError(f"not converged after {max_passes} clean passes: last report {report.to_dict()}")


# -- reading both sides -----------------------------------------------------------------------------
def sf_rows(h, owner_id: str | None = None, include_deleted: bool = True) -> list[dict]:
    """Salesforce Tasks of an owner over the API (queryAll shows the recycle bin too)."""
    owner = owner_id or h.sf_user_id
    rows = h.salesforce().query_all(
        f"SELECT {SF_FIELDS} FROM Task WHERE OwnerId = '{owner}' ORDER BY CreatedDate, Id",
        include_deleted=include_deleted,
    )["records"]
    return [{k: v for k, v in r.items() if k != "attributes"} for r in rows]


@dataclass
class Sides:
    sia: dict[str, dict]  # live SIA tasks by id
    sia_all: dict[str, dict]  # incl. tombstones
    sf: dict[str, dict]  # live SF tasks by id
    sf_all: dict[str, dict]  # incl. recycle bin
    links: list = field(default_factory=list)


def read_sides(h, user_id: str | None = None, owner_id: str | None = None) -> Sides:
    uid = user_id or h.user_id
    sia_all = {t["id"]: t for t in h.sia_tasks(uid, include_deleted=True)}
    sf_all = {r["Id"]: r for r in sf_rows(h, owner_id)}
    return Sides(
        sia={i: t for i, t in sia_all.items() if not t.get("deleted_at")},
        sia_all=sia_all,
        sf={i: r for i, r in sf_all.items() if not r["IsDeleted"]},
        sf_all=sf_all,
        links=h.state.links(uid),
    )


def duplicates(h, user_id: str | None = None, owner_id: str | None = None) -> dict:
    """Duplicate counters: SF tasks sharing one SIA_Task_Id__c, tasks in >1 live link, repeated names."""
    sides = read_sides(h, user_id, owner_id)
    ext = Counter(r["SIA_Task_Id__c"] for r in sides.sf.values() if r["SIA_Task_Id__c"])
    live = [lk for lk in sides.links if lk.live]
    sia_links = Counter(lk.sia_id for lk in live)
    sf_links = Counter(lk.sf_id for lk in live)
    return {
        "sf_by_external_id": sum(n - 1 for n in ext.values()),
        "sia_in_two_links": sum(n - 1 for n in sia_links.values()),
        "sf_in_two_links": sum(n - 1 for n in sf_links.values()),
        "sia_names": sum(n - 1 for n in Counter(t["name"] for t in sides.sia.values()).values()),
        "sf_subjects": sum(n - 1 for n in Counter(r["Subject"] for r in sides.sf.values()).values()),
    }


def mapping_problems(sia_task: dict, sf_record: dict, *, subject_is_name: bool = True) -> list[str]:
    """Differences between one SIA task and its Salesforce task under the field map (R2.1-R2.5)."""
    out = []
    sf_status = STATUS_SF_TO_SIA.get(sf_record["Status"])
    if sf_status is not None and sf_status != sia_task["status"]:  # R2.2 (R2.2a: others left alone)
        out.append(f"status {sia_task['status']!r} vs {sf_record['Status']!r}")
    sf_priority = PRIORITY_SF_TO_SIA.get(sf_record["Priority"])
    if sf_priority is not None and sf_priority != sia_task["priority"]:  # R2.3 (R2.3a)
        out.append(f"priority {sia_task['priority']!r} vs {sf_record['Priority']!r}")
    if (sia_task["due_date"] or None) != (sf_record["ActivityDate"] or None):  # R2.4
        out.append(f"due date {sia_task['due_date']!r} vs {sf_record['ActivityDate']!r}")
    if (sia_task["details"] or None) != (sf_record["Description"] or None):  # R2.5
        out.append(f"details {sia_task['details']!r} vs {sf_record['Description']!r}")
    if subject_is_name and sia_task["name"] != sf_record["Subject"]:  # R5.1 with the default template
        out.append(f"name {sia_task['name']!r} vs subject {sf_record['Subject']!r}")
    return out


def convergence_problems(
    h,
    user_id: str | None = None,
    owner_id: str | None = None,
    *,
    unsynced_sia: set[str] = frozenset(),
    unsynced_sf: set[str] = frozenset(),
    subject_is_name: bool = True,
) -> list[str]:
    """Everything that keeps the two sides from being equal under the mapping, and the status DB from
    matching both (vdirsyncer's invariant). Empty = converged."""
    sides = read_sides(h, user_id, owner_id)
    problems: list[str] = []
    dups = duplicates(h, user_id, owner_id)
    for name in ("sf_by_external_id", "sia_in_two_links", "sf_in_two_links"):
        if dups[name]:
            problems.append(f"duplicates {name}: {dups[name]}")
    live = [lk for lk in sides.links if lk.live]
    linked_sia = {lk.sia_id for lk in live}
    linked_sf = {lk.sf_id for lk in live}
    for sia_id, task in sides.sia.items():
        if sia_id not in linked_sia and sia_id not in unsynced_sia:
            problems.append(f"SIA task {sia_id} {task['name']!r} has no Salesforce twin")
    for sf_id, rec in sides.sf.items():
        if sf_id not in linked_sf and sf_id not in unsynced_sf:
            problems.append(f"Salesforce task {sf_id} {rec['Subject']!r} has no SIA twin")
    for lk in sides.links:
        task, rec = sides.sia.get(lk.sia_id), sides.sf.get(lk.sf_id)
        if not lk.live:
            if task is not None or rec is not None:  # a resurrection
                problems.append(f"deleted link {lk.sia_id}/{lk.sf_id} has a live side again")
            continue
        if task is None or rec is None:
            problems.append(
                f"live link {lk.sia_id}/{lk.sf_id} is missing a side (sia={task is not None}, "
                f"sf={rec is not None})"
            )
            continue
        for p in mapping_problems(task, rec, subject_is_name=subject_is_name):
            problems.append(f"{lk.sia_id}/{lk.sf_id}: {p}")
        if lk.sia_hash != content_hash(sia_view(task)):
            problems.append(f"state of {lk.sia_id} differs from SIA: {lk.sia_values} vs {sia_view(task)}")
        if lk.sf_hash != content_hash(sf_view(rec)):
            problems.append(f"state of {lk.sf_id} differs from Salesforce: {lk.sf_values} vs {sf_view(rec)}")
    return problems


def assert_converged(h, user_id: str | None = None, owner_id: str | None = None, **kw) -> Sides:
    problems = convergence_problems(h, user_id, owner_id, **kw)
    assert not problems, "\n".join(problems)
    return read_sides(h, user_id, owner_id)


# -- state dumps (F9) -----------------------------------------------------------------------------
def dump_state(h) -> dict:
    """The status DB's content, minus the run log and the pass timestamp (which every pass moves)."""
    out: dict = {}
    with h.state.sessions() as s:
        for model in (Link, Cursor, TaskError, ConflictRecord, DeletionRecord, UserState):
            rows = []
            for row in s.scalars(select(model)):
                values = {c.name: getattr(row, c.name) for c in model.__table__.columns}
                values.pop("last_pass_at", None)
                rows.append(values)
            out[model.__tablename__] = sorted(rows, key=repr)
    return out


# -- call floors (§4.3) ------------------------------------------------------------------------------
def sf_floor(reads: int, upserts: int = 0, updates: int = 0, deletes: int = 0) -> int:
    """Salesforce floor of one pass: max(1, ceil(N/2000)) reads + ceil(M/200) per collection verb."""
    return max(1, math.ceil(reads / 2000)) + sum(math.ceil(m / 200) for m in (upserts, updates, deletes))


def sia_floor(reads: int, ops: int = 0) -> int:
    """SIA floor of one pass: max(1, ceil(N/1000)) change-list pages + ceil(M/200) batch calls."""
    return max(1, math.ceil(reads / 1000)) + math.ceil(ops / 200)
