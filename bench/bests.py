"""What logging a batch of 10 sets costs PostgreSQL, for a user with a long history of the
exercise and for one with none: the API's own `log_sets` (the set-logging statement and the
personal records it reports, in one transaction) on one pooled connection, with the CPU time
of that connection's server process measured around it.

    uv run python -m bench.bests [--history 20000] [--batches 100] [--rounds 5]

Seeds a throwaway embedded database with two users: `long` has `--history` earlier sets of
the exercise (weights and reps spread as people train), `none` has no set at all. Each round
logs `--batches` batches of 10 sets for each user in turn into their session in progress,
deleting each batch after it is measured (not measured), so every batch meets the same data:
a session of 10 sets, and the user's history as seeded. Prints JSON: per user, the median over
rounds of the server process's CPU microseconds per batch (from /proc/<pid>/schedstat) and
the wall-clock microseconds per batch seen by the client, with the spread.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

from app.core.config import Environment, Settings
from app.core.db import Db, load_queries, open_pool
from app.core.embedded import EmbeddedPostgres
from app.core.migrate import run_dbmate
from app.sets.models import SetCreate
from app.sets.operations import log_sets

USERS = ("long", "none")


def server_cpu_ns(pid: int) -> int:
    """CPU time a server process has used so far, in nanoseconds."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def setup(url: str, history: int) -> tuple[uuid.UUID, dict[str, tuple[uuid.UUID, uuid.UUID]]]:
    """The exercise, and per user (their id, their session in progress)."""
    users: dict[str, tuple[uuid.UUID, uuid.UUID]] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT id FROM exercises WHERE user_id IS NULL ORDER BY name, id LIMIT 1"
        ).fetchone()
        assert row is not None
        exercise_id: uuid.UUID = row[0]
        for name in USERS:
            user_id, live, done = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            conn.execute(
                "INSERT INTO users (id, email, password_hash, display_name)"
                " VALUES (%s, %s, 'x', %s)",
                (user_id, f"{name}@bench.example", name),
            )
            conn.execute(
                "INSERT INTO sessions (id, user_id, status, started_at, ended_at)"
                " VALUES (%s, %s, 'completed', now() - interval '2 years',"
                " now() - interval '1 day')",
                (done, user_id),
            )
            conn.execute(
                "INSERT INTO sessions (id, user_id, started_at) VALUES (%s, %s, now())",
                (live, user_id),
            )
            if name == "long":
                # two years of sets, 20 to 100 kg by 2.5 and 1 to 12 reps, every tenth a warmup
                conn.execute(
                    """
                    INSERT INTO set_records (id, session_id, user_id, exercise_id, position,
                                             set_type, reps, weight_kg, performed_at)
                    SELECT gen_random_uuid(), %(session)s, %(user)s, %(exercise)s, g - 1,
                           CASE WHEN g %% 10 = 0 THEN 'warmup' ELSE 'normal' END::set_type,
                           1 + (g * 7) %% 12, 20 + 2.5 * ((g * 13) %% 33),
                           now() - interval '2 years' + g * interval '1 hour'
                    FROM generate_series(1, %(n)s) AS g
                    """,
                    {"session": done, "user": user_id, "exercise": exercise_id, "n": history},
                )
                conn.execute(
                    "UPDATE sessions SET next_set_position = %s WHERE id = %s", (history, done)
                )
                # sets inserted here, not through the API: their personal bests (where the
                # schema keeps them)
                kept = conn.execute("SELECT to_regproc('personal_bests_recompute')").fetchone()
                if kept is not None and kept[0] is not None:
                    conn.execute(
                        "SELECT personal_bests_recompute(%s, ARRAY[%s]::uuid[])",
                        (user_id, exercise_id),
                    )
            users[name] = (user_id, live)
        conn.execute("VACUUM ANALYZE")
    return exercise_id, users


def batch(exercise_id: uuid.UUID, i: int) -> list[SetCreate]:
    return [
        SetCreate(exercise_id=exercise_id, reps=5 + (i + j) % 4, weight=60.0 + (j % 3) * 2.5)
        for j in range(10)
    ]


async def measure(
    url: str,
    exercise_id: uuid.UUID,
    users: dict[str, tuple[uuid.UUID, uuid.UUID]],
    batches: int,
    rounds: int,
) -> dict[str, dict[str, list[float]]]:
    settings = Settings(env=Environment.TEST, database_url=url, pool_min_size=1, pool_max_size=1)
    queries = load_queries()
    found: dict[str, dict[str, list[float]]] = {u: {"cpu": [], "wall": []} for u in users}
    async with open_pool(settings, url) as pool, pool.connection() as conn:
        db = Db(conn, queries, settings.slow_query_ms)
        pid = (await (await conn.execute("SELECT pg_backend_pid()")).fetchone() or [0])[0]
        for user_id, session_id in users.values():  # warm: plans prepared and cached
            for i in range(10):
                await log_sets(
                    db, user_id=user_id, session_id=session_id, data=batch(exercise_id, i)
                )
            await conn.execute("DELETE FROM set_records WHERE session_id = %s", (session_id,))
        for _ in range(rounds):
            for name, (user_id, session_id) in users.items():
                cpu_ns, wall_s = 0, 0.0
                for i in range(batches):
                    cpu, wall = server_cpu_ns(pid), time.perf_counter()
                    await log_sets(
                        db, user_id=user_id, session_id=session_id, data=batch(exercise_id, i)
                    )
                    wall_s += time.perf_counter() - wall
                    cpu_ns += server_cpu_ns(pid) - cpu
                    # not measured: the session holds these 10 sets only, the user's history
                    # stays as it was
                    await conn.execute(
                        "DELETE FROM set_records WHERE session_id = %s", (session_id,)
                    )
                found[name]["wall"].append(wall_s / batches * 1e6)
                found[name]["cpu"].append(cpu_ns / batches / 1e3)
    return found


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values)),
        "min": round(min(values)),
        "max": round(max(values)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--history", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="kinetria-bench-bests-"))
    home.chmod(0o755)  # the server runs as its own OS user when we are root
    server = EmbeddedPostgres(home)
    try:
        run_dbmate(server.url, "up", capture=True)
        exercise_id, users = setup(server.url, args.history)
        found = asyncio.run(measure(server.url, exercise_id, users, args.batches, args.rounds))
        report: dict[str, Any] = {
            "history": args.history,
            "batches": args.batches,
            "rounds": args.rounds,
            "postgres_cpu_us_per_batch": {u: summary(v["cpu"]) for u, v in found.items()},
            "wall_us_per_batch": {u: summary(v["wall"]) for u, v in found.items()},
        }
        cpu = report["postgres_cpu_us_per_batch"]
        report["long_over_none"] = round(cpu["long"]["median"] / cpu["none"]["median"], 3)
        print(json.dumps(report, indent=2))
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
