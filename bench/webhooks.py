"""Webhook delivery: events per second one sender delivers to a local receiver, and the delay
from an event's commit to its arrival at the receiver under light load.

    uv run python -m bench.webhooks            # see docs/benchmarks.md

On its own embedded PostgreSQL (migrated, no seed), with a receiver on loopback in a process
of its own (stdlib ThreadingHTTPServer, answering 204) that records when each event arrives:

* **throughput**: a backlog of --events change-log events of one user, then the fan-out and
  the sender (app/webhooks/delivery.py, as the worker's jobs run them) until all are
  delivered; once with one subscription (its deliveries are sequential: change-log order)
  and once with --subscriptions subscriptions sent concurrently by one process;
* **delay**: --rate events a second for --seconds, each committed by a writer that notes the
  commit time, while the dispatcher polls every 100 ms (the worker's dispatch job); the delay
  is arrival minus commit, p50/p99/max.

It prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg

from app.core.db import Db, configure_connection, load_queries
from app.core.embedded import EmbeddedPostgres
from app.core.migrate import run_dbmate
from app.webhooks import delivery
from app.webhooks.operations import new_secret

POLL_S = 0.1
POLL_INTERVAL: float | None = None  # --fetch-interval; None: the worker's own run loop
JOBS = False  # --jobs: run the worker's procrastinate jobs instead of the plain functions
QUERIES = load_queries()


@asynccontextmanager
async def open_db(url: str) -> AsyncIterator[Db]:
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    try:
        await configure_connection(conn)
        yield Db(conn, QUERIES, slow_query_ms=10_000)
    finally:
        await conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def receive(port: int, arrivals: Any) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            arrivals.put((json.loads(body)["data"]["position"], time.time()))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def setup(url: str, port: int, subscriptions: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    user_id = uuid.uuid4()
    ids = [uuid.uuid4() for _ in range(subscriptions)]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO users (id, email, password_hash, display_name) VALUES (%s, %s, 'x', 'B')",
            (user_id, f"bench-{user_id.hex[:8]}@example.com"),
        )
        for subscription_id in ids:
            conn.execute(
                "INSERT INTO webhook_subscriptions (id, user_id, url, secret)"
                " VALUES (%s, %s, %s, %s)",
                (subscription_id, user_id, f"http://127.0.0.1:{port}/hook", new_secret()),
            )
    return user_id, ids


def write_events(conn: psycopg.Connection[Any], user_id: uuid.UUID, count: int) -> list[int]:
    positions = []
    for _ in range(count):
        with conn.transaction():
            row = conn.execute(
                "INSERT INTO sync_counters (user_id, last_position) VALUES (%s, 1)"
                " ON CONFLICT (user_id) DO UPDATE"
                " SET last_position = sync_counters.last_position + 1 RETURNING last_position",
                (user_id,),
            ).fetchone()
            assert row is not None
            conn.execute(
                "INSERT INTO change_events (user_id, position, event_type, entity_type,"
                " entity_id, version, document) VALUES (%s, %s, 'set.created', 'set', %s, 1,"
                ' \'{"reps": 5, "weight": 100}\')',
                (user_id, row[0], uuid.uuid4()),
            )
        positions.append(row[0])
    return positions


async def sender(url: str, stop: asyncio.Event) -> None:
    if JOBS:
        await jobs_sender(url, stop)
    else:
        await plain_sender(url, stop)


async def jobs_sender(url: str, stop: asyncio.Event) -> None:
    """The worker's own jobs on procrastinate (app/webhooks/jobs.py), in this process: the
    periodic dispatch job every second and the delivery jobs it defers. With no
    --fetch-interval, through the worker's own run loop (app/worker/run.py: its polling
    interval, middleware and metrics), as `kinetria worker` runs them."""
    import procrastinate

    from app.core.config import Settings
    from app.worker import app as jobs_app
    from app.worker.run import run_worker

    settings = Settings(
        database_url=url, webhook_allow_private=True, worker_port=0, worker_concurrency=10
    )
    if POLL_INTERVAL is None:
        worker = asyncio.create_task(
            run_worker(settings, url, queues=["webhooks"], install_signal_handlers=False)
        )
        await stop.wait()
        worker.cancel()
        with suppress(asyncio.CancelledError):
            await worker
        return
    with jobs_app.replace_connector(procrastinate.PsycopgConnector(conninfo=url)) as jobs:
        async with jobs.open_async():
            worker = asyncio.create_task(
                jobs.run_worker_async(
                    queues=["webhooks"],
                    concurrency=10,
                    fetch_job_polling_interval=POLL_INTERVAL,
                    install_signal_handlers=False,
                    additional_context={"settings": settings},
                )
            )
            await stop.wait()
            worker.cancel()
            with suppress(asyncio.CancelledError):
                await worker


async def plain_sender(url: str, stop: asyncio.Event) -> None:
    """The worker's dispatch and delivery jobs, in one process: poll, then send each
    subscription's due deliveries concurrently."""
    async with open_db(url) as db, delivery.new_client() as http:

        async def deliver(subscription_id: uuid.UUID) -> None:
            async with open_db(url) as own:
                await delivery.deliver_subscription(
                    own, http, subscription_id=subscription_id, allow_private=True
                )

        while not stop.is_set():
            await delivery.fan_out(db)
            due = await delivery.due_subscriptions(db)
            if due:
                await asyncio.gather(*(deliver(s) for s in due))
            else:
                await asyncio.sleep(POLL_S)


def drain(arrivals: Any, expected: int, timeout_s: float) -> dict[int, list[float]]:
    got: dict[int, list[float]] = {}
    deadline = time.time() + timeout_s
    count = 0
    while count < expected and time.time() < deadline:
        position, at = arrivals.get(timeout=timeout_s)
        got.setdefault(position, []).append(at)
        count += 1
    return got


def throughput(url: str, port: int, arrivals: Any, events: int, subscriptions: int) -> float:
    user_id, _ = setup(url, port, subscriptions)
    with psycopg.connect(url, autocommit=True) as conn:
        write_events(conn, user_id, events)

    async def run() -> float:
        stop = asyncio.Event()
        started = time.perf_counter()
        task = asyncio.create_task(sender(url, stop))
        await asyncio.to_thread(drain, arrivals, events * subscriptions, 600)
        elapsed = time.perf_counter() - started
        stop.set()
        await task
        return elapsed

    elapsed = asyncio.run(run())
    return events * subscriptions / elapsed


def delay(url: str, port: int, arrivals: Any, rate: float, seconds: float) -> dict[str, float]:
    user_id, _ = setup(url, port, 1)
    committed: dict[int, float] = {}

    async def run_all() -> dict[int, list[float]]:
        stop = asyncio.Event()
        task = asyncio.create_task(sender(url, stop))

        def writer() -> None:
            with psycopg.connect(url, autocommit=True) as conn:
                for _ in range(int(rate * seconds)):
                    [position] = write_events(conn, user_id, 1)
                    committed[position] = time.time()
                    time.sleep(1 / rate)

        _, got = await asyncio.gather(
            asyncio.to_thread(writer),
            asyncio.to_thread(drain, arrivals, int(rate * seconds), seconds + 60),
        )
        stop.set()
        await task
        return got

    got = asyncio.run(run_all())
    delays = sorted((got[p][0] - committed[p]) * 1000 for p in committed if p in got)
    return {
        "events": len(committed),
        "delivered": len(delays),
        "p50_ms": round(statistics.median(delays), 1),
        "p99_ms": round(delays[max(0, int(len(delays) * 0.99) - 1)], 1),
        "max_ms": round(delays[-1], 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.webhooks", description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--subscriptions", type=int, default=8)
    parser.add_argument("--rate", type=float, default=10.0, help="events/s for the delay")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--jobs", action="store_true", help="through the worker's procrastinate jobs"
    )
    parser.add_argument(
        "--fetch-interval",
        type=float,
        default=None,
        help="with --jobs: procrastinate's job polling interval, in a bare run_worker_async "
        "(default: the worker's own run loop and its interval)",
    )
    args = parser.parse_args(argv)
    global JOBS, POLL_INTERVAL
    JOBS = args.jobs
    POLL_INTERVAL = args.fetch_interval

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="kinetria-webhooks-") as home:
        Path(home).chmod(0o755)
        database = EmbeddedPostgres(Path(home))
        try:
            run_dbmate(database.url, "up", capture=True)
            port = free_port()
            arrivals: Any = multiprocessing.Queue()
            receiver = multiprocessing.Process(target=receive, args=(port, arrivals), daemon=True)
            receiver.start()
            time.sleep(0.5)
            try:
                results["events_per_s_one_subscription"] = round(
                    throughput(database.url, port, arrivals, args.events, 1)
                )
                results[f"events_per_s_{args.subscriptions}_subscriptions"] = round(
                    throughput(database.url, port, arrivals, args.events // 4, args.subscriptions)
                )
                results["delay"] = delay(database.url, port, arrivals, args.rate, args.seconds)
            finally:
                receiver.kill()
        finally:
            database.stop(force=True)
    print(json.dumps({"args": vars(args), **results}))


if __name__ == "__main__":
    main()
