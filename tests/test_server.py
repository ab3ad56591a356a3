"""The real server process, started as a user starts it, called over HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    env: dict[str, str], *args: str, log: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`kinetria serve` on a free port, its output in a pipe for `stop` to read, or in the
    file `log`: a server that outlives a test (one per module) logs more than a pipe nobody
    reads holds (64 KiB, some 140 requests), and would then stall on its next line."""
    port = free_port()
    with log.open("w") if log else contextlib.nullcontext(subprocess.PIPE) as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), *args],
            env={**os.environ, "LOG_LEVEL": "INFO", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                output = log.read_text() if log else process.stdout.read() if process.stdout else ""
                pytest.fail(f"server exited early:\n{output}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("server did not answer /health within 60 s")
            time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def stop(process: subprocess.Popen[str]) -> list[dict[str, object]]:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_serves_over_http_with_json_logs(db_url: str) -> None:
    with running_server({"DATABASE_URL": db_url}) as (base, process):
        health = httpx.get(f"{base}/health", headers={"X-Request-ID": "over-http"})
        ready = httpx.get(f"{base}/health/ready")
        # the first request for the document builds it: on a busy machine, more than the
        # client's default 5 s
        openapi = httpx.get(f"{base}/schema/openapi.json", timeout=60)
        missing = httpx.get(f"{base}/v1/nope")
        lines = stop(process)
    assert health.json()["status"] == "ok"
    assert health.headers["x-request-id"] == "over-http"
    assert ready.status_code == 200
    assert openapi.status_code == 200
    assert openapi.json()["info"]["title"] == "Kinetria API"
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "not_found"
    requests = [line for line in lines if line.get("event") == "request"]
    assert {"request_id": "over-http", "route": "/health", "status": 200}.items() <= next(
        line for line in requests if line["request_id"] == "over-http"
    ).items()
    events = [line["event"] for line in lines]
    assert "serving" in events
    assert "database pool open" in events
    assert "database pool closed" in events


def test_embedded_database_starts_persists_and_stops(pg_home: Path) -> None:
    home = pg_home
    env = {"KINETRIA_HOME": str(home), "DATABASE_URL": ""}
    with running_server(env) as (base, process):
        assert httpx.get(f"{base}/health/ready").json()["database"]["status"] == "ok"
        port = int((home / "postgres.port").read_text())  # the home's port, kept for next time
        url = f"postgresql://postgres@/kinetria?host={home.resolve() / 'pgdata'}&port={port}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept_between_runs (x int)")
        stop(process)
    assert not (home / "pgdata" / "postmaster.pid").exists(), "embedded database still running"
    with running_server(env) as (base, process):
        with psycopg.connect(url, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM kept_between_runs").fetchone() == (0,)
        stop(process)
    assert not (home / "pgdata" / "postmaster.pid").exists()
