"""What logging a batch of 10 sets costs PostgreSQL, for a user with a long history of the
exercise and for one with none: the API's own `log_sets` (the set-logging statement and the
personal records it reports, in one transaction) on one pooled connection, with the CPU time
of that connection's server process measured around it.

    uv run python -m bench.bests [--history 20000] [--batches 100] [--rounds 5]
    uv run python -m bench.bests --session-sets 0 200 2000

Seeds a throwaway embedded database (with `--seed-users` demo users first, for tables of a
real database's size) and two users: `long` has `--history` earlier sets of
the exercise (weights and reps spread as people train) in a completed session, `none` has no
set at all. For each `--session-sets` size (default 0), each user's session in progress is
first filled with that many sets (of another exercise, so the history of the measured one
stays as seeded; not measured); then each round logs `--batches` batches of 10 sets for each
user in turn into that session, deleting each batch after it is measured (not measured), so
every batch meets the same data: the session as filled, and the user's history as seeded.
Prints JSON: per session size and user, the median over rounds of the server process's CPU
microseconds per batch (from /proc/<pid>/schedstat) and the wall-clock microseconds per
batch seen by the client, with the spread; and the server CPU of two reads of the soak's mix
for the same user and session: the first page of sessions (which counts each one's sets) and
the records.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
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


def fill_session(
    url: str, user_id: uuid.UUID, session_id: uuid.UUID, exercise_id: uuid.UUID, size: int
) -> None:
    """The session in progress holding `size` sets of `exercise_id` (and nothing else), as if
    logged over the last hours."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM set_records WHERE session_id = %s", (session_id,))
        conn.execute(
            """
            INSERT INTO set_records (id, session_id, user_id, exercise_id, position, set_type,
                                     reps, weight_kg, performed_at)
            SELECT gen_random_uuid(), %(session)s, %(user)s, %(exercise)s, g - 1, 'normal',
                   8, 20 + 2.5 * (g %% 8), now() - interval '6 hours' + g * interval '1 second'
            FROM generate_series(1, %(n)s) AS g
            """,
            {"session": session_id, "user": user_id, "exercise": exercise_id, "n": size},
        )
        conn.execute("UPDATE sessions SET next_set_position = %s WHERE id = %s", (size, session_id))
        kept = conn.execute("SELECT to_regproc('personal_bests_recompute')").fetchone()
        if kept is not None and kept[0] is not None:
            conn.execute(
                "SELECT personal_bests_recompute(%s, ARRAY[%s]::uuid[])", (user_id, exercise_id)
            )
        conn.execute("VACUUM ANALYZE set_records, sessions")


def other_exercise(url: str, exercise_id: uuid.UUID) -> uuid.UUID:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT id FROM exercises WHERE user_id IS NULL AND id <> %s ORDER BY name, id LIMIT 1",
            (exercise_id,),
        ).fetchone()
        assert row is not None
        return row[0]


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
                logged, _ = await log_sets(
                    db, user_id=user_id, session_id=session_id, data=batch(exercise_id, i)
                )
                await conn.execute(
                    "DELETE FROM set_records WHERE id = ANY(%s)",
                    ([record.id for record in logged.sets],),
                )
        for _ in range(rounds):
            for name, (user_id, session_id) in users.items():
                cpu_ns, wall_s = 0, 0.0
                for i in range(batches):
                    cpu, wall = server_cpu_ns(pid), time.perf_counter()
                    logged, _ = await log_sets(
                        db, user_id=user_id, session_id=session_id, data=batch(exercise_id, i)
                    )
                    wall_s += time.perf_counter() - wall
                    cpu_ns += server_cpu_ns(pid) - cpu
                    # not measured: the session holds what it was filled with, the user's
                    # history stays as it was
                    await conn.execute(
                        "DELETE FROM set_records WHERE id = ANY(%s)",
                        ([record.id for record in logged.sets],),
                    )
                found[name]["wall"].append(wall_s / batches * 1e6)
                found[name]["cpu"].append(cpu_ns / batches / 1e3)
    return found


def measure_reads(
    url: str, users: dict[str, tuple[uuid.UUID, uuid.UUID]], rounds: int, runs: int = 40
) -> dict[str, dict[str, float]]:
    """Server CPU microseconds of two reads the soak mixes in, per user: the first page of
    20 sessions (queries/sessions/list.sql, which counts each session's sets) and the
    records (queries/stats/records.sql), median of `rounds` rounds of `runs` runs."""
    queries = load_queries()
    found: dict[str, dict[str, float]] = {}
    with psycopg.connect(url, autocommit=True, prepare_threshold=0) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        pid: int = row[0]
        for name, (user_id, _) in users.items():
            reads = {
                "list_sessions": (
                    queries["sessions/list"].sql,
                    {
                        "user_id": user_id,
                        "status": None,
                        "from_date": None,
                        "to_date": None,
                        "after_started_at": None,
                        "after_id": None,
                        "limit": 20,
                    },
                ),
                "stats_records": (
                    queries["stats/records"].sql,
                    {"user_id": user_id, "exercise_id": None},
                ),
            }
            found[name] = {}
            for read, (sql, params) in reads.items():
                per_round: list[float] = []
                for _ in range(rounds):
                    cpu = server_cpu_ns(pid)
                    for _ in range(runs):
                        conn.execute(sql, params).fetchall()
                    per_round.append((server_cpu_ns(pid) - cpu) / runs / 1e3)
                found[name][read] = round(statistics.median(per_round))
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
    parser.add_argument(
        "--session-sets",
        type=int,
        nargs="+",
        default=[0],
        help="sets already in the session in progress when the batches are logged",
    )
    parser.add_argument(
        "--seed-users",
        type=int,
        default=0,
        help="seed this many demo users first (kinetria db seed; 1,000: about 1 M sets)",
    )
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="kinetria-bench-bests-"))
    home.chmod(0o755)  # the server runs as its own OS user when we are root
    server = EmbeddedPostgres(home)
    try:
        run_dbmate(server.url, "up", capture=True)
        if args.seed_users:
            # other users' data around them, so that the tables (and the plans) have the
            # sizes of a real database rather than of two users
            subprocess.run(
                [sys.executable, "-m", "app.cli", "db", "seed", "--users", str(args.seed_users)],
                env={**os.environ, "DATABASE_URL": server.url},
                check=True,
                capture_output=True,
            )
        exercise_id, users = setup(server.url, args.history)
        filler = other_exercise(server.url, exercise_id)
        report: dict[str, Any] = {
            "history": args.history,
            "batches": args.batches,
            "rounds": args.rounds,
            "seed_users": args.seed_users,
            "load_average": list(os.getloadavg()),
            "by_session_sets": {},
        }
        for size in args.session_sets:
            for user_id, session_id in users.values():
                fill_session(server.url, user_id, session_id, filler, size)
            found = asyncio.run(measure(server.url, exercise_id, users, args.batches, args.rounds))
            cpu = {u: summary(v["cpu"]) for u, v in found.items()}
            report["by_session_sets"][str(size)] = {
                "postgres_cpu_us_per_batch": cpu,
                "wall_us_per_batch": {u: summary(v["wall"]) for u, v in found.items()},
                "long_over_none": round(cpu["long"]["median"] / cpu["none"]["median"], 3),
                "reads_postgres_cpu_us": measure_reads(server.url, users, args.rounds),
            }
            print(f"session of {size} sets: done", file=sys.stderr, flush=True)
        report["load_average_after"] = list(os.getloadavg())
        print(json.dumps(report, indent=2))
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
