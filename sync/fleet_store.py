"""The fleet's own tables in the state PostgreSQL: the per-pass log and the shared API budget.

Kept apart from the engine's state models (their own `MetaData`), so the engine's migrations never see
them; `tasksync db upgrade` creates them (`create_fleet_tables`).

- `fleet_passes`: one row per pass of one user by one worker (worker, user, job, start, end, outcome).
  Start and end are stamped by the PostgreSQL server's clock (`clock_timestamp()`), one clock for every
  worker on every machine, so intervals of different workers compare. A pass whose worker died keeps
  `finished_at` empty until the stalled-job sweep marks it `abandoned` (end = when that was noticed,
  an upper bound of when it really stopped).
- `fleet_api_budget`: the F3/F4 governor of one Salesforce org shared by all workers (`PgApiBudget`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.functions import Function

from sync.budget import BudgetDeferred

metadata = MetaData()

passes = Table(
    "fleet_passes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("worker", String(120), nullable=False),  # host:pid (procrastinate worker id)
    Column("user_id", String(64), nullable=False, index=True),
    Column("job_id", BigInteger),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("outcome", String(24)),  # ok | stopped | deferred | failed | abandoned | skipped
    Column("detail", Text),
    Column("report", JSON),
)

budgets = Table(
    "fleet_api_budget",
    metadata,
    Column("org", String(500), primary_key=True),  # the Salesforce instance URL
    Column("used", Integer),
    Column("total", Integer),
    Column("calls", BigInteger, nullable=False, default=0),  # calls made by the fleet (all workers)
    Column("exhausted", Text),  # why every worker defers this org's calls, or NULL
    Column("probe_after", DateTime(timezone=True)),  # when one worker may make the next probe call
    Column("updated_at", DateTime(timezone=True)),
)


def create_fleet_tables(engine: Engine) -> None:
    metadata.create_all(engine)


# -- the per-pass log -------------------------------------------------------------------------------
def start_pass(engine: Engine, worker: str, user_id: str, job_id: int | None) -> int:
    with engine.begin() as conn:
        pass_id: int = conn.execute(
            insert(passes)
            .values(worker=worker, user_id=user_id, job_id=job_id, started_at=func.clock_timestamp())
            .returning(passes.c.id)
        ).scalar_one()
        return pass_id


def finish_pass(
    engine: Engine,
    pass_id: int,
    outcome: str,
    detail: str | None = None,
    report: dict[str, Any] | None = None,
) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(passes)
            .where(passes.c.id == pass_id)
            .values(finished_at=func.clock_timestamp(), outcome=outcome, detail=detail, report=report)
        )


def abandon_passes(engine: Engine, job_ids: list[int]) -> int:
    """Close the open passes of jobs whose worker died (end = now: an upper bound of the real end)."""
    if not job_ids:
        return 0
    with engine.begin() as conn:
        return conn.execute(
            update(passes)
            .where(passes.c.job_id.in_(job_ids), passes.c.finished_at.is_(None))
            .values(
                finished_at=func.clock_timestamp(),
                outcome="abandoned",
                detail="the worker stopped heart-beating mid-pass; the job was retried",
            )
        ).rowcount


def recent_passes(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(passes).order_by(passes.c.id.desc()).limit(limit)).mappings()
        return [dict(r) for r in rows]


def all_passes(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(passes).order_by(passes.c.id)).mappings()]


def overlapping_passes(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Pairs of passes of one user whose [start, end] intervals overlap (an open end counts as now)."""
    by_user: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_user.setdefault(row["user_id"], []).append(row)
    out = []
    for items in by_user.values():
        items.sort(key=lambda r: r["started_at"])
        for a, b in zip(items, items[1:], strict=False):
            if a["finished_at"] is None or b["started_at"] < a["finished_at"]:
                out.append((a, b))
    return out


# -- the shared API budget (F3/F4 across workers) ------------------------------------------------
@dataclass
class PgApiBudget:
    """`sync.budget.ApiBudget`'s contract, with the decision kept in PostgreSQL for the whole fleet.

    Each answer's `Sforce-Limit-Info` (the org's own used/total) is written to the org's row; once
    `used >= threshold * total` (F4) or a 403 REQUEST_LIMIT_EXCEEDED was seen (F3), the row says
    `exhausted` and every worker refuses that org's calls before making them (`BudgetDeferred`), so N
    workers together stop at the configured share. While exhausted, one call per `probe_every` seconds
    across the fleet (claimed atomically) probes whether the allocation was reset; an answer under the
    threshold clears the row and every worker resumes. The per-pass cap (`pass_share`) has no meaning
    without fleet-wide passes and is not applied here.
    """

    engine: Engine
    org: str
    threshold: float | None = 0.9
    probe_every: float = 60.0
    exhausted: str | None = None  # what the last refusal said (for the report)

    def __post_init__(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                pg_insert(budgets)
                .values(org=self.org, calls=0, updated_at=func.clock_timestamp())
                .on_conflict_do_nothing(index_elements=["org"])
            )

    def start_pass(self) -> None:  # one job is one user's pass; the fleet's state is not reset by it
        self.exhausted = None

    def before_call(self) -> None:
        with self.engine.begin() as conn:
            row = conn.execute(select(budgets.c.exhausted).where(budgets.c.org == self.org)).first()
            if row is None or row.exhausted is None:
                return
            probe = conn.execute(  # F3/F4: one worker at a time may probe whether the allocation reset
                update(budgets)
                .where(
                    budgets.c.org == self.org,
                    budgets.c.exhausted.is_not(None),
                    budgets.c.probe_after <= func.clock_timestamp(),
                )
                .values(probe_after=func.clock_timestamp() + _seconds(self.probe_every))
                .returning(budgets.c.org)
            ).first()
            if probe is not None:
                return
        self.exhausted = row.exhausted
        raise BudgetDeferred(row.exhausted, code="API_BUDGET", side="salesforce")

    def after_call(self, api_usage: Any) -> None:
        usage = (api_usage or {}).get("api-usage")
        values: dict[str, Any] = {"calls": budgets.c.calls + 1, "updated_at": func.clock_timestamp()}
        if usage is not None:
            used, total = int(usage.used), int(usage.total)
            values.update(used=used, total=total)
            if total and self.threshold is not None and used >= self.threshold * total:  # F4
                values.update(
                    exhausted=f"API usage {used}/{total} reached {self.threshold:.0%} of the org's "
                    "allocation (shared by every worker); deferred",
                    probe_after=func.clock_timestamp() + _seconds(self.probe_every),
                )
            elif total:
                values.update(exhausted=None, probe_after=None)
        with self.engine.begin() as conn:
            conn.execute(update(budgets).where(budgets.c.org == self.org).values(**values))

    def after_error(self, error: BaseException) -> None:
        if getattr(error, "code", None) == "REQUEST_LIMIT_EXCEEDED":  # F3: stop the whole fleet at once
            with self.engine.begin() as conn:
                conn.execute(
                    update(budgets)
                    .where(budgets.c.org == self.org)
                    .values(
                        exhausted="REQUEST_LIMIT_EXCEEDED: the org's API allocation is spent; "
                        "resumed after a probe finds it reset",
                        probe_after=func.clock_timestamp() + _seconds(self.probe_every),
                        updated_at=func.clock_timestamp(),
                    )
                )

    def state(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return dict(conn.execute(select(budgets).where(budgets.c.org == self.org)).mappings().one())


def _seconds(n: float) -> Function[Any]:
    return func.make_interval(0, 0, 0, 0, 0, 0, float(n))
