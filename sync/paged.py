"""A large steady-state pass, page by page: peak memory O(page), not O(tasks) (issue 9).

The engine reads both change lists whole before it applies anything (F19: a half-read applies
nothing). A pass of at most `EngineSettings.stream_pass_above` rows keeps them in memory and is
planned at once (`Engine._plan_and_apply`); a larger one - or a linked-id check (R3.4/R4.2) over more
links than that - spills them into a per-pass `sync.scratch.Scratch` and runs here:

1. retries of last pass's task errors, the intents of a dead pass (R4.6/F8), the linked-id check
   (links paged from the state in id order, `by_ids` per 2000 ids) and R1.4's foreign rows - each as
   in the pass at once, against the scratch instead of dicts;
2. a snapshot of the links the rows name, and the groups: both sides of a link (merges, R2.x/R4.3),
   an unlinked SIA task with the unlinked Salesforce rows carrying its External ID (R4.6 pending);
3. F16's count of deletions inferred from absence, against all live links, before any page applies;
4. the groups with a Salesforce row first (imports, pulls, merges, deletions both ways), then those
   with SIA rows only (pushes) - `pass_page_size` groups a plan. As in the pass at once, every
   import is answered before any push is sent, so an SIA task an interrupted import made is never
   pushed back (R4.6). Writes go through queues that send full batches of 200 across pages, so a
   pass makes exactly the calls of the pass at once (per kind: ceil(items / 200)).

Bookmarks are committed by the engine after this returns, as in the pass at once.

A user's first import (no links yet) pages too, more simply: `import_by_page` plans and applies one
Salesforce page at a time, since with no links there is nothing to pair or merge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from sync import guard, intents, ownership
from sync.actions import Action, DeleteInSalesforce, DeleteInSia, Import, Pending, ReadAt, Reconcile
from sync.cursor import Bookmark, Cursor
from sync.domain import Row
from sync.planner import Context, plan
from sync.scratch import PHASE_SF, PHASE_SIA_ONLY, SF, SIA, Page, Scratch
from sync.state.models import Link

if TYPE_CHECKING:
    from sync.engine import Engine
    from sync.ports import SalesforcePort
    from sync.report import UserReport
    from sync.state.models import Intent
    from sync.state.store import StateStore

IDS_PER_READ = 2000  # ids per `by_ids` call of the paged pass: 10 queries of 200, never a partial one


class Reader:
    """Both change lists as read: in lists up to `limit` rows, then in a scratch store (all of them)."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.rows: dict[str, list[Row]] = {SF: [], SIA: []}
        self.scratch: Scratch | None = None

    def add(self, side: str, page: list[Row]) -> None:
        if self.scratch is not None:
            self.scratch.put(side, page)
            return
        self.rows[side] += page
        if self.limit is not None and len(self.rows[SF]) + len(self.rows[SIA]) > self.limit:
            self.spill()

    def spill(self) -> None:
        """From here on, the rows live in a scratch store (read order kept: a row read again wins)."""
        self.scratch = Scratch()
        for side in (SF, SIA):
            self.scratch.put(side, self.rows[side])
            self.rows[side] = []


def live_links(state: StateStore, uid: str) -> int:
    """How many live links a user has (one COUNT)."""
    with state.sessions() as s:
        q = select(func.count()).select_from(Link).where(Link.user_id == uid, Link.live.is_(True))
        return int(s.scalar(q) or 0)


def _linked_sf_ids(state: StateStore, uid: str, page: int) -> Iterator[list[str]]:
    """The Salesforce ids of a user's live links, in link id order, `page` at a time."""
    after = 0
    while True:
        with state.sessions() as s:
            q = (
                select(Link.id, Link.sf_id)
                .where(Link.user_id == uid, Link.live.is_(True), Link.id > after)
                .order_by(Link.id)
                .limit(page)
            )
            got = s.execute(q).all()
        if not got:
            return
        after = got[-1][0]
        yield [sf_id for _, sf_id in got]


class PagedPass:
    """One user's steady-state pass from a scratch store; `run` returns whether F16 held deletions."""

    def __init__(
        self,
        engine: Engine,
        uid: str,
        sf: SalesforcePort,
        ctx: Context,
        start_kind: str | None,
        ur: UserReport,
        run_id: int | None,
    ) -> None:
        self.engine, self.state, self.uid, self.sf, self.ctx = engine, engine.state, uid, sf, ctx
        self.start_kind, self.ur, self.run_id = start_kind, ur, run_id
        self.page_size = engine.settings.pass_page_size

    def run(self, scratch: Scratch, unfinished: list[Intent], checked: bool, why: str) -> bool:
        engine, uid, sf = self.engine, self.uid, self.sf
        # -- what else must be read: retries, a dead pass's writes, the linked-id check --------------
        errors = self.state.task_errors(uid)  # failed last time: read again, whatever the cursors say
        retry_sia = [e.task_id for e in errors if e.side == SIA]
        read_already = scratch.known(SIA, retry_sia)
        for task_id in [i for i in retry_sia if i not in read_already]:
            task = engine.sia.get(uid, task_id)
            if task is not None:
                scratch.put(SIA, [task])
        retry_sf = [e.task_id for e in errors if e.side == SF]
        read_already = scratch.known(SF, retry_sf)
        retry_sf = [i for i in retry_sf if i not in read_already]
        if retry_sf:
            scratch.put(SF, sf.by_ids(retry_sf))
        del errors

        read_at = ReadAt(sia=engine.sia.server_time, sf=sf.server_time)
        targets = {side: [i.target or "" for i in unfinished if i.side == side] for side in (SIA, SF)}
        intents.resolve_writes(
            engine,
            uid,
            unfinished,
            scratch.get(SIA, targets[SIA]),
            scratch.get(SF, targets[SF]),
            read_at,
            self.ur,
            self.run_id,
        )
        if checked:
            self._check_linked_ids(scratch, why)
        # R1.4: a row another Salesforce user owns now (read by id: retries, the linked-id check) is
        # never synced; a live link to it is retired - the task was reassigned.
        foreign = scratch.foreign(self.ctx.owner_id)
        if foreign:
            scratch.drop(SF, foreign)
            moved = [link for link in self.state.links_for(uid, (), foreign) if link.live]
            ownership.unlink(engine, uid, moved, self.ur, self.run_id)

        # -- the links the rows name, the groups, and F16 before anything is applied -------------------
        for ids in scratch.ids(SIA, self.page_size):
            scratch.put_links(self.state.links_for(uid, ids, ()))
        for ids in scratch.ids(SF, self.page_size):
            scratch.put_links(self.state.links_for(uid, (), scratch.without_links(SF, ids)))
        for ids in scratch.purged_ids(self.page_size):
            scratch.put_links(self.state.links_for(uid, (), scratch.without_links(SF, ids)))
        scratch.group()
        doomed = scratch.doomed()
        held = doomed > 0 and guard.holds(
            engine.settings,
            live_links(self.state, uid),
            doomed,
            {"linked-id check": doomed},
            self.start_kind,
            self.ur,
        )

        # -- plan and apply, a page of groups at a time -----------------------------------------------
        at = engine.clock.now()
        read_at = ReadAt(sia=engine.sia.server_time, sf=sf.server_time)
        queue = _WriteQueue(engine, uid, sf, self.ur, self.run_id, at, read_at, scratch)
        owners = _OwnerCheck(engine, uid, sf, self.ctx.owner_id, self.ur, self.run_id, queue.add)
        for phase in (PHASE_SF, PHASE_SIA_ONLY):
            for page in scratch.pages(phase, self.page_size):
                actions = self._plan(page)
                if held:  # F16: every deletion into SIA inferred from absence waits (see `guard`)
                    actions = [a for a in actions if not _inferred_deletion(a, page.purged)]
                owners.add(actions)
            owners.flush()
            if phase == PHASE_SF:
                queue.imports_done()  # R4.6: every import answered before any push is sent
        queue.finish()
        return held

    def _plan(self, page: Page) -> list[Action]:
        hook: Callable[[str, int, int], None] | None = self.engine.hooks.planned
        if hook:
            hook(self.uid, len(page.sia), len(page.sf))
        return plan(page.links, page.sia, page.sf, self.ctx, page.purged)

    def _check_linked_ids(self, scratch: Scratch, why: str) -> None:
        """R3.4 / R4.2: every live link's Salesforce id not read yet, read by id (2000 a call, ids in
        link order); those not found are gone even from the recycle bin."""
        how = f"linked-id check{why}: gone from Salesforce (purged from the recycle bin)"
        buffer: list[str] = []

        def read(ids: list[str]) -> None:
            found = self.sf.by_ids(ids)
            scratch.put(SF, found)
            got = {r["Id"] for r in found}
            scratch.put_purged({i: how for i in ids if i not in got})

        for ids in _linked_sf_ids(self.state, self.uid, IDS_PER_READ):
            known = scratch.known(SF, ids)
            buffer += [i for i in ids if i not in known]
            while len(buffer) >= IDS_PER_READ:
                read(buffer[:IDS_PER_READ])
                del buffer[:IDS_PER_READ]
        if buffer:
            read(buffer)


def _inferred_deletion(action: Action, purged: dict[str, str]) -> bool:
    return isinstance(action, DeleteInSia) and action.link is not None and action.link.sf_id in purged


class _OwnerCheck:
    """R1.4 `ownership.check_owner` across pages: Salesforce writes to tasks this pass did not read
    wait until 2000 of them (or the end) are read by id at once - the same queries as one check."""

    def __init__(
        self,
        engine: Engine,
        uid: str,
        sf: SalesforcePort,
        owner: str,
        ur: UserReport,
        run_id: int | None,
        then: Callable[[list[Action]], None],
    ) -> None:
        self.engine, self.uid, self.sf, self.owner, self.ur, self.run_id = engine, uid, sf, owner, ur, run_id
        self.then = then
        self.waiting: list[Action] = []

    def add(self, actions: list[Action]) -> None:
        self.then([a for a in actions if not _unread_write(a)])
        self.waiting += [a for a in actions if _unread_write(a)]
        while len(self.waiting) >= IDS_PER_READ:
            self._check(self.waiting[:IDS_PER_READ])
            del self.waiting[:IDS_PER_READ]

    def flush(self) -> None:
        if self.waiting:
            self._check(self.waiting)
            self.waiting = []

    def _check(self, actions: list[Action]) -> None:
        self.then(
            ownership.check_owner(self.engine, self.uid, self.sf, self.owner, actions, self.ur, self.run_id)
        )


def _unread_write(a: Action) -> bool:
    """The actions `ownership.check_owner` reads by id (a Salesforce write to a row not read)."""
    return (
        a.link is not None
        and a.sf_record is None
        and (isinstance(a, DeleteInSalesforce) or (isinstance(a, Reconcile) and bool(a.sf_patch)))
    )


class _WriteQueue:
    """`Engine._apply` across pages: operations wait in per-kind queues and go out in full batches of
    `batch_size`; the rest at the end. Upserts (pushes) wait until every import was answered (R4.6)."""

    def __init__(
        self,
        engine: Engine,
        uid: str,
        sf: SalesforcePort,
        ur: UserReport,
        run_id: int | None,
        at: datetime,
        read_at: ReadAt,
        scratch: Scratch,
    ) -> None:
        self.engine, self.uid, self.sf, self.ur, self.run_id = engine, uid, sf, ur, run_id
        self.at, self.read_at, self.scratch = at, read_at, scratch
        self.size = engine.settings.batch_size
        self.sia: list[tuple[Pending, Row]] = []
        self.sf_q: dict[str, list[tuple[Pending, Any]]] = {"upsert": [], "update": [], "delete": []}
        self.imported: set[str] = set()  # SIA tasks of this pass an import (re)linked (R4.6)
        self.pushes_wait = True

    def add(self, actions: list[Action]) -> None:
        if not actions:
            return
        for p in self.engine._settle(self.uid, actions, self.ur, self.run_id, self.at, self.read_at):
            op = p.action.sia_op()
            if op is not None:
                self.sia.append((p, op))
            else:
                self._to_salesforce(p)
        while len(self.sia) >= self.size:
            self._send_sia()
        self._send_salesforce(final=False)

    def imports_done(self) -> None:
        while self.sia:
            self._send_sia()
        self.pushes_wait = False
        self.sf_q["upsert"] = [(p, b) for p, b in self.sf_q["upsert"] if not self._imported(p)]
        self._send_salesforce(final=False)

    def finish(self) -> None:
        self.imports_done()
        self._send_salesforce(final=True)

    def _imported(self, p: Pending) -> bool:
        return (p.action.sia_task or {}).get("id") in self.imported

    def _send_sia(self) -> None:
        chunk, self.sia = self.sia[: self.size], self.sia[self.size :]
        self.engine._write_sia(self.uid, chunk, self.ur, self.read_at, self.at, self.run_id)
        made = [
            p.sia_result["data"]["id"]
            for p, _ in chunk
            if isinstance(p.action, Import) and p.sia_result and not p.failed
        ]
        if made:  # only those read in this pass can be pushed: the set stays small
            self.imported |= self.scratch.known(SIA, made)
        for p, _ in chunk:
            if not p.failed:
                self._to_salesforce(p)

    def _to_salesforce(self, p: Pending) -> None:
        write = p.action.sf_write()
        if write is None or p.failed:
            return
        if write[0] == "upsert" and not self.pushes_wait and self._imported(p):
            return  # R4.6: the engine's own earlier import, never pushed back
        self.sf_q[write[0]].append((p, write[1]))

    def _send_salesforce(self, final: bool) -> None:
        for kind, items in self.sf_q.items():
            if kind == "upsert" and self.pushes_wait:
                continue
            while len(items) >= self.size or (final and items):
                chunk = items[: self.size]
                del items[: self.size]
                self.engine._write_salesforce(
                    self.uid, self.sf, kind, chunk, self.ur, self.read_at, self.at, self.run_id
                )


def import_by_page(
    engine: Engine,
    uid: str,
    sf: SalesforcePort,
    owner: str,
    sf_cursor: Cursor,
    sia_cursor: Cursor,
    ctx: Context,
    ur: UserReport,
    run_id: int | None,
) -> None:
    """The pass of a user with no links yet, one Salesforce page (<= 2000 rows) at a time.

    With no links there is nothing to merge or delete: every Salesforce row is an import or a
    skip (R3.3), every SIA row a push or a skip (R3.2). SIA's changes (few: created since the
    enabling) are read first and planned with every page only for R4.6's "pending" check; the
    pushes run once, after all imports, so an SIA task an interrupted import already made is
    recognised (R4.6) and never pushed back. Bookmarks are committed at the end, as usual.
    """
    sia_rows = engine.sia.changes(uid, *engine._sia_read_bounds(sia_cursor))
    sia_changes = {t["id"]: t for t in sia_rows}
    errors = engine.state.task_errors(uid)
    for task_id in [e.task_id for e in errors if e.side == SIA and e.task_id not in sia_changes]:
        task = engine.sia.get(uid, task_id)
        if task is not None:
            sia_changes[task_id] = task
    retry_sf = {e.task_id for e in errors if e.side == SF}

    stream = sf.change_pages(owner, *engine._sf_read_bounds(sf_cursor, sf.page_size))
    first = next(stream, [])
    total = sf.last_total_size
    limit = engine.settings.stream_import_above
    if limit is None or (total if total is not None else len(first)) <= limit:
        # Small enough: read it all before applying anything (a half-read applies nothing, F19).
        first = first + [row for page in stream for row in page]
        stream = iter(())

    def pages() -> Iterator[tuple[bool, list[Row]]]:
        if retry_sf:  # failed last time: read again, whatever the cursors say
            yield True, sf.by_ids(sorted(retry_sf))
        yield False, first
        yield from ((False, page) for page in stream)

    imported: set[str] = set()
    bookmark = Bookmark(sf_cursor, engine.settings.lookback)
    for is_retry, page in pages():
        if not is_retry:
            bookmark.feed([(r["SystemModstamp"], r["Id"]) for r in page])
        changes = {r["Id"]: r for r in page if is_retry or r["Id"] not in retry_sf}
        actions = [a for a in plan([], sia_changes, changes, ctx) if a.sf_record is not None]
        imported |= engine._apply(uid, sf, actions, ur, run_id) & sia_changes.keys()
        if engine.hooks.progress and not is_retry:
            engine.hooks.progress(uid, bookmark.new, total)
    actions = [a for a in plan([], sia_changes, {}, ctx) if a.sf_record is None]
    engine._apply(uid, sf, actions, ur, run_id, already_imported=imported)
    engine.state.put_cursor(uid, SF, bookmark.result())
    sia_bookmark = Bookmark(sia_cursor, engine.settings.lookback)
    sia_bookmark.feed([(t["updated_at"], t["id"]) for t in sia_rows])
    engine.state.put_cursor(uid, SIA, sia_bookmark.result())
