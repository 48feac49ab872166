"""The pure planner: (last synced, SIA now, Salesforce now) -> actions, through one decision table.

Observations, not pending work (Dropbox Nucleus): for each link the state store keeps what both
sides looked like when last synced (values, content hash, each side's own modification stamp).
This module classifies every task seen in a pass into a row of the tables below and turns the row
into small actions (vdirsyncer `_get_actions` style). It does no I/O and reads no clock.

Row keys for a live link are (SIA state, Salesforce state):
  A = absent from this pass's changes (so, as last synced)   S = present, same content hash
  C = present, changed content      D = deleted (SIA tombstone / Salesforce IsDeleted)
  P = purged: gone even from the recycle bin (found by the linked-id check, R3.4)

Conflict timing (R4.3, decided): when a field changed on both sides, the "later change" is the one
that happened longer after the last sync of this task. `sia_stamp` / `sf_stamp` of a link are the
moment of that last sync on each side's OWN clock (SIA's clock when it answered the sync's write or
read, Salesforce's likewise - set by the engine), so both elapsed times start at the same instant
and each is measured on one clock (`stamp_delta`): the two systems' clocks are never compared and a
constant skew between them cancels out. SIA wins an exact tie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sync import mapping, rules
from sync.actions import (
    KINDS,
    Action,
    CreateInSalesforce,
    Import,
    Reconcile,
    Restore,
    SkipOld,
    SkipPreexisting,
)
from sync.domain import (
    EXTERNAL_ID_FIELD,
    Conflict,
    LinkObs,
    Row,
    content_hash,
    sf_view,
    sia_view,
    stamp_delta,
)
from tasksync_common.instants import parse_instant

__all__ = ["LINKED", "SF_UNLINKED", "SIA_UNLINKED", "TOMBSTONE", "Action", "Context", "LinkObs", "plan"]

A, S, C, D, P = "A", "S", "C", "D", "P"

# --- the decision tables ------------------------------------------------------------------------
# A live link: (SIA state, Salesforce state) -> (row, rule ids).
LINKED: dict[tuple[str, str], tuple[str, str]] = {
    (A, A): ("noop", "R4.5"),
    (A, S): ("observe", "R4.5"),
    (S, A): ("observe", "R4.5"),
    (S, S): ("observe", "R4.5"),
    (C, A): ("push", "R4.1"),
    (C, S): ("push", "R4.1"),
    (A, C): ("pull", "R4.2"),
    (S, C): ("pull", "R4.2"),
    (C, C): ("merge", "R4.3"),
    (D, A): ("delete_sf", "R4.1 R4.4"),
    (D, S): ("delete_sf", "R4.1 R4.4"),
    (D, C): ("delete_sf", "R4.4"),
    (A, D): ("delete_sia", "R4.2 R3.4"),
    (S, D): ("delete_sia", "R4.2 R3.4"),
    (C, D): ("delete_sia", "R4.4"),
    (A, P): ("delete_sia", "R3.4"),
    (S, P): ("delete_sia", "R3.4"),
    (C, P): ("delete_sia", "R3.4 R4.4"),
    (D, D): ("forget", "R4.4"),
    (D, P): ("forget", "R4.4"),
}
# A link whose tasks were deleted (tombstone): Salesforce state -> (row, rule ids).
TOMBSTONE: dict[str, tuple[str, str]] = {
    A: ("noop", "R4.4"),
    S: ("restore", "R4.7"),
    C: ("restore", "R4.7"),
    D: ("noop", "R4.4"),
    P: ("noop", "R4.4"),
}
# An SIA task with no link: state -> (row, rule ids).
#   new = created at/after the current enabling; old = created before it (or during a pause)
SIA_UNLINKED: dict[str, tuple[str, str]] = {
    "new": ("create_sf", "R4.1 R3.2"),
    "old": ("skip_preexisting", "R3.2 R3.6 R1.3"),
    "deleted": ("noop", "R4.1"),
}
# A Salesforce task with no link: state -> (row, rule ids).
#   pending = carries the External ID of an SIA task being created in this very pass (R4.6)
#   in_window = changed at/after the import floor (24 h before enabling); old = before it
SF_UNLINKED: dict[str, tuple[str, str]] = {
    "pending": ("noop", "R4.6"),
    "in_window": ("import", "R3.1 R3.3 R3.6 R4.2"),
    "old": ("skip_old", "R3.3"),
    "deleted": ("noop", "R4.2"),
}


# --- inputs and outputs -----------------------------------------------------------------------
@dataclass
class Context:
    """What the planner needs to know about the user and the instance."""

    owner_id: str
    enabled_at: datetime | None  # SIA's last_enabled_at (SIA clock)
    import_floor: datetime | None  # lower bound for importing unlinked Salesforce tasks (R3.3)
    template: str | None
    render: mapping.Renderer


# --- classification -------------------------------------------------------------------------
def sia_state(link: LinkObs, task: Row | None) -> str:
    if task is None:
        return A
    if task.get("deleted_at"):
        return D
    return S if content_hash(sia_view(task)) == link.sia_hash else C


def sf_state(link: LinkObs, record: Row | None, purged: bool) -> str:
    if purged:
        return P
    if record is None:
        return A
    if record.get("IsDeleted"):
        return D
    return S if content_hash(sf_view(record)) == link.sf_hash else C


def unlinked_sia_state(task: Row, ctx: Context) -> str:
    if task.get("deleted_at"):
        return "deleted"
    # R3.2 / R3.6 / R1.3: compare the task's SIA creation with SIA's last enabling (one clock).
    if ctx.enabled_at and parse_instant(task["created_at"]) < ctx.enabled_at:
        return "old"
    return "new"


def unlinked_sf_state(record: Row, ctx: Context, pending_sia_ids: set[str]) -> str:
    if record.get("IsDeleted"):
        return "deleted"
    if record.get(EXTERNAL_ID_FIELD) and record[EXTERNAL_ID_FIELD] in pending_sia_ids:
        return "pending"
    if ctx.import_floor and parse_instant(record["SystemModstamp"]) < ctx.import_floor:
        return "old"
    return "in_window"


# --- the planner ------------------------------------------------------------------------------
def plan(
    links: list[LinkObs],
    sia_changes: dict[str, Row],
    sf_changes: dict[str, Row],
    ctx: Context,
    purged: dict[str, str] | None = None,
) -> list[Action]:
    """All actions for one user's pass. `purged` maps Salesforce ids found gone to how it was found."""
    purged = purged or {}
    by_sia = {link.sia_id: link for link in links}
    by_sf = {link.sf_id: link for link in links}
    actions: list[Action] = []
    seen: set[int] = set()

    touched = [by_sia[i] for i in sia_changes if i in by_sia]
    touched += [by_sf[i] for i in sf_changes if i in by_sf]
    touched += [by_sf[i] for i in purged if i in by_sf]
    for link in touched:
        if id(link) in seen:
            continue
        seen.add(id(link))
        task, record = sia_changes.get(link.sia_id), sf_changes.get(link.sf_id)
        if link.live:
            key = (sia_state(link, task), sf_state(link, record, link.sf_id in purged))
            row, rule_ids = LINKED[key]
        else:
            row, rule_ids = TOMBSTONE[sf_state(link, record, link.sf_id in purged)]
        action = _linked_action(row, rule_ids, link, task, record, ctx, purged.get(link.sf_id))
        if action is not None:
            actions.append(action)

    pending: set[str] = set()
    for sia_id, task in sia_changes.items():
        if sia_id in by_sia:
            continue
        row, rule_ids = SIA_UNLINKED[unlinked_sia_state(task, ctx)]
        if row == "create_sf":
            pending.add(sia_id)
            actions.append(_create_sf(task, ctx, rule_ids))
        elif row == "skip_preexisting":
            actions.append(SkipPreexisting(rule_ids, sia_task=task))
    for sf_id, record in sf_changes.items():
        if sf_id in by_sf:
            continue
        row, rule_ids = SF_UNLINKED[unlinked_sf_state(record, ctx, pending)]
        if row == "import":
            actions.append(_import(record, rule_ids, generation=0))
        elif row == "skip_old":
            actions.append(SkipOld(rule_ids, sf_record=record))
    return actions


_HOW_FOUND = {
    "delete_sf": "SIA deletion",
    "delete_sia": "Salesforce recycle bin (IsDeleted)",
    "forget": "deleted on both sides",
}


def _linked_action(
    row: str,
    rule_ids: str,
    link: LinkObs,
    task: Row | None,
    record: Row | None,
    ctx: Context,
    how_found: str | None,
) -> Action | None:
    if row == "noop":
        return None
    kind = KINDS[row]
    if issubclass(kind, Reconcile):
        return reconcile(kind, rule_ids, link, task, record, ctx)
    if issubclass(kind, Restore):
        assert record is not None
        return _import(record, rule_ids, generation=link.generation + 1, link=link)
    found = (how_found if row == "delete_sia" else None) or _HOW_FOUND.get(row)
    return kind(rule_ids, link=link, sia_task=task, sf_record=record, how_found=found)


def _import(record: Row, rule_ids: str, generation: int, link: LinkObs | None = None) -> Action:
    data = mapping.sia_import_fields(record)
    action = (Restore if link else Import)(
        rule_ids,
        link=link,
        sf_record=record,
        sia_patch=data,
        new_sf_values=sf_view(record),
        # Derived from the Salesforce id (and how often it came back, R4.7): a retried import
        # returns the first SIA task instead of making a second (R4.6).
        idempotency_key=f"sf-{record['Id']}-{generation}",
    )
    long_fields = rules.too_long(data, rules.SIA_LIMITS)
    if long_fields:
        action.error = ("STRING_TOO_LONG", f"R2.5: {', '.join(long_fields)} longer than SIA allows")
    return action


def _create_sf(task: Row, ctx: Context, rule_ids: str) -> Action:
    fields = mapping.sf_create_fields(task, ctx.template, ctx.owner_id, ctx.render)
    action = CreateInSalesforce(
        rule_ids,
        sia_task=task,
        sf_patch=fields,
        new_sia_values=sia_view(task),
        new_sf_values=mapping.sf_view_of_create(fields),
    )
    long_fields = rules.too_long(fields, rules.SF_LIMITS)
    if long_fields:
        action.error = ("STRING_TOO_LONG", f"R2.5: {', '.join(long_fields)} longer than Salesforce allows")
    return action


def reconcile(
    kind: type[Action], rule_ids: str, link: LinkObs, task: Row | None, record: Row | None, ctx: Context
) -> Action:
    """Field-by-field merge (R4.3) of one live link; also covers one-sided push (R4.1) and pull (R4.2)."""
    sia_last, sf_last = link.sia_values, link.sf_values
    sia_cur = sia_view(task) if task else dict(sia_last)
    sf_cur = sf_view(record) if record else dict(sf_last)
    # Elapsed time since the last sync, each on its own system's clock (see module docstring).
    d_sia = stamp_delta(task.get("updated_at") if task else None, link.sia_stamp)
    d_sf = stamp_delta(record.get("SystemModstamp") if record else None, link.sf_stamp)
    sia_is_later = d_sia >= d_sf  # R4.3: SIA wins an exact tie
    sia_patch: Row = {}
    sf_patch: Row = {}
    conflicts: list[Conflict] = []

    for sia_field, sf_field in rules.MERGE_FIELDS.items():
        sia_changed = sia_cur.get(sia_field) != sia_last.get(sia_field)
        sf_changed = sf_cur.get(sf_field) != sf_last.get(sf_field)
        sia_value, sf_raw = sia_cur.get(sia_field), sf_cur.get(sf_field)
        sf_meaning = rules.TO_SIA[sia_field](sf_raw)
        winner = None
        if sia_changed and sf_changed:
            if sf_meaning == sia_value:
                continue  # both sides made the same edit: nothing to do, no conflict
            winner = "sia" if sia_is_later else "salesforce"
            conflicts.append(Conflict(sia_field, sia_value, sf_raw, winner))  # R4.3: recorded
        elif sia_changed:
            winner = "sia"
        elif sf_changed:
            winner = "salesforce"
        if winner == "sia":
            if not rules.sf_equivalent(sia_field, sf_raw, sia_value):
                sf_patch[sf_field] = rules.TO_SF[sia_field](sia_value)
        elif winner == "salesforce":
            # R2.2a / R2.3a: a non-synced Salesforce value leaves the SIA value as it was.
            if sf_meaning is None and sia_field in rules.MAY_BE_UNSYNCED:
                continue
            if sf_meaning != sia_value:
                sia_patch[sia_field] = sf_meaning

    # R5: the SIA name reaches the Subject only through the template's {{activity_subject}};
    # Salesforce subject edits never reach SIA (R5.2).
    name_changed = sia_cur.get("name") != sia_last.get("name")
    subject_changed = sf_cur.get("Subject") != sf_last.get("Subject")
    if name_changed and task is not None and rules.template_uses_subject(ctx.template):  # R5.1, R5.3
        subject = ctx.render(ctx.template, task)
        if subject_changed and not sia_is_later:
            conflicts.append(Conflict("name", sia_cur.get("name"), sf_cur.get("Subject"), "salesforce"))
        else:
            if subject_changed and subject != sf_cur.get("Subject"):
                conflicts.append(Conflict("name", sia_cur.get("name"), sf_cur.get("Subject"), "sia"))
            if subject != sf_cur.get("Subject"):
                sf_patch["Subject"] = subject

    new_sia = {**sia_cur, **sia_patch}
    new_sf = {**sf_cur, **sf_patch}
    action = kind(
        rule_ids,
        link=link,
        sia_task=task,
        sf_record=record,
        sia_patch=sia_patch,
        sf_patch=sf_patch,
        new_sia_values=new_sia,
        new_sf_values=new_sf,
        conflicts=conflicts,
    )
    too_long = rules.too_long(sf_patch, rules.SF_LIMITS) + rules.too_long(sia_patch, rules.SIA_LIMITS)
    if too_long:
        action.error = ("STRING_TOO_LONG", f"R2.5: {', '.join(too_long)} too long for the other side")
    return action
