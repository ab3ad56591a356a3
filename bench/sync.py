"""The sync feed: server time of a page of 500 events for the user with the most events, and
of a snapshot of that user.

    uv run python -m bench.sync [--users 200] [--sets-per-user 1000] [--copies 5]
    uv run python -m bench.sync --copy-of .kinetria-bench --copies 1

On its own embedded PostgreSQL (migrated): `kinetria db seed`'s generator fills --users
users (or, with --copy-of, a copy of that seeded embedded database is used: bench.run's,
10.4 million sets, once bench.run has seeded it), then the change log gets --copies events
per seeded set (a set.created and
set.updated ones, each with the set's real document, positions in time order per user), so
the heaviest user has tens of thousands of events among a million or more. Then, for that
user, at the start, the middle and the end of their feed:

* **sql_ms**: `EXPLAIN (ANALYZE, BUFFERS)` execution time of queries/sync/changes.sql;
* **server_ms**: `read_changes()` (the statement's round trip, and the page decoded into
  the event Structs) plus encoding the page to JSON, as the route does: the median and the
  p99 of --runs calls, and **python_cpu_ms**, the CPU time of this process in them (on a
  loaded machine, wall times mostly measure waiting for a core);

and the time `GET /v1/sync/snapshot` takes to copy that user's data (the first page's two
statements), the median of 5. It prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
import psycopg

from app.core.db import Db, configure_connection, load_queries
from app.core.embedded import EmbeddedPostgres
from app.core.migrate import run_dbmate
from app.seed import SeedOptions, seed_database
from app.sync.operations import feed_cursor, read_changes, read_snapshot

QUERIES = load_queries()

EVENTS = """
INSERT INTO change_events
    (user_id, "position", event_type, entity_type, entity_id, version, document, created_at)
SELECT r.user_id,
       coalesce(k.last_position, 0)
           + row_number() OVER (PARTITION BY r.user_id ORDER BY r.performed_at, r.id, c.n),
       CASE WHEN c.n = 1 THEN 'set.created' ELSE 'set.updated' END::change_event_type,
       'set', r.id, r.version, to_jsonb(set_record_document(r, e.name)), r.performed_at
FROM set_records r
JOIN exercises e ON e.id = r.exercise_id
LEFT JOIN sync_counters k ON k.user_id = r.user_id  -- after the events a copy already has
CROSS JOIN generate_series(1, %(copies)s) AS c (n)
"""
COUNTERS = """
INSERT INTO sync_counters (user_id, last_position)
SELECT user_id, max("position") FROM change_events GROUP BY user_id
ON CONFLICT (user_id) DO UPDATE SET last_position = excluded.last_position
"""


def fill(url: str, copies: int) -> tuple[UUID, int, int]:
    """Events for every seeded set; (heaviest user, their events, all events)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(EVENTS, {"copies": copies})
        conn.execute(COUNTERS)
        conn.execute("VACUUM (ANALYZE) change_events, sync_counters")
        conn.execute("CHECKPOINT")  # so that writing out the load does not overlap the reads
        row = conn.execute(
            "SELECT user_id, last_position FROM sync_counters ORDER BY last_position DESC LIMIT 1"
        ).fetchone()
        total = conn.execute("SELECT count(*) FROM change_events").fetchone()
    assert row is not None
    assert total is not None
    return row[0], row[1], total[0]


def set_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM set_records").fetchone()
    assert row is not None
    return row[0]


async def measure(url: str, user_id: UUID, events: int, runs: int) -> dict[str, Any]:
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True, prepare_threshold=0)
    await configure_connection(conn)
    db = Db(conn, QUERIES, slow_query_ms=10_000)
    sql = QUERIES["sync/changes"].sql.decode()
    results: dict[str, Any] = {}
    try:
        for name, after in (("start", 0), ("middle", events // 2), ("end", events - 500)):
            plan = await (
                await conn.execute(
                    f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}",  # type: ignore[arg-type]
                    {"user_id": user_id, "after": after, "limit": 501},
                )
            ).fetchone()
            assert plan is not None
            cursor = feed_cursor(after) if after else None
            times = []
            cpu = []
            page = None
            for _ in range(runs):
                started, started_cpu = time.perf_counter(), time.process_time()
                page = await read_changes(db, user_id=user_id, cursor=cursor, limit=500)
                msgspec.json.encode(page)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            assert page is not None
            assert len(page.items) == 500
            times.sort()
            results[name] = {
                "after": after,
                "sql_ms": round(plan[0][0]["Execution Time"], 2),
                "server_ms_p50": round(statistics.median(times), 2),
                "server_ms_p99": round(times[int(len(times) * 0.99) - 1], 2),
                "python_cpu_ms_p50": round(statistics.median(cpu), 2),
                "page_bytes": len(msgspec.json.encode(page)),
            }
        snapshot_times = []
        items = 0
        for _ in range(5):
            started = time.perf_counter()
            first = await read_snapshot(db, user_id=user_id, cursor=None, limit=500)
            snapshot_times.append((time.perf_counter() - started) * 1000)
            items = len(first.items)
        results["snapshot_first_page_ms_p50"] = round(statistics.median(snapshot_times), 1)
        results["snapshot_first_page_items"] = items
        count = await (
            await conn.execute(
                "SELECT count(*) FROM sync_snapshot_items WHERE user_id = %s"
                " GROUP BY snapshot_id LIMIT 1",
                (user_id,),
            )
        ).fetchone()
        results["snapshot_items"] = count[0] if count else 0
    finally:
        await conn.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="The sync feed's server time (docs/benchmarks.md)")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--sets-per-user", type=int, default=1000)
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--copy-of", type=Path, help="a seeded KINETRIA_HOME (stopped) to copy instead of seeding"
    )
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="kinetria-bench-sync-"))
    started = time.perf_counter()
    home.chmod(0o755)  # the server runs as its own OS user when we are root
    if args.copy_of:
        # as the files are, owner included (`cp -a`), without the copied server's pid file
        subprocess.run(["cp", "-a", str(args.copy_of / "pgdata"), str(home)], check=True)
        (home / "pgdata" / "postmaster.pid").unlink(missing_ok=True)
    server = EmbeddedPostgres(home)
    try:
        run_dbmate(server.url, "up", capture=True)
        if not args.copy_of:
            seed_database(
                server.url,
                SeedOptions(users=args.users, sets_per_user=args.sets_per_user),
                progress=False,
            )
        user_id, events, total = fill(server.url, args.copies)
        prepared_s = time.perf_counter() - started
        gc.collect()
        gc.freeze()  # as the server does once the app is built (app/main.py)
        results = asyncio.run(measure(server.url, user_id, events, args.runs))
        print(
            json.dumps(
                {
                    "database": str(args.copy_of) if args.copy_of else f"{args.users} users",
                    "sets": set_count(server.url),
                    "events_total": total,
                    "events_of_heaviest_user": events,
                    "prepare_s": round(prepared_s, 1),
                    **results,
                },
                indent=2,
            )
        )
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
