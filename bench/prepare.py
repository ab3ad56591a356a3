"""What DB_PREPARE_THRESHOLD costs: the API's own functions (a session document, personal
records, the training summary) through the API's pool settings, with prepared statements
(`0`, the default) and without (`none`), straight to PostgreSQL and through PgBouncer in
transaction mode (Debian's `pgbouncer` must be installed).

    uv run python -m bench.prepare [--users 20] [--rounds 5] [--runs 300]

Seeds a throwaway embedded database, then runs interleaved rounds of each configuration and
prints JSON: the median over rounds of the mean microseconds per call, with the spread.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from app.core.config import Environment, Settings
from app.core.db import Db, load_queries, open_pool
from app.core.embedded import EmbeddedPostgres
from app.core.migrate import run_dbmate
from app.seed import SeedOptions, seed_database
from app.sessions.operations import get_session
from app.stats.operations import personal_records, training_summary
from tests.pgbouncer import running_pgbouncer


def samples(url: str, users: int) -> list[tuple[UUID, UUID]]:
    """A user and their latest session, for `users` users."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT DISTINCT ON (user_id) user_id, id FROM sessions"
            " ORDER BY user_id, started_at DESC LIMIT %s",
            (users,),
        ).fetchall()
    return [(row[0], row[1]) for row in rows]


Call = Callable[[Db, UUID, UUID], Awaitable[Any]]
CALLS: dict[str, Call] = {
    "sessions/get": lambda db, user, session: get_session(db, user_id=user, session_id=session),
    "stats/records": lambda db, user, _: personal_records(db, user_id=user),
    "stats/summary": lambda db, user, _: training_summary(db, user_id=user),
}


async def measure(
    settings: Settings, url: str, pairs: list[tuple[UUID, UUID]], runs: int
) -> dict[str, float]:
    queries = load_queries()
    results: dict[str, float] = {}
    async with open_pool(settings, url) as pool, pool.connection() as conn:
        db = Db(conn, queries, settings.slow_query_ms)
        for name, call in CALLS.items():
            for user, session in pairs[:3]:  # warm: prepared, cached
                await call(db, user, session)
            started = time.perf_counter()
            for i in range(runs):
                user, session = pairs[i % len(pairs)]
                await call(db, user, session)
            results[name] = (time.perf_counter() - started) / runs * 1e6
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="kinetria-bench-prepare-"))
    server = EmbeddedPostgres(home)
    try:
        run_dbmate(server.url, "up", capture=True)
        seed_database(
            server.url,
            SeedOptions(users=args.users, end_date=date(2026, 11, 26)),
            progress=False,
        )
        pairs = samples(server.url, args.users)
        with running_pgbouncer(server.url) as bouncer:
            configs = {
                "direct, prepared (0)": (server.url, 0, 10_000),
                "direct, unprepared (none)": (server.url, None, 10_000),
                "pgbouncer, unprepared (none)": (bouncer.url_for(server.url), None, 0),
            }
            rounds: dict[str, dict[str, list[float]]] = {c: {} for c in configs}
            for _ in range(args.rounds):
                for config, (url, threshold, timeout_ms) in configs.items():
                    settings = Settings(
                        env=Environment.TEST,
                        database_url=url,
                        pool_min_size=1,
                        pool_max_size=1,
                        prepare_threshold=threshold,
                        statement_timeout_ms=timeout_ms,
                    )
                    for name, value in asyncio.run(
                        measure(settings, url, pairs, args.runs)
                    ).items():
                        rounds[config].setdefault(name, []).append(value)
        report = {
            config: {
                name: {
                    "median_us": round(statistics.median(values), 1),
                    "min_us": round(min(values), 1),
                    "max_us": round(max(values), 1),
                }
                for name, values in by_name.items()
            }
            for config, by_name in rounds.items()
        }
        print(
            json.dumps(
                {
                    "users": args.users,
                    "runs": args.runs,
                    "rounds": args.rounds,
                    "us_per_call": report,
                },
                indent=2,
            )
        )
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
