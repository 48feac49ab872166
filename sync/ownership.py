"""R1.1/R1.4: one Salesforce user per SIA user, and only their tasks.

A change of Salesforce connection is a new start; a task reassigned in Salesforce to another user
has its link retired (both tasks untouched) and is never written again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sync.actions import Action, DeleteInSalesforce, Reconcile
from sync.domain import LinkObs, Row
from sync.state.store import Batch

if TYPE_CHECKING:
    from sync.engine import Engine
    from sync.ports import SalesforcePort
    from sync.report import UserReport
    from sync.state.models import UserState

SIA, SF = "sia", "salesforce"
log = logging.getLogger("tasksync")


def check_connection(
    engine: Engine, uid: str, conn: Row, st: UserState, ur: UserReport, run_id: int | None
) -> bool:
    """A different Salesforce connection than the state was built with is a new start (R1.1/R1.4).

    The identity is the Salesforce username (unique across all of Salesforce), plus the user id
    when the connection names one that differs from the owner the state holds. On a change the
    user's live links are retired (their SIA tasks stay, unsynced), both bookmarks and the
    per-task errors are dropped, the owner is looked up again, and the start is a first one -
    nothing of the old Salesforce user flows any more. A state without an identity (made before
    it was stored) adopts the current connection. Returns whether the state was renewed.
    """
    identity = (conn.get("username") or "").strip().lower()
    given = conn.get("salesforce_user_id")
    changed = st.sf_connection is not None and st.sf_connection != identity
    changed |= bool(given and st.salesforce_user_id and given != st.salesforce_user_id)
    if not changed:
        if st.sf_connection != identity:
            st.sf_connection = identity
            engine.state.save_user(st)
        return False
    log.info(
        "user %s: the Salesforce connection changed (%s -> %s): a new start",
        uid,
        st.sf_connection,
        identity,
    )
    unlink(
        engine,
        uid,
        [link for link in engine.state.links(uid) if link.live],
        ur,
        run_id,
        reason="the Salesforce connection changed (R1.1/R1.4): a new start",
    )
    batch = Batch(cleared=[(e.side, e.task_id) for e in engine.state.task_errors(uid)])
    engine.state.commit(uid, batch, engine.clock.now(), run_id)
    for side in (SF, SIA):
        engine.state.set_cursor(uid, side, None, None)
    st.sf_connection = identity
    st.salesforce_user_id = None
    st.enabled_at_seen = st.import_floor = st.start_kind = None
    st.last_pass_at = st.last_sweep_at = None
    engine.state.save_user(st)
    return True


def unlink(
    engine: Engine,
    uid: str,
    links: list[LinkObs],
    ur: UserReport,
    run_id: int | None,
    reason: str | None = None,
) -> None:
    """Retire links without touching either task: the SIA task stays with its user, unsynced.

    A retired link is a tombstone to the planner, so later edits or deletions of that SIA task
    write nothing to Salesforce (R1.4), and the Salesforce task is never imported back for it.
    """
    if not links:
        return
    for link in links:
        link.live = False
        ur.unlinked.append(
            {
                "sia_id": link.sia_id,
                "sf_id": link.sf_id,
                "reason": reason or "reassigned in Salesforce to another user (R1.4): no longer synced",
            }
        )
    engine.state.commit(uid, Batch(links=list(links)), engine.clock.now(), run_id)


def check_owner(
    engine: Engine,
    uid: str,
    sf: SalesforcePort,
    owner: str,
    actions: list[Action],
    ur: UserReport,
    run_id: int | None,
) -> list[Action]:
    """R1.4: Salesforce updates and deletions go by Id, which carries no owner; before sending any
    to a task this pass did not read (the read is filtered by owner), read those ids once more
    (one query per 200, only in passes that have such writes) and drop the writes - retiring the
    link - for tasks that another Salesforce user owns now."""
    unread = [
        (a, a.link)
        for a in actions
        if a.link is not None
        and a.sf_record is None
        and (isinstance(a, DeleteInSalesforce) or (isinstance(a, Reconcile) and a.sf_patch))
    ]
    if not unread:
        return actions
    current = {r["Id"]: r for r in sf.by_ids([link.sf_id for _, link in unread])}
    moved = [
        (a, link)
        for a, link in unread
        if link.sf_id in current and current[link.sf_id].get("OwnerId") not in (None, owner)
    ]
    if not moved:
        return actions
    unlink(engine, uid, [link for _, link in moved], ur, run_id)
    dropped = {id(a) for a, _ in moved}
    return [a for a in actions if id(a) not in dropped]
