"""`python -m benchmarks` (`make bench`): API calls vs the physical floor, wall-clock per pass, memory.

Usage: `python -m benchmarks [N ...]` - sizes to run (default 5000 10000);
`python -m benchmarks --memory [N ...]` - the first import's peak memory, by page vs all at once
(default 5000 20000). `--help` for the options.
`python -m benchmarks fleet [--users N --tasks T]` - users/s of 1, 2, 4 fleet workers on PostgreSQL.
"""

from __future__ import annotations

import math
import sys
import time
import tracemalloc

import click
from tqdm import tqdm

from sandbox.harness import Harness
from sync.engine import EngineSettings
from sync.progress import ImportProgress

_T0 = time.perf_counter()


def step(message: str) -> None:
    """A progress line (elapsed time since start), so a long run is never silent."""
    print(f"  [{time.perf_counter() - _T0:7.1f} s] {message}", flush=True)


def _every(n: int, say):
    """An `after_write` hook that says how many write calls a long pass has made, every `n` of them."""
    calls = 0

    def hook(_side: str, _kind: str) -> None:
        nonlocal calls
        calls += 1
        if calls % n == 0:
            say(calls)

    return hook


def floor_calls(reads: int, writes: int) -> int:
    return max(1, math.ceil(reads / 2000)) + math.ceil(writes / 200)


def first_import(h: Harness, n: int):
    """Seed N Salesforce tasks, turn sync on, and run the first pass (the import) under tracemalloc.

    Returns (report, seconds, peak traced bytes)."""
    step(f"seeding {n} Salesforce tasks")
    h.org.seed(n, seed=1, owner=h.sf_user_id)
    h.clock.advance(minutes=1)
    h.enable_sync()
    h.clock.advance(minutes=1)
    step(f"first sync: importing {n} tasks into SIA")
    h.engine.hooks.after_write = _every(
        5, lambda calls: step(f"  {calls} write calls (up to 200 tasks each)")
    )
    bar = ImportProgress(disable=None)  # a bar on a terminal; lines page by page otherwise
    h.engine.hooks.progress = (
        bar if sys.stderr.isatty() else lambda _u, done, total: step(f"imported {done}/{total}")
    )
    tracemalloc.start()
    t0 = time.perf_counter()
    report = h.run_pass()
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    bar.close()
    return report, seconds, peak


def bench(n: int) -> dict:
    with Harness() as h:
        first, t_import, peak = first_import(h, n)  # import N Salesforce tasks into SIA
        # N SIA tasks created after enabling -> N Salesforce creates (M = N writes).
        ops = [{"op": "create", "data": {"name": f"bench {i}"}} for i in range(n)]
        session = h.sia_user_session()
        step(f"creating {n} SIA tasks (batches of 200)")
        for start in tqdm(range(0, n, 200), desc="SIA batches", unit=" batch", disable=None, leave=False):
            session.post(f"{h.sia_url}/api/v1/tasks/batch", json={"operations": ops[start : start + 200]})
        h.clock.advance(minutes=1)
        step(f"second pass: pushing {n} SIA tasks to Salesforce")
        h.engine.hooks.after_write = _every(
            5, lambda calls: step(f"  {calls} write calls (up to 200 tasks each)")
        )
        t0 = time.perf_counter()
        push = h.run_pass()
        t_push = time.perf_counter() - t0
        h.clock.advance(minutes=1)
        step("echo, look-back and idle passes")
        echo = h.run_pass()  # reads back its own writes, writes nothing
        h.clock.advance(minutes=5)
        t0 = time.perf_counter()
        idle = h.run_pass()  # one look-back re-read settles the cursors
        t_idle = time.perf_counter() - t0
        h.clock.advance(minutes=5)
        t0 = time.perf_counter()
        settled = h.run_pass()
        t_settled = time.perf_counter() - t0
    u1, u2, u3, u4 = (r.users[0] for r in (first, push, echo, idle))
    return {
        "n": n,
        "import_sf_calls": u1.api_calls["salesforce"],
        "import_floor": floor_calls(n, 0),
        "import_sia_calls": u1.api_calls["sia"],
        "import_s": t_import,
        "import_peak_mb": peak / 1e6,
        "push_sf_calls": u2.api_calls["salesforce"],
        "push_floor": floor_calls(n, n),
        "push_s": t_push,
        "echo_writes": u3.writes,
        "echo_sf_calls": u3.api_calls["salesforce"],
        "idle_calls": u4.api_calls,
        "idle_s": t_idle,
        "settled_calls": settled.users[0].api_calls,
        "settled_s": t_settled,
    }


def import_memory(n: int, stream_above: int | None) -> tuple[float, float, int, int]:
    """Peak traced memory (MB) and seconds of a first-sync import of N tasks; SF and SIA calls."""
    settings = EngineSettings(stream_import_above=stream_above)
    with Harness(settings=settings) as h:
        report, seconds, peak = first_import(h, n)
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


@click.command()
@click.argument("sizes", nargs=-1, type=click.IntRange(min=1))
@click.option(
    "--memory", is_flag=True, help="Measure the first import's peak memory instead (slow: tracemalloc)."
)
def main(sizes: tuple[int, ...], memory: bool) -> None:
    """Print API calls against the physical floor, pass times and memory for N-task syncs (figures only)."""
    if memory:
        memory_main(list(sizes))
        return
    sizes = list(sizes) or [5000, 10000]
    print("tasksync benchmarks (in-process mocks, SQLite in memory; figures only)")
    for n in sizes:
        print(f"\nN = {n}", flush=True)
        r = bench(n)
        print(
            f"  first sync import : SF calls {r['import_sf_calls']} / floor {r['import_floor']} "
            f"= {r['import_sf_calls'] / r['import_floor']:.2f}; SIA calls {r['import_sia_calls']}; "
            f"{r['import_s']:.2f} s; peak traced memory {r['import_peak_mb']:.1f} MB"
        )
        print(
            f"  push {n} SIA creates: SF calls {r['push_sf_calls']} / floor {r['push_floor']} "
            f"= {r['push_sf_calls'] / r['push_floor']:.2f}; {r['push_s']:.2f} s"
        )
        print(f"  echo pass         : {r['echo_writes']} writes, {r['echo_sf_calls']} SF reads")
        print(f"  look-back pass    : calls {r['idle_calls']}; {r['idle_s'] * 1000:.0f} ms")
        print(f"  idle pass         : calls {r['settled_calls']}; {r['settled_s'] * 1000:.0f} ms")


if __name__ == "__main__":
    if sys.argv[1:2] == ["fleet"]:  # the fleet benchmark (benchmarks/fleet.py) has its own options
        from benchmarks.fleet import main as fleet_main

        fleet_main(sys.argv[2:], prog_name="python -m benchmarks fleet")
    else:
        main()
