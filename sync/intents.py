"""R4.6/F8 write-ahead intents: what the engine is about to send is stored before it is sent.

An intent is one write - its side, kind (create | upsert | update | delete), target (the SIA id, the
Salesforce id, or for an upsert the External ID `SIA_Task_Id__c`), the exact item sent (with its
Idempotency-Key for an SIA create) and the planned row it belongs to. The engine stores a chunk's
intents in one commit right before the chunk's call, and deletes them in the commit that records the
answer (links, errors). An intent still stored at the start of a user's pass belongs to a pass that
died between sending and recording; it is resolved before anything is planned:

* SIA create (import, restore): the stored operation is sent again, byte for byte, with the same
  Idempotency-Key - SIA answers with the task it already made (or makes it now) - and the task is
  linked from that answer, the intent done in the same commit as the link.
* Salesforce upsert (create_sf): the task is looked up by its External ID; found, it is linked; not
  found, the stored record is upserted again by that External ID and linked.
* update, delete: they carry no identity, so nothing can be duplicated. After this pass's reads, an
  intent whose write visibly landed (the written side's row now shows exactly the planned values, or
  the deletion) finishes its row as if the answer had come; any other is dropped and the task is
  planned again from its last synced state, which is what it still is in the state database.

Planning then runs as usual against the links so made, so a change made after the crash (the rep
edited the task meanwhile) is applied as an ordinary update. No write is ever planned again with a
reused key and a new body. Resolution costs calls only after a crash (one batch per 200 SIA creates,
one query per 200 upserts); a pass without a crash makes no extra call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sync.actions import Action, Pending, ReadAt, fail, from_json
from sync.domain import EXTERNAL_ID_FIELD, Row, sf_view, sia_view
from sync.errors import DONE, outcome_for
from sync.state.models import Intent
from sync.state.store import Batch

if TYPE_CHECKING:
    from sync.engine import Engine
    from sync.ports import SalesforcePort
    from sync.report import UserReport

SIA, SF = "sia", "salesforce"


def for_sia(action: Action, op: Row) -> Row:
    """The intent of one SIA batch operation (exactly as sent)."""
    kind = op["op"]
    target = op.get("id") or (action.sf_record or {}).get("Id")
    return {
        "side": SIA,
        "kind": kind,
        "target": target,
        "body": op,
        "idempotency_key": op.get("idempotency_key"),
        "action": action.to_json(),
    }


def for_salesforce(action: Action, kind: str, body: Any) -> Row:
    """The intent of one Salesforce item: an upsert/update record or the id to delete."""
    target = body.get(EXTERNAL_ID_FIELD) if kind == "upsert" else (action.link.sf_id if action.link else None)
    return {
        "side": SF,
        "kind": kind,
        "target": target,
        "body": body if isinstance(body, dict) else {"id": body},
        "idempotency_key": None,
        "action": action.to_json(),
    }


def resolve_creates(
    engine: Engine, uid: str, sf: SalesforcePort, ur: UserReport, run_id: int | None
) -> list[Intent]:
    """Finish the creates a dead pass sent (or was about to); returns the other intents, for later."""
    pending = engine.state.intents(uid)
    if not pending:
        return []
    at = engine.clock.now()
    read_at = ReadAt()
    size = engine.settings.batch_size
    sia_creates = [i for i in pending if i.side == SIA and i.kind == "create"]
    for start in range(0, len(sia_creates), size):
        chunk = sia_creates[start : start + size]
        results = engine.sia.batch(uid, [i.body for i in chunk])  # the stored bodies, same keys
        batch = Batch(intents_done=[i.id for i in chunk])
        for intent, result in zip(chunk, results, strict=True):
            p = Pending(from_json(intent.action), sia_result=result)
            if result.get("status", 500) >= 300:
                error = result.get("error") or {}
                if outcome_for(error.get("code"), result.get("status", 500)) != DONE:
                    p.failed = True
                    fail(batch, ur, p.action, error.get("code"), error.get("message") or "rejected")
                    continue
            p.done(batch, ur, read_at)
        engine.state.commit(uid, batch, at, run_id)

    upserts = [i for i in pending if i.side == SF and i.kind == "upsert"]
    for start in range(0, len(upserts), size):
        chunk = upserts[start : start + size]
        found = {r[EXTERNAL_ID_FIELD]: r for r in sf.by_external_ids([i.target or "" for i in chunk])}
        missing = [i for i in chunk if i.target not in found]
        answers: dict[int, dict[str, Any]] = {}
        if missing:
            results = sf.upsert([i.body for i in missing])  # the stored records, by the same External ID
            answers = {i.id: r for i, r in zip(missing, results, strict=True)}
        written_at = sf.server_time
        batch = Batch(intents_done=[i.id for i in chunk])
        for intent in chunk:
            action = from_json(intent.action)
            if intent.target in found:
                row = found[intent.target]
                # Salesforce's clock when our upsert made it (R4.3), not a later edit's stamp.
                p = Pending(
                    action,
                    sf_result={"id": row["Id"], "success": True},
                    sf_written_at=row.get("CreatedDate") or row["SystemModstamp"],
                )
            else:
                result = answers[intent.id]
                p = Pending(action, sf_result=result, sf_written_at=written_at)
                if not result.get("success"):
                    error = (result.get("errors") or [{}])[0]
                    code = error.get("statusCode") or error.get("errorCode")
                    fail(batch, ur, action, code, error.get("message") or "rejected")
                    continue
            p.done(batch, ur, read_at)
        engine.state.commit(uid, batch, at, run_id)
    return [i for i in pending if i.kind in ("update", "delete")]


def resolve_writes(
    engine: Engine,
    uid: str,
    intents: list[Intent],
    sia_changes: dict[str, dict[str, Any]],
    sf_changes: dict[str, dict[str, Any]],
    read_at: ReadAt,
    ur: UserReport,
    run_id: int | None,
) -> None:
    """Updates and deletions of a dead pass, judged from this pass's reads (no call): finished when
    they visibly landed, else dropped so that planning does them again from the last synced state."""
    if not intents:
        return
    batch = Batch(intents_done=[i.id for i in intents])
    finished: set[int] = set()
    for intent in intents:
        action = from_json(intent.action)
        if action.link is None or action.link.row_id in finished:
            continue
        p: Pending | None = None
        if intent.side == SIA:
            task = sia_changes.get(intent.target or "")
            if task is None or action.sf_patch:
                continue  # not seen, or a two-sided merge: planned again
            if intent.kind == "delete" and task.get("deleted_at"):
                p = Pending(action, sia_result={"status": 204})
            elif (
                intent.kind == "update"
                and not task.get("deleted_at")
                and sia_view(task) == sia_view(action.new_sia_values or {})
            ):
                p = Pending(action, sia_result={"status": 200, "data": task})
        else:
            record = sf_changes.get(intent.target or "")
            if record is None or action.sia_patch:
                continue
            if intent.kind == "delete" and record.get("IsDeleted"):
                p = Pending(action, sf_result={"success": True})
            elif (
                intent.kind == "update"
                and not record.get("IsDeleted")
                and sf_view(record) == sf_view(action.new_sf_values or {})
            ):
                p = Pending(action, sf_result={"success": True}, sf_written_at=record["SystemModstamp"])
        if p is not None:
            p.done(batch, ur, read_at)
            finished.add(action.link.row_id or 0)
    engine.state.commit(uid, batch, engine.clock.now(), run_id)
