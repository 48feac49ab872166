"""`python -m benchmarks` (`make bench`): each pass's speed at several sizes, side by side.

Usage: `python -m benchmarks [--sizes 1000,10000,50000] [--no-memory] [--profile PASS]`.
Every size runs the same passes in-process (`sandbox.harness.Harness`, SQLite in memory): the first
import of N Salesforce tasks, the push of N new SIA tasks, the echo pass reading both back, a
look-back pass, an idle pass, and the reconciliation sweep (2N linked ids read by id). Times are
taken WITHOUT tracemalloc; peak memory per pass comes from a second, traced run of the same scenario
(`--no-memory` skips it), with the largest size's peak over the smallest's. `--profile import|push|...` prints
the cProfile top of that pass at the largest size and the engine's share of it (ordered by cumulative
time; `BENCH_SORT=tottime` orders it by own time).
`python -m benchmarks --memory [N ...]`: the first import's peak memory, by page vs all at once.
`python -m benchmarks fleet [--users N --tasks T]` - users/s of 1, 2, 4 fleet workers on PostgreSQL.
`python -m benchmarks mocks [--quick]` - the Salesforce mock vs simple-mockforce per operation, query
paging (first vs last page past 50,000 rows) and server CPU per call vs a bare Flask app.
"""

from __future__ import annotations

import cProfile
import io
import math
import os
import pstats
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

import click

from mock_core.transport import WSGITransport
from sandbox.harness import Harness
from sync.engine import EngineSettings
from sync.report import PassReport

_T0 = time.perf_counter()
PASSES = ("import", "push", "echo", "lookback", "idle", "reconcile")


def step(message: str) -> None:
    """A progress line (elapsed time since start), so a long run is never silent."""
    print(f"  [{time.perf_counter() - _T0:7.1f} s] {message}", flush=True)


def floor_calls(reads: int, writes: int, by_id: int = 0) -> int:
    """Change reads of 2000 rows a call, writes of 200 a call, reads by id of 200 a call."""
    return max(1, math.ceil(reads / 2000)) + math.ceil(writes / 200) + math.ceil(by_id / 200)


@dataclass
class PassFigures:
    seconds: float = 0.0
    peak_mb: float | None = None
    sf_calls: int = 0
    sia_calls: int = 0
    floor: int = 0
    writes: int = 0
    mocks_s: float = 0.0  # time inside the in-process mocks (their share, the other side of the wire)

    @property
    def engine_s(self) -> float:
        return self.seconds - self.mocks_s


@dataclass
class Run:
    n: int
    passes: dict[str, PassFigures] = field(default_factory=dict)
    profile: str | None = None


class _MockTimer:
    """Time spent inside the in-process mocks: every call the engine makes to them goes through
    `WSGITransport.send`, wrapped here (for this benchmark only) to add up its duration."""

    spent = 0.0

    @classmethod
    def install(cls) -> None:
        if getattr(WSGITransport.send, "_timed", False):
            return
        original = WSGITransport.send

        def send(self: WSGITransport, *args: object, **kwargs: object) -> object:
            t0 = time.perf_counter()
            try:
                return original(self, *args, **kwargs)  # type: ignore[arg-type]
            finally:
                cls.spent += time.perf_counter() - t0

        send._timed = True  # type: ignore[attr-defined]
        WSGITransport.send = send  # type: ignore[assignment,method-assign]


def scenario(
    n: int,
    *,
    trace: bool = False,
    profile: str | None = None,
    say: Callable[[str], None] = step,
    settings: EngineSettings | None = None,
) -> Run:
    """The six passes at size N; timed, or traced (`trace`: peak memory per pass)."""
    run = Run(n)
    _MockTimer.install()
    with Harness(settings=settings) as h:
        say(f"N={n}: seeding {n} Salesforce tasks")
        h.org.seed(n, seed=1, owner=h.sf_user_id)
        h.clock.advance(minutes=1)
        h.enable_sync()
        h.clock.advance(minutes=1)
        h.engine.hooks.progress = lambda _u, done, total: say(f"N={n}: imported {done}/{total}")

        def timed(name: str, reads: int, writes: int, by_id: int = 0) -> PassReport:
            say(f"N={n}: {name} pass{' (traced)' if trace else ''}")
            profiler = cProfile.Profile() if profile == name else None
            if trace:
                tracemalloc.start()
            if profiler:
                profiler.enable()
            in_mocks = _MockTimer.spent
            t0 = time.perf_counter()
            report = h.run_pass()
            seconds = time.perf_counter() - t0
            in_mocks = _MockTimer.spent - in_mocks
            if profiler:
                profiler.disable()
                run.profile = _profile_text(profiler)
            figures = PassFigures(seconds=seconds, floor=floor_calls(reads, writes, by_id), mocks_s=in_mocks)
            if trace:
                figures.peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            user = report.users[0]
            figures.sf_calls, figures.sia_calls = user.api_calls["salesforce"], user.api_calls["sia"]
            figures.writes = user.writes
            run.passes[name] = figures
            return report

        timed("import", n, 0)
        h.engine.hooks.progress = None
        say(f"N={n}: creating {n} SIA tasks (batches of 200)")
        session = h.sia_user_session()
        for start in range(0, n, 200):
            ops = [
                {"op": "create", "data": {"name": f"bench {i}"}} for i in range(start, min(n, start + 200))
            ]
            session.post(f"{h.sia_url}/api/v1/tasks/batch", json={"operations": ops})
        h.clock.advance(minutes=1)
        timed("push", n, n)
        h.clock.advance(minutes=1)
        timed("echo", n, 0)  # reads back its own writes, writes nothing
        h.clock.advance(minutes=5)
        timed("lookback", 0, 0)  # one look-back re-read settles the cursors
        h.clock.advance(minutes=5)
        timed("idle", 0, 0)
        h.clock.advance(hours=7)  # R4.2: the reconciliation sweep (every 6 h) re-reads all 2N linked ids
        timed("reconcile", 0, 0, by_id=2 * n)
    return run


def _profile_text(profiler: cProfile.Profile, top: int = 25) -> str:
    """The cProfile top, and how much of the pass the mocks took (every call into them goes through
    `mock_core.transport`): the rest is the engine's share (its own code, SQLAlchemy, the state DB)."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    raw = stats.stats  # type: ignore[attr-defined]
    total = max(row[3] for row in raw.values())
    mocks = sum(
        row[3]
        for (path, _line, name), row in raw.items()
        if path.endswith("mock_core/transport.py") and name == "send"
    )
    lines = [
        f"pass {total:.2f} s under cProfile: mocks (in-process HTTP) {mocks:.2f} s ({mocks / total:.0%}), "
        f"engine {total - mocks:.2f} s ({(total - mocks) / total:.0%})"
    ]
    stats.sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(top)
    return "\n".join(lines) + "\n" + out.getvalue()


def table(runs: list[Run]) -> str:
    sizes = [r.n for r in runs]
    head = "pass      " + "".join(f"{'N=' + str(n):>24s}" for n in sizes)
    growth = 10000 in sizes and 50000 in sizes
    if growth:
        head += "   exp 10k->50k"
    lines = [head]
    for name in PASSES:
        cells = ""
        for r in runs:
            p = r.passes[name]
            if name in ("import", "push"):
                rate = f"{r.n / p.seconds:,.0f} tasks/s ({p.seconds:.2f} s)"
            else:
                rate = f"{p.seconds * 1000:,.0f} ms"
            cells += f"{rate:>24s}"
        if growth:
            t10 = next(r for r in runs if r.n == 10000).passes[name].seconds
            t50 = next(r for r in runs if r.n == 50000).passes[name].seconds
            cells += f"   {math.log(t50 / t10) / math.log(5):+.2f}"
        lines.append(f"{name:10s}{cells}")

    def block(title: str, cell: Callable[[PassFigures], str]) -> None:
        lines.append(title)
        lines.extend(f"{name:10s}" + "".join(f"{cell(r.passes[name]):>24s}" for r in runs) for name in PASSES)

    block("the engine's share (s): the pass minus the time inside the mocks", lambda p: f"{p.engine_s:.2f}")
    block(
        "peak memory (MiB, tracemalloc, separate run)",
        lambda p: "-" if p.peak_mb is None else f"{p.peak_mb:.1f}",
    )
    if len(runs) > 1 and all(r.passes[name].peak_mb for r in runs for name in PASSES):
        lo, hi = runs[0], runs[-1]
        lines.append(f"peak memory N={hi.n} / N={lo.n} (target: paged passes within 1.2x)")
        lines.extend(
            f"{name:10s}{hi.passes[name].peak_mb / lo.passes[name].peak_mb:>24.2f}x"  # type: ignore[operator]
            for name in PASSES
        )
    block("Salesforce calls / floor; SIA calls", lambda p: f"{p.sf_calls}/{p.floor}; {p.sia_calls}")
    return "\n".join(lines)


def import_memory(n: int, stream_above: int | None) -> tuple[float, float, int, int]:
    """Peak traced memory (MB) and seconds of a first-sync import of N tasks; SF and SIA calls."""
    settings = EngineSettings(stream_import_above=stream_above)
    with Harness(settings=settings) as h:
        h.org.seed(n, seed=1, owner=h.sf_user_id)
        h.clock.advance(minutes=1)
        h.enable_sync()
        h.clock.advance(minutes=1)
        tracemalloc.start()
        t0 = time.perf_counter()
        report = h.run_pass()
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert report.total("created")["sia"] == n
        calls = report.users[0].api_calls
    return peak / 1e6, seconds, calls["salesforce"], calls["sia"]


def memory_main(sizes: list[int]) -> None:
    """The first import's peak memory, page by page vs all at once."""
    sizes = sizes or [5000, 20000]
    print("first-sync import, peak traced memory (tracemalloc; in-process mocks, SQLite in memory)")
    for label, above in (("page by page (default)", 4000), ("all at once", None)):
        for n in sizes:
            step(f"{label}, N = {n}")
            peak, seconds, sf_calls, sia_calls = import_memory(n, above)
            print(
                f"  {label:24s} N = {n:6d}: peak {peak:6.1f} MB; {seconds:6.1f} s; "
                f"calls SF {sf_calls}, SIA {sia_calls}"
            )


def _sizes(_ctx: click.Context, _param: click.Parameter, value: str) -> list[int]:
    try:
        sizes = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter("a comma-separated list of task counts, e.g. 1000,10000,50000") from None
    if not sizes or min(sizes) < 1:
        raise click.BadParameter("at least one size, each 1 or more")
    return sizes


@click.command()
@click.argument("legacy_sizes", nargs=-1, type=click.IntRange(min=1))
@click.option(
    "--sizes",
    default="1000,10000",
    show_default=True,
    callback=_sizes,
    help="Task counts to run, comma-separated (50000 takes minutes on 2 cores).",
)
@click.option(
    "--memory/--no-memory", "trace", default=True, help="Also a traced run for peak memory per pass."
)
@click.option(
    "--profile", type=click.Choice(PASSES), help="Print the cProfile top of this pass (largest size)."
)
@click.option(
    "--import-memory", "import_mem", is_flag=True, help="Only: the first import's memory, paged vs not."
)
@click.option(
    "--paged/--no-paged",
    default=True,
    show_default=True,
    help="Steady-state passes page by page above 4000 rows (--no-paged: all at once, as before issue 9).",
)
def main(
    legacy_sizes: tuple[int, ...],
    sizes: list[int],
    trace: bool,
    profile: str | None,
    import_mem: bool,
    paged: bool,
) -> None:
    """Each pass's tasks/s at several sizes, the growth exponent, idle cost, memory, API calls vs floor."""
    if legacy_sizes:
        sizes = list(legacy_sizes)
    if import_mem:
        memory_main(sizes)
        return
    print("tasksync benchmarks (in-process mocks, SQLite in memory; figures only)", flush=True)
    runs = []
    settings = None if paged else EngineSettings(stream_pass_above=None)
    for n in sizes:
        run = scenario(n, profile=profile if n == max(sizes) else None, settings=settings)
        if trace:
            traced = scenario(n, trace=True, settings=settings)
            for name, figures in traced.passes.items():
                run.passes[name].peak_mb = figures.peak_mb
        runs.append(run)
    print()
    print(table(runs))
    for run in runs:
        if run.profile:
            print(f"\ncProfile of the {profile} pass at N={run.n}:\n{run.profile}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["fleet"]:  # the fleet benchmark (benchmarks/fleet.py) has its own options
        from benchmarks.fleet import main as fleet_main

        fleet_main(sys.argv[2:], prog_name="python -m benchmarks fleet")
    elif sys.argv[1:2] == ["mocks"]:  # the mocks' benchmark (benchmarks/mocks.py) has its own options
        from benchmarks.mocks import main as mocks_main

        mocks_main(sys.argv[2:], prog_name="python -m benchmarks mocks")
    else:
        main()
