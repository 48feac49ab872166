"""One sync pass: for every user with sync on, read changes -> plan -> apply in batches -> commit state.

    engine = Engine(sia=SiaAdapter(...), salesforce_factory=factory, state=StateStore(url), clock=clock)
    report = engine.run_pass()        # a PassReport; report.to_text() / report.to_dict()

`salesforce_factory(connection: dict)` builds the Salesforce port for one user's connection (the
`salesforce` object of SIA's `service/sync_users`); the engine keeps one per user, so each user logs
in once. Nothing here reads the wall clock: the injected `clock` stamps runs and measures gaps.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from sync import intents, mapping
from sync.budget import ApiBudget, BudgetDeferred
from sync.domain import content_hash, iso_ms, parse_stamp, sf_view, sia_view, soql_datetime_ms
from sync.errors import DONE, ConfigError, LimitExceeded, SyncError, TransientError, outcome_for
from sync.planner import Action, Context, LinkObs, plan
from sync.report import PassReport, UserReport
from sync.state.store import Batch, StateStore

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
    # F3/F4 API budget governor (per Salesforce org): stop calling at this share of the allocation
    # (None: only on 403 REQUEST_LIMIT_EXCEEDED); optionally cap one pass's share of it.
    api_budget_threshold: float | None = 0.9
    api_budget_pass_share: float | None = None


@dataclass
class Hooks:
    """Test and embedding hooks. `after_write(side, kind)` runs after each write call, before its commit;
    `progress(user_id, done, total)` after each page of a first import (total: Salesforce's count or None)."""

    after_write: Callable[[str, str], None] | None = None
    progress: Callable[[str, int, int | None], None] | None = None


@dataclass
class _Pending:
    action: Action
    sia_result: dict | None = None
    sf_result: dict | None = None
    sf_written_at: str | None = None  # Salesforce's clock when our write of this task was answered
    failed: bool = False


@dataclass
class _ReadAt:
    """Each side's own clock at this pass's read (its `server_time`), for the R4.3 baselines."""

    sia: str | None = None
    sf: str | None = None


class Engine:
    def __init__(
        self,
        sia,
        salesforce_factory: Callable[[dict], object],
        state: StateStore,
        clock,
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
        self._salesforce: dict[str, tuple[tuple, object]] = {}
        self._budgets: dict[str, ApiBudget] = {}  # F3/F4: one per Salesforce org (instance URL)
        self.last_report: PassReport | None = None

    # -- the pass ----------------------------------------------------------------------------
    def run_pass(self) -> PassReport:
        started = iso_ms(self.clock.now())
        run_id = self.state.start_run(started)
        report = PassReport(run_id=run_id, started_at=started)
        sia_before = self.sia.calls
        for budget in self._budgets.values():
            budget.start_pass()  # F3/F4: the first call of a pass probes whether the allocation was reset
        try:
            users = self.sia.sync_users()  # R1.1/R1.3: only users with sync on
            template = self.sia.subject_template()
        except SyncError as exc:  # the pass failed: SIA unreachable, service token refused, ...
            report.error = pass_error(exc, getattr(self.sia, "base_url", None))
            users, template = [], None
        except Exception as exc:  # an answer the engine cannot read: the pass failed, the caller goes on
            log.exception("pass #%s: reading SIA's sync users failed", run_id)
            report.error = f"INTERNAL_ERROR: {type(exc).__name__}: {exc}"
            users, template = [], None
        for user in users:
            report.users.append(self.sync_user_leased(user, template, run_id))
            if hasattr(self.sia, "report_outcome"):  # shown on SIA's pages; never fails the pass
                self.sia.report_outcome(report.users[-1])
        report.sia_calls_total = self.sia.calls - sia_before
        report.finished_at = iso_ms(self.clock.now())
        self.state.finish_run(run_id, report.finished_at, report.to_dict())
        self.last_report = report
        return report

    def salesforce_for(self, user: dict):
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
            if hasattr(cached[1], "governor"):
                cached[1].governor = self.budget_for(conn.get("instance_url") or "")
        return cached[1]

    def budget_for(self, org: str) -> ApiBudget:
        """The API budget governor of one Salesforce org, shared by all its users (F3/F4)."""
        if org not in self._budgets:
            self._budgets[org] = ApiBudget(
                threshold=self.settings.api_budget_threshold, pass_share=self.settings.api_budget_pass_share
            )
        return self._budgets[org]

    def sync_user_leased(self, user: dict, template: str | None, run_id: int | None = None) -> UserReport:
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

    def sync_user(self, user: dict, template: str | None, run_id: int | None = None) -> UserReport:
        uid = user["user_id"]
        ur = UserReport(user_id=uid)
        sia_before = self.sia.calls
        sf = None
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
            code = (reason or "").split(":")[0]
            if st.outcome != outcome or (st.outcome_reason or "").split(":")[0] != code:
                st.outcome_since = iso_ms(self.clock.now())
            st.outcome, st.outcome_reason = outcome, reason
            self.state.save_user(st)
        except Exception:  # the state database failed too: the report still says it; nothing more to do
            log.exception("user %s: could not record the outcome %s", uid, outcome)

    def _pass_for_user(self, user: dict, sf, template: str | None, run_id, ur: UserReport) -> None:
        uid = user["user_id"]
        now = self.clock.now()
        st = self.state.user(uid)
        renewed = self._check_connection(uid, user["salesforce"], st, ur, run_id)
        enabled_at = (user.get("task_sync") or {}).get("last_enabled_at")
        if enabled_at and st.enabled_at_seen != enabled_at:
            # A new enabling: first ever (R3.1) or "previously enabled" (R1.3, R3.4). After a change
            # of Salesforce connection it is a first start again (R1.1/R1.4).
            earlier = not renewed and (self.state.has_links(uid) or self.state.cursor(uid, SF)[0] is not None)
            st.start_kind = "previously_enabled" if earlier else "first"
            st.enabled_at_seen = enabled_at
            floor = parse_stamp(enabled_at) - self.settings.import_window
            st.import_floor = iso_ms(floor)  # R3.3 (the one place an SIA instant bounds a Salesforce query)
            if not earlier:
                self.state.set_cursor(uid, SF, iso_ms(floor), None)
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
        if hasattr(sf, "change_pages") and not self.state.has_links(uid):
            # A first import: nothing linked yet, so each Salesforce page is planned and applied on its
            # own - memory O(page), not O(N), with the same calls (R3.1, R3.3).
            ctx = Context(owner, enabled_at, st.import_floor, template, self.render)
            self._import_by_page(uid, sf, owner, sf_cursor, sia_cursor, ctx, ur, run_id)
            st = self.state.user(uid)
            st.start_kind = None
            st.last_pass_at = st.last_sweep_at = iso_ms(now)
            self.state.save_user(st)
            return
        sf_rows = sf.changes(owner, *self._sf_read_bounds(sf_cursor, getattr(sf, "page_size", 2000)))
        sia_rows = self.sia.changes(uid, *self._sia_read_bounds(sia_cursor))
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

        read_at = _ReadAt(sia=getattr(self.sia, "server_time", None), sf=getattr(sf, "server_time", None))
        intents.resolve_writes(self, uid, unfinished, sia_changes, sf_changes, read_at, ur, run_id)
        links = self.state.links(uid)
        purged: dict[str, str] = {}
        last_pass = parse_stamp(st.last_pass_at) if st.last_pass_at else None
        long_gap = last_pass is not None and now - last_pass > self.settings.gap_check_after
        sweep = self._sweep_due(st, now)
        checked = st.start_kind == "previously_enabled" or long_gap or sweep
        if checked:
            # R3.4: deletions older than the recycle bin are not reported any more - check the linked ids.
            # R4.2: in continuous sync the same check runs as a periodic reconciliation sweep, so a
            # deletion purged (emptied recycle bin, hard delete) before any pass read it arrives too.
            why = "" if st.start_kind == "previously_enabled" or long_gap else " (reconciliation sweep)"
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
        foreign = {i for i, r in sf_changes.items() if r.get("OwnerId") and r["OwnerId"] != owner}
        for i in foreign:
            del sf_changes[i]
        self._unlink(uid, [link for link in links if link.live and link.sf_id in foreign], ur, run_id)

        # -- plan and apply --------------------------------------------------------------------------
        ctx = Context(
            owner_id=owner,
            enabled_at=enabled_at,
            import_floor=st.import_floor,
            template=template,
            render=self.render,
        )
        actions = plan(links, sia_changes, sf_changes, ctx, purged)
        actions = self._check_owner(uid, sf, owner, actions, ur, run_id)
        held = self._mass_delete_guard(links, actions, st.start_kind, ur, purged)
        if held:
            actions = [a for a in actions if id(a) not in held]
        self._apply(uid, sf, actions, ur, run_id)

        # -- commit the bookmarks: the highest (stamp, id) actually read, never beyond what was seen --
        # F16 only holds deletions found by the linked-id check (by absence), never ones a read
        # reported, so both bookmarks always move; a held check runs again next pass (below).
        bookmark = _Bookmark(sf_cursor, self.settings.lookback)
        bookmark.feed([(r["SystemModstamp"], r["Id"]) for r in sf_rows])
        self.state.set_cursor(uid, SF, *bookmark.result())
        bookmark = _Bookmark(sia_cursor, self.settings.lookback)
        bookmark.feed([(t["updated_at"], t["id"]) for t in sia_rows])
        self.state.set_cursor(uid, SIA, *bookmark.result())
        st = self.state.user(uid)
        st.start_kind = None
        if not held:  # a held linked-id check runs again next pass
            st.last_pass_at = iso_ms(now)
            if checked or not st.last_sweep_at:  # a sweep done, or the first period starts now
                st.last_sweep_at = iso_ms(now)
        self.state.save_user(st)

    # -- R1.1/R1.4: one Salesforce user per SIA user, and only their tasks --------------------------
    def _check_connection(self, uid: str, conn: dict, st, ur: UserReport, run_id) -> bool:
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
                self.state.save_user(st)
            return False
        log.info(
            "user %s: the Salesforce connection changed (%s -> %s): a new start",
            uid,
            st.sf_connection,
            identity,
        )
        self._unlink(
            uid,
            [link for link in self.state.links(uid) if link.live],
            ur,
            run_id,
            reason="the Salesforce connection changed (R1.1/R1.4): a new start",
        )
        batch = Batch(cleared=[(e.side, e.task_id) for e in self.state.task_errors(uid)])
        self.state.commit(uid, batch, iso_ms(self.clock.now()), run_id)
        for side in (SF, SIA):
            self.state.set_cursor(uid, side, None, None)
        st.sf_connection = identity
        st.salesforce_user_id = None
        st.enabled_at_seen = st.import_floor = st.start_kind = None
        st.last_pass_at = st.last_sweep_at = None
        self.state.save_user(st)
        return True

    def _unlink(
        self, uid: str, links: list[LinkObs], ur: UserReport, run_id, reason: str | None = None
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
        self.state.commit(uid, Batch(links=list(links)), iso_ms(self.clock.now()), run_id)

    def _check_owner(self, uid: str, sf, owner: str, actions: list[Action], ur: UserReport, run_id) -> list:
        """R1.4: Salesforce updates and deletions go by Id, which carries no owner; before sending any
        to a task this pass did not read (the read is filtered by owner), read those ids once more
        (one query per 200, only in passes that have such writes) and drop the writes - retiring the
        link - for tasks that another Salesforce user owns now."""
        unread = [
            a
            for a in actions
            if a.link is not None
            and a.sf_record is None
            and (a.row == "delete_sf" or (a.row in ("push", "merge", "pull") and a.sf_patch))
        ]
        if not unread:
            return actions
        current = {r["Id"]: r for r in sf.by_ids([a.link.sf_id for a in unread])}
        moved = [
            a
            for a in unread
            if a.link.sf_id in current and current[a.link.sf_id].get("OwnerId") not in (None, owner)
        ]
        if not moved:
            return actions
        self._unlink(uid, [a.link for a in moved], ur, run_id)
        dropped = {id(a) for a in moved}
        return [a for a in actions if id(a) not in dropped]

    def _sweep_due(self, st, now) -> bool:
        """R3.4/R4.2: whether the periodic reconciliation sweep of linked ids is due for this user. A
        user with no sweep on record starts the period at this pass (no sweep on the first pass after
        an upgrade or a new connection)."""
        period = self.settings.reconcile_every
        if period is None or not st.last_sweep_at:
            return False
        return now - parse_stamp(st.last_sweep_at) >= period

    def _import_by_page(self, uid, sf, owner, sf_cursor, sia_cursor, ctx: Context, ur, run_id) -> None:
        """The pass of a user with no links yet, one Salesforce page (<= 2000 rows) at a time.

        With no links there is nothing to merge or delete: every Salesforce row is an import or a
        skip (R3.3), every SIA row a push or a skip (R3.2). SIA's changes (few: created since the
        enabling) are read first and planned with every page only for R4.6's "pending" check; the
        pushes run once, after all imports, so an SIA task an interrupted import already made is
        recognised (R4.6) and never pushed back. Bookmarks are committed at the end, as usual.
        """
        sia_rows = self.sia.changes(uid, *self._sia_read_bounds(sia_cursor))
        sia_changes = {t["id"]: t for t in sia_rows}
        errors = self.state.task_errors(uid)
        for task_id in [e.task_id for e in errors if e.side == SIA and e.task_id not in sia_changes]:
            task = self.sia.get(uid, task_id)
            if task is not None:
                sia_changes[task_id] = task
        retry_sf = {e.task_id for e in errors if e.side == SF}

        stream = sf.change_pages(owner, *self._sf_read_bounds(sf_cursor, getattr(sf, "page_size", 2000)))
        first = next(stream, [])
        total = getattr(sf, "last_total_size", None)
        limit = self.settings.stream_import_above
        if limit is None or (total if total is not None else len(first)) <= limit:
            # Small enough: read it all before applying anything (a half-read applies nothing, F19).
            first = first + [row for page in stream for row in page]
            stream = iter(())

        def pages():
            if retry_sf:  # failed last time: read again, whatever the cursors say
                yield True, sf.by_ids(sorted(retry_sf))
            yield False, first
            yield from ((False, page) for page in stream)

        imported: set[str] = set()
        bookmark = _Bookmark(sf_cursor, self.settings.lookback)
        for is_retry, page in pages():
            if not is_retry:
                bookmark.feed([(r["SystemModstamp"], r["Id"]) for r in page])
            changes = {r["Id"]: r for r in page if is_retry or r["Id"] not in retry_sf}
            actions = [a for a in plan([], sia_changes, changes, ctx) if a.sf_record is not None]
            imported |= self._apply(uid, sf, actions, ur, run_id) & sia_changes.keys()
            if self.hooks.progress and not is_retry:
                self.hooks.progress(uid, bookmark.new, total)
        actions = [a for a in plan([], sia_changes, {}, ctx) if a.sf_record is None]
        self._apply(uid, sf, actions, ur, run_id, already_imported=imported)
        self.state.set_cursor(uid, SF, *bookmark.result())
        sia_bookmark = _Bookmark(sia_cursor, self.settings.lookback)
        sia_bookmark.feed([(t["updated_at"], t["id"]) for t in sia_rows])
        self.state.set_cursor(uid, SIA, *sia_bookmark.result())

    def _mass_delete_guard(
        self, links: list[LinkObs], actions: list[Action], start: str | None, ur, purged: dict[str, str]
    ) -> set[int]:
        """F16 (vdirsyncer StorageEmpty): the actions (by `id()`) whose deletions are held in this pass.

        Only deletions *inferred from absence* are guarded: a linked id the linked-id check (R3.4) or
        the reconciliation sweep did not find. An empty answer there can mean a wrong scope, a
        permission change or an outage. Deletions a system states explicitly - Salesforce rows with
        `IsDeleted`, SIA tombstones - always propagate, as documented (R4.1, R4.2, R4.4).
        Inferred deletions are held when they reach `mass_delete_min` tasks and more than
        `mass_delete_share` of the user's linked tasks (all of them: Salesforce "looks empty"). An
        alert goes into the report; the check runs again next pass and proceeds once the operator
        confirms (`allow_mass_delete`) or the condition is gone. R3.4: on a previously-enabled start
        they are not held either - that is documented behaviour (a failed read never plans
        deletions: it stops the user before planning).
        """
        s = self.settings
        if not s.mass_delete_guard or s.allow_mass_delete or not purged:
            return set()
        linked = sum(1 for link in links if link.live)
        held: set[int] = set()
        for row, into in (("delete_sia", SIA),):
            if start == "previously_enabled":
                continue  # R3.4
            doomed = [a for a in actions if a.row == row and a.link is not None and a.link.sf_id in purged]
            n = len(doomed)
            if n < s.mass_delete_min or n <= s.mass_delete_share * linked:
                continue
            held |= {id(a) for a in doomed}
            source = "Salesforce" if into == SIA else "SIA"
            kind = "side_empty" if n >= linked else "share"
            detail = (
                f"all of them: {source} looks empty"
                if kind == "side_empty"
                else f"more than {s.mass_delete_share:.0%} of them"
            )
            found: dict[str, int] = {}
            for a in doomed:
                how = (a.how_found or "").split(":")[0].split(" (")[0]
                found[how] = found.get(how, 0) + 1
            ur.alerts.append(
                {
                    "alert": "mass_delete",
                    "rule": "F16",
                    "kind": kind,
                    "into": into,
                    "would_delete": n,
                    "linked": linked,
                    "how_found": found,
                    "message": (
                        f"{n} of {linked} linked tasks are gone from {source} without a deletion it "
                        f"reported, and would be deleted in {into} ({detail}); held - confirm with "
                        "--allow-mass-delete, or they go ahead once the condition is gone"
                    ),
                }
            )
        return held

    # -- the read bounds (F11 late commits, R4.6; F9 idle cost, R4.5) ----------------------------
    #
    # The bookmark is the highest (stamp, id) read so far, on that side's clock. Right after a read
    # moved it (`settled` False), the next read looks back inclusively - `stamp >= T - L` - so rows
    # written at the bookmark's very instant after they were read (a frozen clock) come back once.
    # After that (`settled`), a late commit - a row whose stamp lies behind rows already read because
    # its transaction committed after them (reference 6.1 F11: up to the look-back L older than the
    # bookmark) - is caught by reading, in the same request, the window [T - L, T) behind the bookmark
    # T along with the strict keyset beyond it:
    #     (stamp > T OR (stamp = T AND id > last_id)) OR (stamp >= T - L AND stamp < T)
    # Rows sharing T itself are outside the window, so an idle pass under a frozen clock reads nothing
    # even when thousands of rows carry T; rows already seen come back unchanged and are no-ops (R4.5).
    # Accepted blind spots (decided, F11/R4.6): a late commit with the very millisecond of the bookmark
    # but a smaller id; and a late commit behind a bookmark whose window holds a page or more of rows
    # (a bulk burst) - there the reads drop the window (strict keyset only) until the bookmark moves
    # past it, so an idle pass stays one read (F9). The window is bookmark-relative, not "since the
    # server's clock at the previous read minus L": a late commit may surface after the server's clock
    # has passed its stamp + L (F11 tests), and since a bookmark never lies after the server's clock at
    # the read that found it, the bookmark-relative window always contains that narrower one.
    # SIA's list API can only AND its filters, so its window read is `updated_since=T - L` (rows at T
    # come back too - they count towards the page limit) and its keyset-only read `after=T,last_id`.
    def _lookback_open(self, cursor: tuple, page_size: int) -> bool:
        return bool(self.settings.lookback) and _cursor4(cursor)[3] < page_size

    def _sf_read_bounds(
        self, cursor: tuple, page_size: int = 2000
    ) -> tuple[str | None, str | None, str | None]:
        """(since, after_id, lookback_from) for the Salesforce read: see the note above."""
        stamp, last_id, settled, _rows = _cursor4(cursor)
        if not stamp:
            return None, None, None
        at = parse_stamp(stamp)
        if not (last_id and settled):  # an instant (import floor) or a bookmark just moved: inclusive
            return soql_datetime_ms(at - self.settings.lookback), None, None
        if not self._lookback_open(cursor, page_size):
            return soql_datetime_ms(at), last_id, None
        return soql_datetime_ms(at), last_id, soql_datetime_ms(at - self.settings.lookback)

    def _sia_read_bounds(self, cursor: tuple) -> tuple[str | None, str | None]:
        """(since, after_id) for SIA's change list: `updated_since=T - L` while the window is open, the
        strict keyset `after=(T, last_id)` once it holds a page or more (see the note above)."""
        stamp, last_id, settled, _rows = _cursor4(cursor)
        if not stamp:
            return None, None
        page_size = getattr(self.sia, "page_size", 1000)
        if not (last_id and settled) or self._lookback_open(cursor, page_size):
            return iso_ms(parse_stamp(stamp) - self.settings.lookback), None
        return stamp, last_id

    # -- apply ---------------------------------------------------------------------------------
    def _apply(
        self, uid: str, sf, actions: list[Action], ur: UserReport, run_id, already_imported: set | None = None
    ) -> set[str]:
        """Apply one plan in batches; returns the SIA ids its imports (re)linked."""
        at = iso_ms(self.clock.now())
        # R4.3: each side's own clock at this sync, as its last answer (this pass's read) stated it.
        read_at = _ReadAt(sia=getattr(self.sia, "server_time", None), sf=getattr(sf, "server_time", None))
        batch = Batch()
        pending: list[_Pending] = []
        for action in actions:
            if action.row in ("skip_preexisting", "skip_old"):
                ur.skipped += 1
            elif action.error:
                code, message = action.error
                self._fail(batch, ur, action, code, message)
            elif action.row == "observe":
                self._observe(batch, action, read_at)
            elif not _needs_write(action):
                # Rows that write nothing complete at once, in this first commit: a merge with nothing
                # to change (e.g. R2.2a: only note the new values), and `forget` - a task deleted on
                # both sides (R4.4) retires its link and is recorded as deleted in "both", so a later
                # recycle-bin restore comes back as a new SIA task (R4.7) instead of being deleted again.
                self._done(batch, ur, _Pending(action), read_at)
            else:
                pending.append(_Pending(action))
        self.state.commit(uid, batch, at, run_id)

        # SIA writes: imports, restores, updates, deletions - 200 operations per batch call.
        sia_ops = [(p, op) for p in pending for op in [_sia_op(p.action)] if op is not None]
        for start in range(0, len(sia_ops), self.settings.batch_size):
            chunk = sia_ops[start : start + self.settings.batch_size]
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
                    outcome = outcome_for(error.get("code"), status, deleting=op["op"] == "delete")
                    if outcome != DONE:
                        p.failed = True
                        self._fail(
                            batch,
                            ur,
                            p.action,
                            error.get("code") or str(status),
                            error.get("message") or "SIA rejected the write",
                        )
                        continue
                if not p.action.sf_patch or p.action.row in ("import", "restore"):
                    self._done(batch, ur, p, read_at)
            self.state.commit(uid, batch, at, run_id)

        imported = {
            p.sia_result["data"]["id"]
            for p in pending
            if p.action.row in ("import", "restore") and p.sia_result and not p.failed
        } | (already_imported or set())
        # Salesforce writes: upsert (creates), update, delete - sObject Collections, 200 per call.
        groups = {
            # R4.6: an SIA task that an import just (re)linked is the engine's own earlier write,
            # seen unlinked after an interrupted pass - never push it back as a new Salesforce task.
            "upsert": [
                p for p in pending if p.action.row == "create_sf" and p.action.sia_task["id"] not in imported
            ],
            "update": [
                p
                for p in pending
                if p.action.row in ("push", "pull", "merge") and p.action.sf_patch and not p.failed
            ],
            "delete": [p for p in pending if p.action.row == "delete_sf"],
        }
        for kind, items in groups.items():
            for start in range(0, len(items), self.settings.batch_size):
                chunk = items[start : start + self.settings.batch_size]
                if kind == "upsert":
                    bodies = [p.action.sf_patch for p in chunk]
                elif kind == "update":
                    bodies = [{"Id": p.action.link.sf_id, **p.action.sf_patch} for p in chunk]
                else:
                    bodies = [p.action.link.sf_id for p in chunk]
                # R4.6/F8: stored before it is sent; done in the commit that records the answers.
                done = self.state.add_intents(
                    uid,
                    [intents.for_salesforce(p.action, kind, b) for p, b in zip(chunk, bodies, strict=True)],
                    at,
                )
                if kind == "upsert":
                    results = sf.upsert(bodies)
                elif kind == "update":
                    results = sf.update(bodies)
                else:
                    results = sf.delete(bodies)
                self._after_write(SF, kind)
                written_at = getattr(sf, "server_time", None)
                batch = Batch(intents_done=done)
                for p, result in zip(chunk, results, strict=True):
                    p.sf_result = result
                    p.sf_written_at = written_at
                    if not result.get("success"):
                        error = (result.get("errors") or [{}])[0]
                        code = error.get("statusCode") or error.get("errorCode")
                        if outcome_for(code, None, deleting=kind == "delete") != DONE:
                            self._fail(batch, ur, p.action, code, error.get("message") or "rejected")
                            continue
                    self._done(batch, ur, p, read_at)
                self.state.commit(uid, batch, at, run_id)

        return imported

    def _after_write(self, side: str, kind: str) -> None:
        if self.hooks.after_write:
            self.hooks.after_write(side, kind)

    @staticmethod
    def _observe(batch: Batch, action: Action, read_at: _ReadAt) -> None:
        """R4.5: content unchanged (an echo of our own write or a system touch) - nothing to write.

        A version not seen before (its stamp after the side's baseline) is a sync of this link: both
        baselines move to this pass's clocks (R4.3). A row read again with nothing new - a look-back
        re-read (F11) - leaves the state untouched, so an idle pass changes nothing (F9).
        """
        link = action.link
        task, record = action.sia_task, action.sf_record
        newer = (task is not None and _after(task["updated_at"], link.sia_stamp)) or (
            record is not None and _after(record["SystemModstamp"], link.sf_stamp)
        )
        if newer:
            link.sia_stamp = _later(read_at.sia, task["updated_at"] if task else None) or link.sia_stamp
            link.sf_stamp = _later(read_at.sf, record["SystemModstamp"] if record else None) or link.sf_stamp
            batch.links.append(link)

    @staticmethod
    def _task_keys(action: Action) -> list[tuple[str, str]]:
        keys = []
        sia_id = (action.sia_task or {}).get("id") or (action.link.sia_id if action.link else None)
        sf_id = (action.sf_record or {}).get("Id") or (action.link.sf_id if action.link else None)
        if sia_id and action.row not in ("import", "restore"):
            keys.append((SIA, sia_id))
        if sf_id and action.row != "create_sf":
            keys.append((SF, sf_id))
        return keys

    def _fail(self, batch: Batch, ur: UserReport, action: Action, code, message: str) -> None:
        """Skip this task (recorded, retried next pass), never blocking the rest."""
        for side, task_id in self._task_keys(action):
            batch.errors.append((side, task_id, code, message))
        ur.errors.append(
            {
                "row": action.row,
                "rules": action.rules,
                "code": code,
                "message": message,
                "task": dict(self._task_keys(action)),
            }
        )

    def _done(self, batch: Batch, ur: UserReport, p: _Pending, read_at: _ReadAt) -> None:
        """Note one applied row in the state.

        R4.3 baselines: whatever touched a live link, its SIA stamp becomes SIA's clock at this sync
        (the `updated_at` SIA returned for our write, else SIA's clock at this pass's read) and its
        Salesforce stamp Salesforce's clock at this sync (its clock right after our write, else at
        the read) - so "time since the last sync" starts at the same moment on both sides, each
        measured on its own clock, and the two clocks are never compared with each other.
        """
        action, row = p.action, p.action.row
        batch.cleared += self._task_keys(action)
        if row in ("import", "restore"):
            task, record = p.sia_result["data"], action.sf_record
            link = action.link or LinkObs(sia_id=task["id"], sf_id=record["Id"])
            link.sia_id, link.live = task["id"], True
            link.generation = link.generation + 1 if row == "restore" else 0
            _set_sia(link, task, task.get("updated_at"))
            _set_sf(link, sf_view(record), _later(read_at.sf, record["SystemModstamp"]))
            batch.links.append(link)
            batch.cleared.append((SF, record["Id"]))
            ur.created[SIA] += 1
        elif row == "create_sf":
            task = action.sia_task
            link = LinkObs(sia_id=task["id"], sf_id=p.sf_result["id"])
            _set_sia(link, task, _later(read_at.sia, task.get("updated_at")))
            _set_sf(link, action.new_sf_values, p.sf_written_at or read_at.sf)
            batch.links.append(link)
            ur.created[SF] += 1
        elif row in ("push", "pull", "merge"):
            link = action.link
            task, record = action.sia_task, action.sf_record
            if action.sia_patch:
                written = p.sia_result["data"]
                _set_sia(link, written, written.get("updated_at"))
                ur.updated[SIA] += 1
            else:
                values = sia_view(task) if task else action.new_sia_values
                stamp = _later(read_at.sia, task.get("updated_at") if task else None)
                _set_sia_values(link, values, stamp or link.sia_stamp)
            if action.sf_patch and p.sf_written_at:
                sf_stamp = p.sf_written_at
            else:
                sf_stamp = _later(read_at.sf, record["SystemModstamp"] if record else None) or link.sf_stamp
            _set_sf(link, action.new_sf_values, sf_stamp)
            if action.sf_patch:
                ur.updated[SF] += 1
            batch.links.append(link)
            for c in action.conflicts:
                record = {
                    "sia_id": link.sia_id,
                    "sf_id": link.sf_id,
                    "field": c.field,
                    "sia_value": _text(c.sia_value),
                    "sf_value": _text(c.sf_value),
                    "winner": c.winner,
                }
                batch.conflicts.append(record)
                ur.conflicts.append(record)
        elif row in ("delete_sf", "delete_sia", "forget"):
            link = action.link
            link.live = False
            batch.links.append(link)
            deleted_in = {"delete_sf": SF, "delete_sia": SIA, "forget": "both"}[row]
            if row != "forget":
                ur.deleted[deleted_in] += 1
            record = {
                "sia_id": link.sia_id,
                "sf_id": link.sf_id,
                "deleted_in": deleted_in,
                "how_found": action.how_found or "",
            }
            batch.deletions.append(record)
            ur.deletions.append(record)


def pass_error(exc: SyncError, sia_url: str | None = None) -> str:
    """One clear line for a pass that failed before any user was synced (SIA unreachable, token refused)."""
    where = f" at {sia_url}" if sia_url else ""
    if exc.status == 401 or exc.code == "unauthorized":
        return (
            f"SIA_UNAUTHORIZED: SIA{where} refused the service token (401); "
            "check --service-token / TASKSYNC_SIA_TOKEN"
        )
    if isinstance(exc, TransientError) and exc.status is None:
        text = exc.message
        for known in ("Connection refused", "Read timed out", "Name or service not known", "timed out"):
            if known in text:
                text = known.lower()
                break
        return f"SIA_UNREACHABLE: cannot reach SIA{where}: {text[:200]}"
    return f"{exc.code or type(exc).__name__}: {exc.message}"[:300]


def _needs_write(action: Action) -> bool:
    """Whether applying this row calls either side (else it is only bookkeeping in the state)."""
    if action.row in ("push", "pull", "merge"):
        return bool(action.sia_patch or action.sf_patch)
    return action.row != "forget"


def _sia_op(action: Action) -> dict | None:
    if action.row in ("import", "restore"):
        return {"op": "create", "idempotency_key": action.idempotency_key, "data": action.sia_patch}
    if action.row in ("push", "pull", "merge") and action.sia_patch:
        return {"op": "update", "id": action.link.sia_id, "data": action.sia_patch}
    if action.row == "delete_sia":
        return {"op": "delete", "id": action.link.sia_id}
    return None


def _set_sia(link: LinkObs, task: dict, stamp: str | None) -> None:
    _set_sia_values(link, sia_view(task), stamp)


def _set_sia_values(link: LinkObs, values: dict, stamp: str | None) -> None:
    link.sia_values = dict(values)
    link.sia_hash = content_hash(link.sia_values)
    link.sia_stamp = stamp


def _after(stamp: str, baseline: str | None) -> bool:
    """Whether `stamp` lies after `baseline` (both of ONE system's clock; no baseline: yes)."""
    return baseline is None or parse_stamp(stamp) > parse_stamp(baseline)


def _later(a: str | None, b: str | None) -> str | None:
    """The later of two stamps of the SAME system's clock (None: unknown). R4.3 never mixes clocks."""
    if not a or not b:
        return a or b
    return a if parse_stamp(a) >= parse_stamp(b) else b


def _set_sf(link: LinkObs, values: dict, stamp: str | None) -> None:
    link.sf_values = dict(values)
    link.sf_hash = content_hash(link.sf_values)
    link.sf_stamp = stamp


def _text(value) -> str | None:
    return None if value is None else str(value)


def _cursor4(cursor: tuple) -> tuple:
    """A stored bookmark as (stamp, last_id, settled, lookback_rows) - shorter tuples padded."""
    return (tuple(cursor) + (None, None, False, 0)[len(cursor) :])[:4]


class _Bookmark:
    """The keyset bookmark after a read: the largest (stamp, id) among rows read, never moving back.

    It only ever holds a stamp some row actually carried, so it can never pass the moment the read
    started (tap-salesforce's rule). Fed the keys of the rows read, in read order (ascending); rows at
    or behind the old bookmark (the look-back window's re-reads, F11) leave it where it is.
    `lookback_rows` bounds the rows stamped in [T - L, T] for the next read's window (see the note at
    `Engine._sf_read_bounds`): kept while the bookmark stays, the old count plus the new rows while
    the new bookmark is within L of the old one, else counted exactly from the rows just read.
    """

    def __init__(self, cursor: tuple, lookback: timedelta) -> None:
        stamp, last_id, _settled, rows = _cursor4(cursor)
        self.old = (stamp, last_id)
        self.old_rows = rows
        self.old_key = (parse_stamp(stamp), last_id or "") if stamp else None
        self.lookback = lookback
        self.best, self.best_key = self.old, self.old_key
        self.new = 0
        self.recent: deque = deque()  # stamps of the newest rows, within L of the best

    def feed(self, keys: list[tuple[str, str]]) -> None:
        for stamp, row_id in keys:
            key = (parse_stamp(stamp), row_id)
            if self.old_key is not None and key <= self.old_key:
                continue  # a re-read behind the old bookmark
            self.new += 1
            if self.best_key is None or key > self.best_key:
                self.best, self.best_key = (stamp, row_id), key
            self.recent.append(key[0])
            while self.recent and self.recent[0] < self.best_key[0] - self.lookback:
                self.recent.popleft()

    def result(self) -> tuple[str | None, str | None, bool, int]:
        if self.best == self.old:
            return (*self.old, True, self.old_rows)
        if self.old_key is not None and self.best_key[0] - self.lookback <= self.old_key[0]:
            return (*self.best, False, self.old_rows + self.new)
        return (*self.best, False, sum(1 for at in self.recent if at >= self.best_key[0] - self.lookback))


def _advance(cursor: tuple, seen: list[tuple[str, str]]) -> tuple[str | None, str | None, bool]:
    """The bookmark after reading rows with these keys: (stamp, id, settled) - see `_Bookmark`."""
    bookmark = _Bookmark(tuple(cursor[:2]), timedelta(0))
    bookmark.feed(sorted(seen, key=lambda k: (parse_stamp(k[0]), k[1])))
    return bookmark.result()[:3]
