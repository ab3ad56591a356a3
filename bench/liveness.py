"""Liveness: how fast a new client is answered while connections idle or the database fails.

    uv run python -m bench.liveness               # see docs/benchmarks.md, "Liveness"
    uv run python -m bench.liveness --samples 500 --workers 2

It starts `kinetria serve` as in production (pool of --pool, pinned to core 0 like
bench/run.py) on its own embedded PostgreSQL (migrated, no seed needed) and measures, each on
a new TCP connection as a client that just arrived would see it:

1. `GET /health` and `GET /health/ready` with 4 times the pool size of idle keep-alive
   connections open (each used once, then left open);
2. the same while the pool is exhausted: every connection busy on a locked table, with
   more requests queued behind them;
3. the same while PostgreSQL is stopped.

It prints p50/p99/max in milliseconds per case, the targets beside them (new client under
100 ms, `/health` p99 under 50 ms, `/health/ready` within 1 s), and the figures as JSON (also
written to bench/results/liveness.json).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import psycopg

from app.core.embedded import EmbeddedPostgres
from app.core.migrate import run_dbmate
from bench.run import RESULTS, server
from bench.soak import percentile

TARGETS_MS = {"/health": 50.0, "/health/ready": 1000.0}


def new_client_ms(host: str, port: int, path: str) -> tuple[float, int]:
    """Connect, send one request, read the status line: (milliseconds, status)."""
    started = time.perf_counter()
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return (time.perf_counter() - started) * 1000, status


def measure(base: str, samples: int) -> dict[str, dict[str, Any]]:
    host, port = base.removeprefix("http://").split(":")
    figures: dict[str, dict[str, Any]] = {}
    for path in TARGETS_MS:
        # /health/ready probes the database on its own connection: fewer samples, same spread
        count = samples if path == "/health" else max(samples // 10, 10)
        timings, statuses = [], set()
        for _ in range(count):
            ms, status = new_client_ms(host, int(port), path)
            timings.append(ms)
            statuses.add(status)
        figures[path] = {
            "samples": count,
            "statuses": sorted(statuses),
            "p50_ms": round(percentile(timings, 0.5), 2),
            "p99_ms": round(percentile(timings, 0.99), 2),
            "max_ms": round(max(timings), 2),
        }
    return figures


@contextmanager
def idle_connections(base: str, count: int) -> Iterator[None]:
    host, port = base.removeprefix("http://").split(":")
    sockets = []
    try:
        for _ in range(count):
            sock = socket.create_connection((host, int(port)), timeout=10)
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: bench\r\n\r\n")
            if not sock.recv(4096).startswith(b"HTTP/1.1 200"):
                raise RuntimeError("an idle connection's first request failed")
            sockets.append(sock)
        yield
    finally:
        for sock in sockets:
            sock.close()


@contextmanager
def pool_exhausted(base: str, url: str, waiting: int) -> Iterator[None]:
    """Every pool connection waits on a locked table, with more requests queued behind."""
    token = httpx.post(
        f"{base}/v1/auth/register",
        json={
            "email": f"liveness-{time.time_ns()}@example.com",
            "password": "liveness-pass-1",
            "display_name": "Liveness",
        },
        timeout=30,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    def read_sessions() -> None:
        with suppress(httpx.HTTPError):
            httpx.get(f"{base}/v1/sessions", headers=headers, timeout=60)

    with psycopg.connect(url) as conn:
        conn.execute("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")
        clients = [threading.Thread(target=read_sessions, daemon=True) for _ in range(waiting)]
        for client in clients:
            client.start()
        time.sleep(0.5)
        try:
            yield
        finally:
            conn.rollback()
    for client in clients:
        client.join(timeout=60)


def report(results: dict[str, dict[str, dict[str, Any]]]) -> None:
    print(
        f"{'case':<34}{'route':<16}{'statuses':<12}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}  target"
    )
    for case, figures in results.items():
        for path, row in figures.items():
            target = TARGETS_MS[path] if case != "idle keep-alive" else 100.0
            met = "yes" if row["p99_ms"] < target else "NO"
            statuses = ",".join(map(str, row["statuses"]))
            print(
                f"{case:<34}{path:<16}{statuses:<12}{row['p50_ms']:>9}{row['p99_ms']:>9}"
                f"{row['max_ms']:>9}  p99 < {target:.0f} ms: {met}"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="bench.liveness",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--samples", type=int, default=300, help="new clients per route and case")
    parser.add_argument("--pool", type=int, default=10, help="DB_POOL_MAX_SIZE of the server")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--cores",
        default="0",
        help="CPU list the server runs on (taskset -c); '0,1' gives each of two workers a core",
    )
    args = parser.parse_args(argv)

    os.environ.update(
        {"DB_POOL_MAX_SIZE": str(args.pool), "SHUTDOWN_DRAIN_S": "0", "METRICS_PORT": "0"}
    )
    results: dict[str, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="kinetria-liveness-") as home:
        Path(home).chmod(0o755)  # the database runs as its own OS user when we are root
        database = EmbeddedPostgres(Path(home))
        stopped = False
        try:
            run_dbmate(database.url, "up", capture=True)
            with server(database.url, args.workers, args.cores) as (base, _):
                with idle_connections(base, 4 * args.pool * args.workers):
                    results["idle keep-alive"] = measure(base, args.samples)
                with pool_exhausted(base, database.url, waiting=4 * args.pool * args.workers):
                    results["pool exhausted, requests queued"] = measure(base, args.samples)
                stopped = database.stop(force=True)
                results["PostgreSQL stopped"] = measure(base, args.samples)
        finally:
            if not stopped:
                database.stop(force=True)
    report(results)
    out = {"pool": args.pool, "workers": args.workers, "cores": args.cores, "cases": results}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "liveness.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
