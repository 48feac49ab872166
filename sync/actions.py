"""One class per kind of planned action (vdirsyncer `Upload`/`Update`/`Delete`/`ResolveConflict` style).

Each kind owns what it sends to SIA (`sia_op`), what it sends to Salesforce (`sf_write`), which task
keys it concerns (`task_keys`, for errors) and what it records in the state once done (`record`).
The planner picks the kind from its decision tables (`row`, the table's name for it); the engine
batches the writes and calls these methods, with no dispatch on row names.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sync.domain import Conflict, LinkObs, Row, content_hash, instant, later_stamp, sf_view, sia_view
from tasksync_common.instants import parse_instant

if TYPE_CHECKING:
    from sync.report import UserReport
    from sync.state.store import Batch

SIA, SF = "sia", "salesforce"


@dataclass
class ReadAt:
    """Each side's own clock at this pass's read (its `server_time`), for the R4.3 baselines."""

    sia: str | None = None
    sf: str | None = None


@dataclass
class Pending:
    """One action on its way: the answers each side gave to its writes."""

    action: Action
    sia_result: Row | None = None
    sf_result: Row | None = None
    sf_written_at: str | None = None  # Salesforce's clock when our write of this task was answered
    failed: bool = False

    def done(self, batch: Batch, ur: UserReport, read_at: ReadAt) -> None:
        self.action.record(batch, ur, self, read_at)


@dataclass
class Action:
    rules: str
    link: LinkObs | None = None
    sia_task: Row | None = None
    sf_record: Row | None = None
    sia_patch: Row = field(default_factory=dict)  # update (or create data) for SIA
    sf_patch: Row = field(default_factory=dict)  # update (or create fields) for Salesforce
    new_sia_values: Row | None = None
    new_sf_values: Row | None = None
    conflicts: list[Conflict] = field(default_factory=list)
    how_found: str | None = None
    idempotency_key: str | None = None
    error: tuple[str, str] | None = None  # (code, message) when the action cannot be done (R2.5)

    row: ClassVar[str]  # the decision tables' name of this kind
    keys_sia: ClassVar[bool] = True  # whether its SIA task is known before it runs (for errors)
    keys_sf: ClassVar[bool] = True

    def needs_write(self) -> bool:
        """Whether applying it calls either side (else it is only bookkeeping in the state)."""
        return True

    def sia_op(self) -> Row | None:
        """Its operation in an SIA batch call, if any."""
        return None

    def sf_write(self) -> tuple[str, Any] | None:
        """(upsert | update | delete, the item) of its Salesforce collection call, if any."""
        return None

    def task_keys(self) -> list[tuple[str, str]]:
        keys = []
        sia_id = (self.sia_task or {}).get("id") or (self.link.sia_id if self.link else None)
        sf_id = (self.sf_record or {}).get("Id") or (self.link.sf_id if self.link else None)
        if sia_id and self.keys_sia:
            keys.append((SIA, sia_id))
        if sf_id and self.keys_sf:
            keys.append((SF, sf_id))
        return keys

    def record(self, batch: Batch, ur: UserReport, p: Pending, read_at: ReadAt) -> None:
        """Note it as done in the state (see the R4.3 note at `_done_link`)."""
        batch.cleared += self.task_keys()
        self._record(batch, ur, p, read_at)

    def _record(self, batch: Batch, ur: UserReport, p: Pending, read_at: ReadAt) -> None:
        raise NotImplementedError

    def _link(self) -> LinkObs:
        assert self.link is not None, f"{self.row} needs a link"
        return self.link

    def to_json(self) -> Row:
        """Its JSON form for an intent (a shallow copy: `dataclasses.asdict` deep-copied every task
        and cost the push 10 % of its time - issue 9)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["link"] = _link_json(self.link) if self.link else None
        data["conflicts"] = [dict(vars(c)) for c in self.conflicts]
        return {"row": self.row, **data}


class Skip(Action):
    """A task the rules leave alone (counted as skipped)."""

    def needs_write(self) -> bool:
        return False

    def record(self, batch: Batch, ur: UserReport, p: Pending, read_at: ReadAt) -> None:
        ur.skipped += 1


class SkipPreexisting(Skip):
    row = "skip_preexisting"  # R3.2: an SIA task older than the enabling


class SkipOld(Skip):
    row = "skip_old"  # R3.3: a Salesforce task older than the import window


class Observe(Action):
    row = "observe"

    def needs_write(self) -> bool:
        return False

    def record(self, batch: Batch, ur: UserReport, p: Pending, read_at: ReadAt) -> None:
        """R4.5: content unchanged (an echo of our own write or a system touch) - nothing to write.

        A version not seen before (its stamp after the side's baseline) is a sync of this link: both
        baselines move to this pass's clocks (R4.3). A row read again with nothing new - a look-back
        re-read (F11) - leaves the state untouched, so an idle pass changes nothing (F9).
        """
        link = self._link()
        task, record = self.sia_task, self.sf_record
        newer = (task is not None and _after(task["updated_at"], link.sia_stamp)) or (
            record is not None and _after(record["SystemModstamp"], link.sf_stamp)
        )
        if newer:
            link.sia_stamp = later_stamp(read_at.sia, task["updated_at"] if task else None) or link.sia_stamp
            link.sf_stamp = (
                later_stamp(read_at.sf, record["SystemModstamp"] if record else None) or link.sf_stamp
            )
            batch.links.append(link)


class Import(Action):
    """A Salesforce task made into a new SIA task (R3.1, R4.2)."""

    row = "import"
    keys_sia = False

    def sia_op(self) -> Row | None:
        return {"op": "create", "idempotency_key": self.idempotency_key, "data": self.sia_patch}

    def _generation(self) -> int:
        return 0

    def _record(self, batch: Batch, ur: UserReport, p: Pending, read_at: ReadAt) -> None:
        assert p.sia_result is not None and self.sf_record is not None
        task, record = p.sia_result["data"], self.sf_record
        link = self.link or LinkObs(sia_id=task["id"], sf_id=record["Id"])
        link.sia_id, link.live = task["id"], True
        link.generation = self._generation()
        _set_sia(link, sia_view(task), instant(task.get("updated_at")))
        _set_sf(link, sf_view(record), later_stamp(read_at.sf, record["SystemModstamp"]))
        batch.links.append(link)
        batch.cleared.append((SF, record["Id"]))
        ur.created[SIA] += 1


class Restore(Import):
    """R4.7: a Salesforce task restored from the recycle bin comes back as a new SIA task."""

    row = "restore"

    def _generation(self) -> int:
        return self._link().generation + 1


class CreateInSalesforce(Action):
    """R4.1: a new SIA task, upserted into Salesforce by its External ID."""

    row = "create_sf"
    keys_sf = False

    def sf_write(self) -> tuple[str, Any] | None:
        return ("upsert", self.sf_patch)

    def _record(self, batch: Batch, ur: UserReport, p: Pending, read_at: ReadAt) -> None:
        assert self.sia_task is not None and p.sf_result is not None
        task = self.sia_task
        link = LinkObs(sia_id=task["id"], sf_id=p.sf_result["id"])
        _set_sia(link, sia_view(task), later_stamp(read_at.sia, task.get("updated_at")))
        _set_sf(link, self.new_sf_values or {}, instant(p.sf_written_at or read_at.sf))
        batch.links.append(link)
        ur.created[SF] += 1


class Reconcile(Action):
    """A live link changed on one side or both: a field-by-field merge (R4.1, R4.2, R4.3)."""

    def needs_write(self) -> bool:
        return bool(self.sia_patch or self.sf_patch)

    def sia_op(self) -> Row | None:
        if not self.sia_patch:
            return None
        return {"op": "update", "id": self._link().sia_id, "data": self.sia_patch}

    def sf_write(self) -> tuple[str, Any] | None:
        if not self.sf_patch:
            return None
        return ("update", {"Id": self._link().sf_id, **self.sf_patch})

    def _record(self, batch: Batch, ur: UserReport, p: Pending, read_at: ReadAt) -> None:
        link = self._link()
        task, record = self.sia_task, self.sf_record
        if self.sia_patch:
            assert p.sia_result is not None
            written = p.sia_result["data"]
            _set_sia(link, sia_view(written), instant(written.get("updated_at")))
            ur.updated[SIA] += 1
        else:
            values = sia_view(task) if task else (self.new_sia_values or {})
            stamp = later_stamp(read_at.sia, task.get("updated_at") if task else None)
            _set_sia(link, values, stamp or link.sia_stamp)
        if self.sf_patch and p.sf_written_at:
            sf_stamp = instant(p.sf_written_at)
        else:
            sf_stamp = later_stamp(read_at.sf, record["SystemModstamp"] if record else None) or link.sf_stamp
        _set_sf(link, self.new_sf_values or {}, sf_stamp)
        if self.sf_patch:
            ur.updated[SF] += 1
        batch.links.append(link)
        for c in self.conflicts:
            entry = {
                "sia_id": link.sia_id,
                "sf_id": link.sf_id,
                "field": c.field,
                "sia_value": _text(c.sia_value),
                "sf_value": _text(c.sf_value),
                "winner": c.winner,
            }
            batch.conflicts.append(entry)
            ur.conflicts.append(entry)


class Push(Reconcile):
    row = "push"


class Pull(Reconcile):
    row = "pull"


class Merge(Reconcile):
    row = "merge"


class Deletion(Action):
    """A link ends: the task is deleted in one side, or was deleted in both (R4.4)."""

    deleted_in: ClassVar[str]

    def _record(self, batch: Batch, ur: UserReport, p: Pending, read_at: ReadAt) -> None:
        link = self._link()
        link.live = False
        batch.links.append(link)
        if self.deleted_in != "both":
            ur.deleted[self.deleted_in] += 1
        entry = {
            "sia_id": link.sia_id,
            "sf_id": link.sf_id,
            "deleted_in": self.deleted_in,
            "how_found": self.how_found or "",
        }
        batch.deletions.append(entry)
        ur.deletions.append(entry)


class DeleteInSalesforce(Deletion):
    row = "delete_sf"
    deleted_in = SF

    def sf_write(self) -> tuple[str, Any] | None:
        return ("delete", self._link().sf_id)


class DeleteInSia(Deletion):
    row = "delete_sia"
    deleted_in = SIA

    def sia_op(self) -> Row | None:
        return {"op": "delete", "id": self._link().sia_id}


class Forget(Deletion):
    """R4.4: deleted on both sides - the link retires, recorded as deleted in "both", so a later
    recycle-bin restore comes back as a new SIA task (R4.7) instead of being deleted again."""

    row = "forget"
    deleted_in = "both"

    def needs_write(self) -> bool:
        return False


KINDS: dict[str, type[Action]] = {
    kind.row: kind
    for kind in (
        SkipPreexisting,
        SkipOld,
        Observe,
        Import,
        Restore,
        CreateInSalesforce,
        Push,
        Pull,
        Merge,
        DeleteInSalesforce,
        DeleteInSia,
        Forget,
    )
}


def from_json(data: Row) -> Action:
    """An action as `Action.to_json` stored it (R4.6 intents)."""
    data = dict(data)
    kind = KINDS[data.pop("row")]
    link = data.pop("link", None)
    conflicts = data.pop("conflicts", None) or []
    error = data.pop("error", None)
    return kind(
        **data,
        link=_link_from_json(link) if link else None,
        conflicts=[Conflict(**c) for c in conflicts],
        error=(error[0], error[1]) if error else None,
    )


STAMPS = ("sia_stamp", "sf_stamp")


def _link_json(link: LinkObs) -> Row:
    data = dict(vars(link))
    for name in STAMPS:  # instants as ISO text, to the microsecond (read back exactly)
        data[name] = data[name].isoformat() if data[name] else None
    return data


def _link_from_json(data: Row) -> LinkObs:
    return LinkObs(**{**data, **{name: instant(data.get(name)) for name in STAMPS}})


def fail(batch: Batch, ur: UserReport, action: Action, code: str | None, message: str) -> None:
    """Skip this task (recorded, retried next pass), never blocking the rest."""
    keys = action.task_keys()
    for side, task_id in keys:
        batch.errors.append((side, task_id, code, message))
    ur.errors.append(
        {"row": action.row, "rules": action.rules, "code": code, "message": message, "task": dict(keys)}
    )


# R4.3 baselines: whatever touched a live link, its SIA stamp becomes SIA's clock at this sync (the
# `updated_at` SIA returned for our write, else SIA's clock at this pass's read) and its Salesforce
# stamp Salesforce's clock at this sync (its clock right after our write, else at the read) - so "time
# since the last sync" starts at the same moment on both sides, each measured on its own clock, and
# the two clocks are never compared with each other.
def _set_sia(link: LinkObs, values: Row, stamp: datetime | None) -> None:
    link.sia_values = dict(values)
    link.sia_hash = content_hash(link.sia_values)
    link.sia_stamp = stamp


def _set_sf(link: LinkObs, values: Row, stamp: datetime | None) -> None:
    link.sf_values = dict(values)
    link.sf_hash = content_hash(link.sf_values)
    link.sf_stamp = stamp


def _after(stamp: str, baseline: datetime | None) -> bool:
    """Whether the wire `stamp` lies after `baseline` (both of ONE system's clock; no baseline: yes)."""
    return baseline is None or parse_instant(stamp) > baseline


def _text(value: object) -> str | None:
    return None if value is None else str(value)
