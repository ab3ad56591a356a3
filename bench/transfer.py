"""What importing and exporting cost: a Hevy CSV file of 50,000 set rows imported through
`POST /v1/imports` in the request, then the same file (into another account) as a
background import (the 202, then the worker's job until the import has succeeded), then an
account of 10,000 sets exported through `GET /v1/me/export` (JSON and CSV), each timed,
with the peak resident memory of the server process during each.

    uv run python -m bench.transfer [--import-sets 50000] [--export-sets 10000]

The app runs in this process (Litestar's test client, a real PostgreSQL from the embedded
wheel), so the process's peak RSS is the server's: it is reset before each step (Linux
`clear_refs`) and read from VmHWM after it. The worker's job runs in this process too
(procrastinate, as `kinetria worker` runs it, until the queue is empty). Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path

import procrastinate
import psycopg
from litestar.testing import TestClient

from app.core.config import Environment, Settings
from app.core.embedded import EmbeddedPostgres
from app.core.migrate import run_dbmate
from app.core.security import issue_access_token
from app.main import create_app

EXERCISES = [
    "Bench Press (Barbell)",
    "Squat (Barbell)",
    "Pull Up",
    "Bicep Curl (Dumbbell)",
    "Sled Push",
    "Plank",
]
SETS_PER_SESSION = 10


def hevy_file(sets: int) -> bytes:
    lines = [
        "title,start_time,end_time,description,exercise_title,superset_id,exercise_notes,"
        "set_index,set_type,weight_kg,reps,distance_km,duration_seconds,rpe"
    ]
    for n in range(sets // SETS_PER_SESSION):
        day, minute = divmod(n, 3)
        start = time.strftime(
            "%d %b %Y, %H:%M", time.gmtime(1_500_000_000 + day * 86_400 + minute * 3600)
        )
        end = time.strftime(
            "%d %b %Y, %H:%M", time.gmtime(1_500_000_000 + day * 86_400 + minute * 3600 + 3000)
        )
        for i in range(SETS_PER_SESSION):
            exercise = EXERCISES[(n + i // 3) % len(EXERCISES)]
            lines.append(
                f'"Workout {n % 7}","{start}","{end}","notes, {n}",{exercise},,,{i},normal,'
                f"{40 + i * 2.5},{5 + i % 5},,,{7 + (i % 3) / 2}"
            )
    return ("\r\n".join(lines) + "\r\n").encode()


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def user(url: str, settings: Settings) -> dict[str, str]:
    user_id = uuid.uuid4()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO users (id, email, password_hash, display_name) VALUES (%s, %s, 'x', 'B')",
            (user_id, f"{user_id.hex}@example.com"),
        )
    return {"Authorization": f"Bearer {issue_access_token(settings, user_id)}"}


def run_jobs(url: str, settings: Settings) -> None:
    """The worker's part: every import job waiting, until the queue is empty."""
    from app.worker import app as jobs_app

    async def work() -> None:
        connector = procrastinate.PsycopgConnector(conninfo=url)
        with jobs_app.replace_connector(connector) as worker_app:
            async with worker_app.open_async():
                await worker_app.run_worker_async(
                    queues=["imports"],
                    wait=False,
                    install_signal_handlers=False,
                    additional_context={"settings": settings},
                )

    asyncio.run(work())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--import-sets", type=int, default=50_000)
    parser.add_argument("--export-sets", type=int, default=10_000)
    args = parser.parse_args()
    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="kinetria-bench-transfer-")))
    try:
        run_dbmate(server.url, "up", capture=True)
        # every file in the request, unless the step asks for the worker
        settings = Settings(
            env=Environment.TEST,
            database_url=server.url,
            rate_limit_writes=None,
            import_sync_max_bytes=1 << 30,
        )
        report: dict[str, object] = {}
        with TestClient(create_app(settings)) as client:
            big = hevy_file(args.import_sets)
            headers = {**user(server.url, settings), "Content-Type": "text/csv"}
            reset_peak()
            before = rss_mib()
            started = time.perf_counter()
            response = client.post(
                "/v1/imports", params={"format": "hevy_csv"}, content=big, headers=headers
            )
            elapsed = time.perf_counter() - started
            assert response.status_code == 201, response.text
            report["import_hevy_csv"] = {
                "set_rows": args.import_sets,
                "file_mib": round(len(big) / 1048576, 2),
                "sets_created": response.json()["sets_created"],
                "seconds": round(elapsed, 2),
                "rss_before_mib": before,
                "peak_rss_mib": peak_mib(),
            }
            background = Settings(
                env=Environment.TEST,
                database_url=server.url,
                rate_limit_writes=None,
                import_sync_max_bytes=0,
            )
            with TestClient(create_app(background)) as queueing:
                headers = {**user(server.url, settings), "Content-Type": "text/csv"}
                reset_peak()
                before = rss_mib()
                started = time.perf_counter()
                response = queueing.post(
                    "/v1/imports", params={"format": "hevy_csv"}, content=big, headers=headers
                )
                accepted = time.perf_counter() - started
                assert response.status_code == 202, response.text
                run_jobs(server.url, background)
                elapsed = time.perf_counter() - started
                done = queueing.get(response.headers["location"], headers=headers).json()
                assert done["status"] == "succeeded", done
                report["import_hevy_csv_background"] = {
                    "set_rows": args.import_sets,
                    "sets_created": done["result"]["sets_created"],
                    "seconds_to_202": round(accepted, 2),
                    "seconds_to_succeeded": round(elapsed, 2),
                    "rss_before_mib": before,
                    "peak_rss_mib": peak_mib(),
                }
            del big, response
            owner = user(server.url, settings)
            setup = client.post(
                "/v1/imports",
                params={"format": "hevy_csv"},
                content=hevy_file(args.export_sets),
                headers=owner,
            )
            assert setup.status_code == 201, setup.text
            for export_format in ("json", "csv"):
                reset_peak()
                before = rss_mib()
                started = time.perf_counter()
                size = 0
                with client.stream(
                    "GET", "/v1/me/export", params={"format": export_format}, headers=owner
                ) as streamed:
                    assert streamed.status_code == 200
                    for chunk in streamed.iter_bytes():
                        size += len(chunk)
                elapsed = time.perf_counter() - started
                report[f"export_{export_format}"] = {
                    "sets": args.export_sets,
                    "bytes": size,
                    "seconds": round(elapsed, 2),
                    "rss_before_mib": before,
                    "peak_rss_mib": peak_mib(),
                }
        print(json.dumps(report, indent=2))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
