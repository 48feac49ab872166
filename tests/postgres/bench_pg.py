"""Keyset page reads over 100,000 tasks: PostgreSQL vs SQLite (prints figures, asserts nothing).

    TASKSYNC_PG_URL=postgresql+psycopg://tasksync:tasksync@127.0.0.1/tasksync \
        .venv/bin/python tests/postgres/bench_pg.py [--tasks 100000] [--repeat 5]

Per backend, one org seeded with N tasks of one owner spread over 20 days, then the sync's own read
through the real simple-salesforce in-process (the Salesforce adapter's SOQL, `queryAll`, 2000 a page):
- `first page`: the keyset query from the start (`SystemModstamp >= since`), the whole answer counted
  and its ids snapshotted (what the org does for `nextRecordsUrl`), first 2000 rows returned;
- `next page`: one `nextRecordsUrl` page of that cursor;
- `keyset page`: a strict keyset query from the middle, `(SystemModstamp, Id) > (s, id) ... LIMIT 2000`;
- `+ >= bound`: the same page with a redundant `SystemModstamp >= s AND` in front (an index range);
- `idle read`: the strict keyset query past the last row (an idle pass: zero rows);
and, under it, the SQL the org runs for the keyset page, timed directly (median of --repeat).
PostgreSQL gets a fresh database (dropped afterwards); SQLite runs in memory and in a file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from simple_salesforce import Salesforce, format_soql
from sqlalchemy import select, text

from mock_core.clock import Clock
from mock_salesforce import mock_salesforce
from mock_salesforce.models import Task as TaskRow

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LOGIN = {"username": "admin@example.com", "password": "password", "security_token": "token"}
FIELDS = "Id, Subject, Status, Priority, ActivityDate, Description, IsDeleted, SystemModstamp"
HEADERS = {"Sforce-Query-Options": "batchSize=2000"}


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median milliseconds of `repeat` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def soql_stamp(value: str) -> str:
    return value.replace("+0000", "Z")


def bench(label: str, url: str | None, n: int, repeat: int) -> dict:
    clock = Clock(frozen_at=T0)
    with mock_salesforce(config={"DB_URL": url, "CLOCK": clock}) as org:
        owner = org.default_user()["Id"]
        start = time.perf_counter()
        org.seed(n, seed=1, owner=owner, spread_days=20)
        seed_s = time.perf_counter() - start
        sf = Salesforce(**LOGIN)
        since = (T0 - timedelta(days=21)).strftime("%Y-%m-%dT%H:%M:%SZ")
        base = format_soql("OwnerId = {}", owner)

        def first_page():
            return sf.query(
                f"SELECT {FIELDS} FROM Task WHERE {base} AND SystemModstamp >= {since} "
                "ORDER BY SystemModstamp ASC, Id ASC",
                include_deleted=True,
                headers=HEADERS,
            )

        first_ms, first = timed(first_page, repeat)
        next_ms, _ = timed(
            lambda: sf.query_more(
                first["nextRecordsUrl"], identifier_is_url=True, include_deleted=True, headers=HEADERS
            ),
            repeat,
        )
        # The middle and the last row in (SystemModstamp, Id) order (SOQL's OFFSET stops at 2000).
        with org.engine.connect() as conn:
            by_key = select(TaskRow.Id, TaskRow.SystemModstamp)
            rows = [
                conn.execute(by_key.order_by(TaskRow.SystemModstamp, TaskRow.Id).offset(n // 2)).first(),
                conn.execute(by_key.order_by(TaskRow.SystemModstamp.desc(), TaskRow.Id.desc())).first(),
            ]
        middle, last = (
            {"Id": i, "SystemModstamp": f"{m.isoformat(timespec='milliseconds')}Z"} for i, m in rows
        )

        def keyset(row: dict, limit: str = " LIMIT 2000"):
            s = soql_stamp(row["SystemModstamp"])
            where = base + format_soql(
                f" AND (SystemModstamp > {s} OR (SystemModstamp = {s} AND Id > {{}}))", row["Id"]
            )
            return lambda: sf.query(
                f"SELECT {FIELDS} FROM Task WHERE {where} ORDER BY SystemModstamp ASC, Id ASC{limit}",
                include_deleted=True,
                headers=HEADERS,
            )

        page_ms, page = timed(keyset(middle), repeat)
        s = soql_stamp(middle["SystemModstamp"])  # the same rows, with a redundant range bound first
        bounded = base + format_soql(
            f" AND SystemModstamp >= {s} AND (SystemModstamp > {s} OR Id > {{}})", middle["Id"]
        )
        bounded_ms, same = timed(
            lambda: sf.query(
                f"SELECT {FIELDS} FROM Task WHERE {bounded} ORDER BY SystemModstamp ASC, Id ASC LIMIT 2000",
                include_deleted=True,
                headers=HEADERS,
            ),
            repeat,
        )
        assert same["records"] == page["records"], "the bounded form must read the same page"
        idle_ms, idle = timed(keyset(last, ""), repeat)
        assert len(page["records"]) == 2000 and idle["totalSize"] == 0, "the bench read the wrong rows"

        stamp = rows[0][1]
        sql = text(
            'SELECT "Id", "Subject", "SystemModstamp" FROM sf_task WHERE "OwnerId" = :o AND '
            '("SystemModstamp" > :s OR ("SystemModstamp" = :s AND "Id" > :i)) '
            'ORDER BY "SystemModstamp", "Id" LIMIT 2000'
        )
        params = {"o": owner, "s": stamp, "i": middle["Id"]}
        with org.engine.connect() as conn:
            sql_ms, _ = timed(lambda: conn.execute(sql, params).all(), repeat)
            explain = "EXPLAIN " if org.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
            plan = [" ".join(str(c) for c in r) for r in conn.execute(text(explain + sql.text), params)]
        org.engine.dispose()
    return {
        "backend": label,
        "seed_s": seed_s,
        "first_ms": first_ms,
        "next_ms": next_ms,
        "page_ms": page_ms,
        "bounded_ms": bounded_ms,
        "idle_ms": idle_ms,
        "sql_ms": sql_ms,
        "plan": plan,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = [bench("sqlite (memory)", None, args.tasks, args.repeat)]
    with tempfile.TemporaryDirectory() as tmp:
        results.append(bench("sqlite (file)", f"sqlite:///{Path(tmp) / 'org.db'}", args.tasks, args.repeat))
    pg = os.environ.get("TASKSYNC_PG_URL")
    if pg:
        import psycopg
        from sqlalchemy.engine import make_url

        admin = make_url(pg).set(drivername="postgresql").render_as_string(hide_password=False)
        name = f"ts_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
            )
        try:
            url = make_url(pg).set(database=name).render_as_string(hide_password=False)
            results.append(bench("postgresql", url, args.tasks, args.repeat))
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        print("TASKSYNC_PG_URL is not set: PostgreSQL skipped", file=sys.stderr)
    print(
        f"\n{args.tasks:,} tasks of one owner, keyset reads through simple-salesforce in-process "
        f"(median of {args.repeat}, ms)\n"
    )
    print(
        f"{'backend':<17}{'seed s':>8}{'first page':>12}{'next page':>11}{'keyset page':>13}"
        f"{'+ >= bound':>12}{'idle read':>11}{'SQL only':>10}"
    )
    for r in results:
        print(
            f"{r['backend']:<17}{r['seed_s']:>8.1f}{r['first_ms']:>12.0f}{r['next_ms']:>11.0f}"
            f"{r['page_ms']:>13.0f}{r['bounded_ms']:>12.0f}{r['idle_ms']:>11.1f}{r['sql_ms']:>10.1f}"
        )
    for r in results:
        print(f"\nplan of the keyset page SQL, {r['backend']}:")
        for line in r["plan"]:
            print("   ", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
