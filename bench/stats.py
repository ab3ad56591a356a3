"""The statistics endpoints' server time for the median and the heaviest user of the seeded
database (docs/statistics.md, "Measurements").

    uv run python -m bench.stats [--home .kinetria-bench] [--runs 200]

It uses bench.run's seeded embedded database (seeding it on the first run: 10,000 users,
10.4 million sets), starts `kinetria serve` as bench.run does (one worker pinned to core 0,
PostgreSQL on core 1), and calls each statistics request for the user with the median number
of sets and the user with the most, one call after another, every request in turn, --runs
times after 3 warm-up rounds. Server time is each request's `duration_ms` in the access log
(from its arrival to the end of its answer: routing, the token, the pool, the SQL, the JSON).
It prints JSON: per user and request, the median, the 95th and 99th percentile and the
maximum, in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

from app.seed import DEMO_PASSWORD
from bench.run import LOAD_CORE, embedded_database, pin, postmaster_pid, prepare, server

TZ = "Europe/Berlin"


def measured_users(url: str) -> dict[str, tuple[str, int, str]]:
    """{"median"/"heaviest": (email, set count, their most logged exercise)}."""
    with psycopg.connect(url) as conn:
        counts = conn.execute(
            "SELECT u.email, count(*) FROM set_records r JOIN users u ON u.id = r.user_id"
            " WHERE u.email LIKE 'user%%@demo.kinetria.test' GROUP BY u.email ORDER BY 2, 1"
        ).fetchall()
        chosen = {"median": counts[len(counts) // 2], "heaviest": counts[-1]}
        users = {}
        for label, (email, sets) in chosen.items():
            exercise = conn.execute(
                "SELECT r.exercise_id::text FROM set_records r JOIN users u ON u.id = r.user_id"
                " WHERE u.email = %s GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
                (email,),
            ).fetchone()
            assert exercise is not None
            users[label] = (email, sets, exercise[0])
    return users


def requests_of(exercise_id: str) -> dict[str, str]:
    today = datetime.now(UTC).date()
    two_years, one_year = today - timedelta(days=729), today - timedelta(days=364)
    return {
        "records": "/v1/stats/records",
        "records_one_exercise": f"/v1/stats/records?exercise_id={exercise_id}",
        "history_first_page": f"/v1/exercises/{exercise_id}/history?limit=20",
        "volume_weeks_2_years": f"/v1/stats/volume?bucket=week&from={two_years}&to={today}&tz={TZ}",
        "volume_months_1_year": f"/v1/stats/volume?bucket=month&from={one_year}&to={today}&tz={TZ}",
        "summary": f"/v1/stats/summary?tz={TZ}",
    }


def server_times(log: Path) -> dict[str, float]:
    """request id -> duration_ms, from the access lines of the server's output."""
    times = {}
    for line in log.read_text().splitlines():
        entry = json.loads(line) if line.startswith("{") else {}
        if entry.get("event") == "request":
            times[entry["request_id"]] = entry["duration_ms"]
    return times


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="bench.stats",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--home", type=Path, default=Path(".kinetria-bench"))
    parser.add_argument("--users", type=int, default=10_000, help="users to seed the first time")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    log = Path(tempfile.mkdtemp(prefix="kinetria-bench-stats-")) / "server.log"
    with embedded_database(args.home.resolve()) as url:
        prepare(url, args.users, seed=1)
        pin(postmaster_pid(args.home.resolve()), LOAD_CORE)
        users = measured_users(url)
        with server(url, workers=1, log=log) as (base, _), httpx.Client(base_url=base) as client:
            calls = []
            for label, (email, _, exercise_id) in users.items():
                login = client.post(
                    "/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD}
                )
                login.raise_for_status()
                token = login.json()["access_token"]
                calls += [
                    (label, name, path, token) for name, path in requests_of(exercise_id).items()
                ]
            for run in range(-3, args.runs):
                for label, name, path, token in calls:
                    answer = client.get(
                        path,
                        headers={
                            "Authorization": f"Bearer {token}",
                            "X-Request-ID": f"stats.{label}.{name}.{run}",
                        },
                    )
                    assert answer.status_code == 200, (path, answer.status_code, answer.text)
    times = server_times(log)
    shutil.rmtree(log.parent)
    results: dict[str, Any] = {}
    for label, (email, sets, _) in users.items():
        results[label] = {"email": email, "sets": sets}
        for name in requests_of("x"):
            ordered = sorted(times[f"stats.{label}.{name}.{run}"] for run in range(args.runs))
            results[label][name] = {
                "median": round(statistics.median(ordered), 2),
                "p95": round(percentile(ordered, 0.95), 2),
                "p99": round(percentile(ordered, 0.99), 2),
                "max": round(ordered[-1], 2),
            }
    print(json.dumps({"runs": args.runs, **results}, indent=2))


if __name__ == "__main__":
    main()
