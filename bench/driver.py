"""The driver ceiling: GET /v1/workouts/{id}'s SQL file through the same pool and row
mapping the app uses, with no HTTP. Prints queries per second.

    python -m bench.driver URL WORKOUT_ID:USER_ID... [--seconds S] [--concurrency C]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from uuid import UUID

import msgspec
import uvloop

from app.core.config import load_settings
from app.core.db import Db, load_queries, open_pool
from app.workouts import Workout


async def measure(
    url: str, pairs: list[tuple[UUID, UUID]], seconds: float, concurrency: int
) -> float:
    settings = msgspec.structs.replace(load_settings(read_dotenv=False), database_url=url)
    queries = load_queries()
    done = 0
    async with open_pool(settings, url) as pool:
        deadline = time.perf_counter() + seconds

        async def worker(number: int) -> None:
            nonlocal done
            workout_id, user_id = pairs[number % len(pairs)]
            while time.perf_counter() < deadline:
                async with pool.connection() as conn:
                    db = Db(conn, queries, settings.slow_query_ms)
                    workout = await db.one(
                        "workouts/get", Workout, workout_id=workout_id, user_id=user_id
                    )
                    assert workout is not None
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(number) for number in range(concurrency)))
        return done / (time.perf_counter() - started)


def _pair(text: str) -> tuple[UUID, UUID]:
    workout_id, user_id = text.split(":")
    return UUID(workout_id), UUID(user_id)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.driver")
    parser.add_argument("url")
    parser.add_argument("pairs", nargs="+", help="WORKOUT_ID:USER_ID")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    rate = uvloop.run(
        measure(args.url, [_pair(p) for p in args.pairs], args.seconds, args.concurrency)
    )
    print(round(rate, 1))


if __name__ == "__main__":
    main()
