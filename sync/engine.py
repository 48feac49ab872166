"""One sync pass: for every user with sync on, read changes -> plan -> apply in batches -> commit state.

    engine = Engine(sia=SiaAdapter(...), salesforce_factory=factory, state=StateStore(url), clock=clock)
    report = engine.run_pass()        # a PassReport; report.to_text() / report.to_dict()

`salesforce_factory(connection: dict)` builds the Salesforce port for one user's connection (the
`salesforce` object of SIA's `service/sync_users`); the engine keeps one per user, so each user logs
in once. Nothing here reads the wall clock: the injected `clock` stamps runs and measures gaps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from sync import actions as kinds
from sync import guard, intents, mapping, ownership, paged
from sync.actions import Action, Pending, ReadAt
from sync.budget import ApiBudget, BudgetDeferred
from sync.cursor import Bookmark, Cursor, sf_read_bounds, sia_read_bounds
from sync.domain import Row, instant
from sync.errors import DONE, ConfigError, LimitExceeded, SyncError, outcome_for, pass_error
from sync.planner import Context, plan
from sync.ports import Clock, SalesforcePort, SiaPort
from sync.report import PassReport, UserReport
from sync.state.models import Intent, UserState
from sync.state.store import Batch, StateStore
from tasksync_common.instants import iso_ms

SIA, SF = "sia", "salesforce"
log = logging.getLogger("tasksync")


@dataclass
class EngineSettings:
    lookback: timedelta = timedelta(seconds=10)  # re-read window behind each cursor (late commits)
    import_window: timedelta = timedelta(hours=24)  # R3.3
    gap_check_after: timedelta = timedelta(days=14)  # R3.4: older gaps than this re-check linked ids
    # R3.4/R4.2: in continuous sync, re-check every linked Salesforce id at this period (a bounded
    # reconciliation sweep: ceil(links/200) queries), so a deletion purged from the recycle bin before
    # a pass read it still reaches SIA within one period. None: never (only on gaps and re-enabling).
    reconcile_every: timedelta | None = timedelta(hours=6)
    batch_size: int = 200
    # F16 mass-delete guard: hold a pass's deletions into one side when they reach `mass_delete_min`
    # tasks AND more than `mass_delete_share` of the user's linked tasks; `allow_mass_delete` is the
    # operator's confirmation (CLI --allow-mass-delete) for the next pass.
    mass_delete_guard: bool = True
    mass_delete_share: float = 0.5
    mass_delete_min: int = 10
    allow_mass_delete: bool = False
    # A first import (no links yet) larger than this many Salesforce rows is planned and applied one
    # page at a time - memory O(page) - instead of all at once (None: always all at once).
    stream_import_above: int | None = 4000
    # A steady-state pass (push, echo, reconciliation sweep) reading more than this many rows (both
    # sides), or checking more linked ids, is planned and applied `pass_page_size` tasks at a time from
    # a scratch store (`sync.paged`) - memory O(page), the same calls (None: always all at once).
    stream_pass_above: int | None = 4000
    pass_page_size: int = 2000
    # F3/F4 API budget governor (per Salesforce org): stop calling at this share of the allocation
    # (None: only on 403 REQUEST_LIMIT_EXCEEDED); optionally cap one pass's share of it.
    api_budget_threshold: float | None = 0.9
    api_budget_pass_share: float | None = None


@dataclass
class Hooks:
    """Test and embedding hooks. `after_write(side, kind)` runs after each write call, before its commit;
    `progress(user_id, done, total)` after each page of a first import (total: Salesforce's count or None);
    `planned(user_id, sia_rows, sf_rows)` before each page a paged steady-state pass plans."""

    after_write: Callable[[str, str], None] | None = None
    progress: Callable[[str, int, int | None], None] | None = None
    # `planned(user_id, sia_rows, sf_rows)`: before each plan of a paged pass (`sync.paged`).
    planned: Callable[[str, int, int], None] | None = None


class Engine:
    def __init__(
        self,
        sia: SiaPort,
        salesforce_factory: Callable[[Row], SalesforcePort],
        state: StateStore,
        clock: Clock,
        *,
        settings: EngineSettings | None = None,
        render_subject: mapping.Renderer | None = None,
        hooks: Hooks | None = None,
    ) -> None:
        self.sia = sia
        self.salesforce_factory = salesforce_factory
        self.state = state
        self.clock = clock
        self.settings = settings or EngineSettings()
        self.render = render_subject or mapping.default_renderer()
        self.hooks = hooks or Hooks()
        self._salesforce: dict[str, tuple[tuple[str | None, ...], SalesforcePort]] = {}
        self._budgets: dict[str, ApiBudget] = {}  # F3/F4: one per Salesforce org (instance URL)
        self.last_report: PassReport | None = None

    # -- the pass ----------------------------------------------------------------------------
    def run_pass(self) -> PassReport:
        started = self.clock.now()
        run_id = self.state.start_run(started)
        report = PassReport(run_id=run_id, started_at=iso_ms(started))
        sia_before = self.sia.calls
        for budget in self._budgets.values():
            budget.start_pass()  # F3/F4: the first call of a pass probes whether the allocation was reset
        try:
            users = self.sia.sync_users()  # R1.1/R1.3: only users with sync on
            template = self.sia.subject_template()
        except SyncError as exc:  # the pass failed: SIA unreachable, service token refused, ...
            report.error = pass_error(exc, self.sia.base_url)
            users, template = [], None
        except Exception as exc:  # an answer the engine cannot read: the pass failed, the caller goes on
            log.exception("pass #%s: reading SIA's sync users failed", run_id)
            report.error = f"INTERNAL_ERROR: {type(exc).__name__}: {exc}"
            users, template = [], None
        for user in users:
            report.users.append(self.sync_user_leased(user, template, run_id))
            self.sia.report_outcome(report.users[-1])  # shown on SIA's pages; never fails the pass
        report.sia_calls_total = self.sia.calls - sia_before
        finished = self.clock.now()
        report.finished_at = iso_ms(finished)
        self.state.finish_run(run_id, finished, report.to_dict())
        self.last_report = report
        return report

    def salesforce_for(self, user: Row) -> SalesforcePort:
        """The cached Salesforce port of one user (one login per user, rebuilt if the connection changes)."""
        conn = user.get("salesforce") or {}
        key = (
            conn.get("instance_url"),
            conn.get("username"),
            conn.get("password"),
            conn.get("security_token"),
        )
        cached = self._salesforce.get(user["user_id"])
        if cached is None or cached[0] != key:
            cached = (key, self.salesforce_factory(conn))
            self._salesforce[user["user_id"]] = cached
            cached[1].governor = self.budget_for(conn.get("instance_url") or "")
        return cached[1]

    def budget_for(self, org: str) -> ApiBudget:
        """The API budget governor of one Salesforce org, shared by all its users (F3/F4)."""
        if org not in self._budgets:
            self._budgets[org] = ApiBudget(
                threshold=self.settings.api_budget_threshold, pass_share=self.settings.api_budget_pass_share
            )
        return self._budgets[org]

    def sync_user_leased(self, user: Row, template: str | None, run_id: int | None = None) -> UserReport:
        """`sync_user` under the user's lease (F8: one worker per user at a time); a user another
        process is working is skipped this pass, and the report says so."""
        uid = user["user_id"]
        holder = self.state.leases.acquire(uid, self.clock.now())
        if holder is not None:
            return UserReport(user_id=uid, deferred=f"LEASE_HELD: {holder} is syncing this user; skipped")
        try:
            return self.sync_user(user, template, run_id)
        finally:
            self.state.leases.release(uid, self.clock.now())

    def sync_user(self, user: Row, template: str | None, run_id: int | None = None) -> UserReport:
        uid = user["user_id"]
        ur = UserReport(user_id=uid)
        sia_before = self.sia.calls
        sf: SalesforcePort | None = None
        sf_before = 0
        try:
            if not user.get("salesforce"):
                raise ConfigError("no Salesforce connection", code="NOT_CONNECTED")
            sf = self.salesforce_for(user)
            sf_before = sf.calls
            self._pass_for_user(user, sf, template, run_id, ur)
        except BudgetDeferred as exc:  # F4: no call made; the bookmarks stay, a later pass resumes
            ur.deferred = exc.message
        except SyncError as exc:  # stop-this-user: nothing more for this user in this pass
            ur.stopped = f"{exc.code or type(exc).__name__}: {exc.message}"
            if isinstance(exc, LimitExceeded):  # F3: checkpoint kept, resumed once the allocation resets
                ur.deferred = "REQUEST_LIMIT_EXCEEDED: the org's API allocation is spent"
        except Exception as exc:  # a bug or a stray database error: this user's error, the pass goes on
            log.exception("user %s: the pass stopped on an unexpected error", uid)
            kind = "STATE_DB_ERROR" if isinstance(exc, SQLAlchemyError) else "INTERNAL_ERROR"
            first = (str(exc).strip().splitlines() or [""])[0]
            ur.stopped = f"{kind}: {type(exc).__name__}: {first}"
        finally:
            ur.api_calls = {SIA: self.sia.calls - sia_before, SF: (sf.calls - sf_before) if sf else 0}
        self._record_outcome(uid, ur)
        return ur

    def _record_outcome(self, uid: str, ur: UserReport) -> None:
        """What `tasksync status` shows: the user's last outcome, why, and since when (engine clock)."""
        outcome, reason = ur.outcome, ur.deferred or ur.stopped
        try:
            st = self.state.user(uid)
            if st.outcome == outcome and st.outcome_reason == reason:
                return  # as recorded: nothing to write (an idle pass, F9)
            code = (reason or "").split(":")[0]
            if st.outcome != outcome or (st.outcome_reason or "").split(":")[0] != code:
                st.outcome_since = self.clock.now()
            st.outcome, st.outcome_reason = outcome, reason
            self.state.save_user(st)
        except Exception:  # the state database failed too: the report still says it; nothing more to do
            log.exception("user %s: could not record the outcome %s", uid, outcome)

    def _pass_for_user(
        self, user: Row, sf: SalesforcePort, template: str | None, run_id: int | None, ur: UserReport
    ) -> None:
        uid = user["user_id"]
        now = self.clock.now()
        st = self.state.user(uid)
        renewed = ownership.check_connection(self, uid, user["salesforce"], st, ur, run_id)
        enabled_at = instant((user.get("task_sync") or {}).get("last_enabled_at"))
        if enabled_at and st.enabled_at_seen != enabled_at:
            # A new enabling: first ever (R3.1) or "previously enabled" (R1.3, R3.4). After a change
            # of Salesforce connection it is a first start again (R1.1/R1.4).
            earlier = not renewed and (
                self.state.has_links(uid) or self.state.cursor(uid, SF).stamp is not None
            )
            st.start_kind = "previously_enabled" if earlier else "first"
            st.enabled_at_seen = enabled_at
            floor = enabled_at - self.settings.import_window
            st.import_floor = floor  # R3.3 (the one place an SIA instant bounds a Salesforce query)
            if not earlier:
                self.state.set_cursor(uid, SF, floor, None)
                self.state.set_cursor(uid, SIA, enabled_at, None)  # R3.2: older SIA tasks are never pushed
            self.state.save_user(st)
        ur.start = st.start_kind

        owner = (user.get("salesforce") or {}).get("salesforce_user_id") or st.salesforce_user_id
        if not owner:  # looked up once, then kept in state (no per-pass lookup)
            owner = sf.find_user_id(user["salesforce"]["username"])
            if not owner:
                raise ConfigError("the Salesforce user of this connection was not found", code="NO_SF_USER")
        if st.salesforce_user_id != owner:
            st.salesforce_user_id = owner
            self.state.save_user(st)

        # R4.6/F8: writes a dead pass sent but never recorded are finished first (creates now, the
        # updates and deletions once this pass's reads show whether they landed).
        unfinished = intents.resolve_creates(self, uid, sf, ur, run_id)

        # -- read -------------------------------------------------------------------------------
        sf_cursor, sia_cursor = self.state.cursor(uid, SF), self.state.cursor(uid, SIA)
        if not self.state.has_links(uid):
            # A first import: nothing linked yet, so each Salesforce page is planned and applied on its
            # own - memory O(page), not O(N), with the same calls (R3.1, R3.3).
            ctx = Context(owner, enabled_at, st.import_floor, template, self.render)
            paged.import_by_page(self, uid, sf, owner, sf_cursor, sia_cursor, ctx, ur, run_id)
            st = self.state.user(uid)
            st.start_kind = None
            st.last_pass_at = st.last_sweep_at = now
            self.state.save_user(st)
            return
        last_pass = st.last_pass_at
        long_gap = last_pass is not None and now - last_pass > self.settings.gap_check_after
        checked = st.start_kind == "previously_enabled" or long_gap or self._sweep_due(st, now)
        why = "" if st.start_kind == "previously_enabled" or long_gap else " (reconciliation sweep)"
        ctx = Context(
            owner_id=owner,
            enabled_at=enabled_at,
            import_floor=st.import_floor,
            template=template,
            render=self.render,
        )
        # Both change lists are read whole before anything is applied (a half-read applies nothing,
        # F19); the bookmarks follow the rows read. A pass larger than `stream_pass_above` rows (or a
        # linked-id check over more links) keeps them in a scratch store, not in memory (issue 9).
        read = paged.Reader(self.settings.stream_pass_above)
        sf_bookmark = Bookmark(sf_cursor, self.settings.lookback)
        for page in sf.change_pages(owner, *self._sf_read_bounds(sf_cursor, sf.page_size)):
            sf_bookmark.feed([(r["SystemModstamp"], r["Id"]) for r in page])
            read.add(SF, page)
        sia_bookmark = Bookmark(sia_cursor, self.settings.lookback)
        for page in self.sia.change_pages(uid, *self._sia_read_bounds(sia_cursor)):
            sia_bookmark.feed([(t["updated_at"], t["id"]) for t in page])
            read.add(SIA, page)
        big_check = read.limit is not None and checked and read.scratch is None
        if big_check and paged.live_links(self.state, uid) > (read.limit or 0):
            read.spill()  # R3.4/R4.2: a linked-id check over more links than a pass at once holds
        if read.scratch is not None:
            with read.scratch as scratch:
                pass_ = paged.PagedPass(self, uid, sf, ctx, st.start_kind, ur, run_id)
                held = pass_.run(scratch, unfinished, checked, why)
        else:
            held = self._plan_and_apply(
                uid,
                sf,
                ctx,
                st.start_kind,
                read.rows[SF],
                read.rows[SIA],
                unfinished,
                checked,
                why,
                ur,
                run_id,
            )

        # -- commit the bookmarks: the highest (stamp, id) actually read, never beyond what was seen --
        # F16 only holds deletions found by the linked-id check (by absence), never ones a read
        # reported, so both bookmarks always move; a held check runs again next pass (below).
        for side, bookmark, cursor in ((SF, sf_bookmark, sf_cursor), (SIA, sia_bookmark, sia_cursor)):
            if bookmark.result() != cursor:  # an idle pass writes no cursor (F9)
                self.state.put_cursor(uid, side, bookmark.result())
        st = self.state.user(uid)
        st.start_kind = None
        if not held:  # a held linked-id check runs again next pass
            st.last_pass_at = now
            if checked or not st.last_sweep_at:  # a sweep done, or the first period starts now
                st.last_sweep_at = now
        self.state.save_user(st)

    def _plan_and_apply(
        self,
        uid: str,
        sf: SalesforcePort,
        ctx: Context,
        start_kind: str | None,
        sf_rows: list[Row],
        sia_rows: list[Row],
        unfinished: list[Intent],
        checked: bool,
        why: str,
        ur: UserReport,
        run_id: int | None,
    ) -> bool:
        """A steady-state pass of a user, all at once (memory O(changes)); whether F16 held deletions."""
        sf_changes = {r["Id"]: r for r in sf_rows}
        sia_changes = {t["id"]: t for t in sia_rows}
        errors = self.state.task_errors(uid)  # failed last time: read again, whatever the cursors say
        for task_id in [e.task_id for e in errors if e.side == SIA and e.task_id not in sia_changes]:
            task = self.sia.get(uid, task_id)
            if task is not None:
                sia_changes[task_id] = task
        retry_sf = [e.task_id for e in errors if e.side == SF and e.task_id not in sf_changes]
        if retry_sf:
            sf_changes.update({r["Id"]: r for r in sf.by_ids(retry_sf)})

        read_at = ReadAt(sia=self.sia.server_time, sf=sf.server_time)
        intents.resolve_writes(self, uid, unfinished, sia_changes, sf_changes, read_at, ur, run_id)
        purged: dict[str, str] = {}
        # F9: only the links this pass's changes name (indexed by id), so an idle pass costs the same
        # at any number of links; a linked-id check needs them all.
        links = self.state.links(uid) if checked else self.state.links_for(uid, sia_changes, sf_changes)
        if checked:
            # R3.4: deletions older than the recycle bin are not reported any more - check the linked ids.
            # R4.2: in continuous sync the same check runs as a periodic reconciliation sweep, so a
            # deletion purged (emptied recycle bin, hard delete) before any pass read it arrives too.
            ids = [link.sf_id for link in links if link.live and link.sf_id not in sf_changes]
            found = {r["Id"]: r for r in sf.by_ids(ids)} if ids else {}
            sf_changes.update(found)
            purged = {
                i: f"linked-id check{why}: gone from Salesforce (purged from the recycle bin)"
                for i in ids
                if i not in found
            }
        # R1.4: a row another Salesforce user owns now (read by id: retries, the linked-id check) is
        # never synced; a live link to it is retired - the task was reassigned.
        foreign = {i for i, r in sf_changes.items() if r.get("OwnerId") and r["OwnerId"] != ctx.owner_id}
        for i in foreign:
            del sf_changes[i]
        ownership.unlink(
            self, uid, [link for link in links if link.live and link.sf_id in foreign], ur, run_id
        )

        # -- plan and apply --------------------------------------------------------------------------
        actions = plan(links, sia_changes, sf_changes, ctx, purged)
        actions = ownership.check_owner(self, uid, sf, ctx.owner_id, actions, ur, run_id)
        live = sum(1 for link in links if link.live)  # all of them whenever `purged` is not empty
        held = guard.mass_delete_held(self.settings, live, actions, start_kind, ur, purged)
        if held:
            actions = [a for a in actions if id(a) not in held]
        self._apply(uid, sf, actions, ur, run_id)

        return bool(held)

    def _sweep_due(self, st: UserState, now: datetime) -> bool:
        """R3.4/R4.2: whether the periodic reconciliation sweep of linked ids is due for this user. A
        user with no sweep on record starts the period at this pass (no sweep on the first pass after
        an upgrade or a new connection)."""
        period = self.settings.reconcile_every
        if period is None or not st.last_sweep_at:
            return False
        return now - st.last_sweep_at >= period

    # -- the read bounds (F11 late commits, R4.6; F9 idle cost, R4.5): see `sync.cursor` ------
    def _sf_read_bounds(
        self, cursor: Cursor, page_size: int = 2000
    ) -> tuple[str | None, str | None, str | None]:
        """(since, after_id, lookback_from) for the Salesforce read."""
        return sf_read_bounds(cursor, self.settings.lookback, page_size)

    def _sia_read_bounds(self, cursor: Cursor) -> tuple[str | None, str | None]:
        """(since, after_id) for SIA's change list."""
        return sia_read_bounds(cursor, self.settings.lookback, self.sia.page_size)

    # -- apply ---------------------------------------------------------------------------------
    def _apply(
        self,
        uid: str,
        sf: SalesforcePort,
        actions: list[Action],
        ur: UserReport,
        run_id: int | None,
        already_imported: set[str] | None = None,
    ) -> set[str]:
        """Apply one plan in batches; returns the SIA ids its imports (re)linked."""
        at = self.clock.now()
        # R4.3: each side's own clock at this sync, as its last answer (this pass's read) stated it.
        read_at = ReadAt(sia=self.sia.server_time, sf=sf.server_time)
        pending = self._settle(uid, actions, ur, run_id, at, read_at)

        # SIA writes: imports, restores, updates, deletions - 200 operations per batch call.
        sia_ops = [(p, op) for p in pending for op in [p.action.sia_op()] if op is not None]
        for start in range(0, len(sia_ops), self.settings.batch_size):
            self._write_sia(uid, sia_ops[start : start + self.settings.batch_size], ur, read_at, at, run_id)

        imported = {
            p.sia_result["data"]["id"]
            for p in pending
            if isinstance(p.action, kinds.Import) and p.sia_result and not p.failed
        } | (already_imported or set())
        # Salesforce writes: upsert (creates), update, delete - sObject Collections, 200 per call.
        # R4.6: an SIA task that an import just (re)linked is the engine's own earlier write, seen
        # unlinked after an interrupted pass - never push it back as a new Salesforce task.
        groups: dict[str, list[tuple[Pending, Any]]] = {"upsert": [], "update": [], "delete": []}
        for p in pending:
            write = p.action.sf_write()
            if write is None or p.failed:
                continue
            if write[0] == "upsert" and (p.action.sia_task or {}).get("id") in imported:
                continue
            groups[write[0]].append((p, write[1]))
        for kind, items in groups.items():
            for start in range(0, len(items), self.settings.batch_size):
                self._write_salesforce(
                    uid, sf, kind, items[start : start + self.settings.batch_size], ur, read_at, at, run_id
                )
        return imported

    def _settle(
        self,
        uid: str,
        actions: list[Action],
        ur: UserReport,
        run_id: int | None,
        at: datetime,
        read_at: ReadAt,
    ) -> list[Pending]:
        """Commit at once what writes nothing; returns the actions that write, as `Pending`s."""
        batch = Batch()
        pending: list[Pending] = []
        for action in actions:
            if action.error:
                kinds.fail(batch, ur, action, *action.error)
            elif not action.needs_write():
                # Rows that write nothing complete at once, in this first commit: skips, observations,
                # a merge with nothing to change (e.g. R2.2a: only note the new values), and `forget`.
                Pending(action).done(batch, ur, read_at)
            else:
                pending.append(Pending(action))
        if batch.links or batch.errors or batch.cleared or batch.conflicts or batch.deletions:
            self.state.commit(uid, batch, at, run_id)  # nothing to record: no transaction (F9)
        return pending

    def _write_sia(
        self,
        uid: str,
        chunk: list[tuple[Pending, Row]],
        ur: UserReport,
        read_at: ReadAt,
        at: datetime,
        run_id: int | None,
    ) -> None:
        """One SIA batch call (<= 200 operations) and the commit that records its answers."""
        # R4.6/F8: stored before it is sent; done in the commit that records the answers.
        done = self.state.add_intents(uid, [intents.for_sia(p.action, op) for p, op in chunk], at)
        results = self.sia.batch(uid, [op for _, op in chunk])
        self._after_write(SIA, "batch")
        batch = Batch(intents_done=done)
        for (p, op), result in zip(chunk, results, strict=True):
            p.sia_result = result
            status = result.get("status", 500)
            if status >= 300:
                error = result.get("error") or {}
                if outcome_for(error.get("code"), status, deleting=op["op"] == "delete") != DONE:
                    p.failed = True
                    message = error.get("message") or "SIA rejected the write"
                    kinds.fail(batch, ur, p.action, error.get("code") or str(status), message)
                    continue
            if p.action.sf_write() is None:
                p.done(batch, ur, read_at)
        self.state.commit(uid, batch, at, run_id)

    def _write_salesforce(
        self,
        uid: str,
        sf: SalesforcePort,
        kind: str,
        chunk: list[tuple[Pending, Any]],
        ur: UserReport,
        read_at: ReadAt,
        at: datetime,
        run_id: int | None,
    ) -> None:
        """One sObject Collections call (<= 200 items) and the commit that records its answers."""
        bodies = [body for _, body in chunk]
        # R4.6/F8: stored before it is sent; done in the commit that records the answers.
        done = self.state.add_intents(
            uid, [intents.for_salesforce(p.action, kind, body) for p, body in chunk], at
        )
        if kind == "upsert":
            results = sf.upsert(bodies)
        elif kind == "update":
            results = sf.update(bodies)
        else:
            results = sf.delete(bodies)
        self._after_write(SF, kind)
        written_at = sf.server_time
        batch = Batch(intents_done=done)
        for (p, _), result in zip(chunk, results, strict=True):
            p.sf_result = result
            p.sf_written_at = written_at
            if not result.get("success"):
                error = (result.get("errors") or [{}])[0]
                code = error.get("statusCode") or error.get("errorCode")
                if outcome_for(code, None, deleting=kind == "delete") != DONE:
                    kinds.fail(batch, ur, p.action, code, error.get("message") or "rejected")
                    continue
            p.done(batch, ur, read_at)
        self.state.commit(uid, batch, at, run_id)

    def _after_write(self, side: str, kind: str) -> None:
        if self.hooks.after_write:
            self.hooks.after_write(side, kind)
