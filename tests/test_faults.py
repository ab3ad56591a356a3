"""Faults, with real processes: a PostgreSQL of the module's own (killed with `kill -9` in one
test) and `kinetria serve` started as a user starts it. Idle keep-alive connections, slow
clients, an exhausted pool, a database that dies under a write load, SIGTERM under load and
a main process killed outright.

Marked `faults` (`uv run pytest -m faults` runs only these). Timings are printed (`-s`), not
asserted, beyond generous bounds a client's own timeout would set."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import psycopg
import pytest

from app.core.security import issue_access_token
from tests.conftest import TEST_JWT_SECRET, create_database, make_settings
from tests.test_server import free_port

# the module's own PostgreSQL is started once: its tests run in one worker process
pytestmark = [pytest.mark.faults, pytest.mark.xdist_group("faults_postgres")]

POOL = 2  # DB_POOL_MAX_SIZE of the servers here


class OwnPostgres:
    """An embedded PostgreSQL of this module's own, with a migrated template database."""

    def __init__(self, home: Path) -> None:
        from app.core.embedded import EmbeddedPostgres
        from app.core.migrate import run_dbmate

        home.chmod(0o755)  # the server runs as its own OS user when we are root
        self.embedded = EmbeddedPostgres(home)
        self.admin_url = self.embedded.admin_url
        self.socket_dir = Path(unquote(self.admin_url.split("host=", 1)[1]))
        self.killed = 0
        self.template = "faults_template"
        run_dbmate(create_database(self.admin_url, self.template), "up", capture=True)

    def new_database(self) -> str:
        return create_database(self.admin_url, f"faults_{uuid.uuid4().hex[:10]}", self.template)

    def postmaster_pid(self) -> int:
        return int((self.embedded.pgdata / "postmaster.pid").read_text().split()[0])

    def kill(self) -> None:
        self.killed = self.postmaster_pid()
        os.kill(self.killed, signal.SIGKILL)

    def start_again(self) -> None:
        """Start it again after a kill: once the killed postmaster is gone (or a zombie, where
        nothing reaps orphans) its lock file is stale, and the new server starts in it."""
        deadline = time.monotonic() + 30
        while alive(self.killed):
            assert time.monotonic() < deadline, "the killed postmaster is still running"
            time.sleep(0.05)
        (self.embedded.pgdata / "postmaster.pid").unlink(missing_ok=True)
        for lock in self.socket_dir.glob(".s.PGSQL.*.lock"):
            lock.unlink()
        while True:
            try:
                self.embedded._server.ensure_postgres_running()  # pyright: ignore[reportPrivateUsage]
                return
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired, AssertionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


@pytest.fixture(scope="module")
def postgres() -> Iterator[OwnPostgres]:
    home = Path(tempfile.mkdtemp(prefix="kinetria-faults-"))
    server = OwnPostgres(home)
    try:
        yield server
    finally:
        try:
            server.embedded.stop()
        finally:
            shutil.rmtree(home, ignore_errors=True)


class Server:
    """`kinetria serve` as a user starts it, its output in a file (a pipe nobody reads
    would fill and stall the server)."""

    def __init__(self, process: subprocess.Popen[bytes], base: str, log: Path) -> None:
        self.process, self.base, self.log = process, base, log

    @property
    def pid(self) -> int:
        return self.process.pid

    def send_signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.output().splitlines() if line[:1] == "{"]

    def stop(self) -> list[dict[str, Any]]:
        """SIGTERM, wait for the exit, and the JSON lines it wrote."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        return self.lines()


@contextmanager
def running_server(env: dict[str, str], *args: str) -> Iterator[tuple[str, Server]]:
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="kinetria-faults-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), *args],
            env={**os.environ, "LOG_LEVEL": "INFO", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    server = Server(process, base, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited early:\n{server.output()}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("server did not answer /health within 60 s")
            time.sleep(0.1)
        yield base, server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.unlink(missing_ok=True)


def env_for(url: str, **settings: object) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "KINETRIA_ENV": "production",
        "DB_POOL_MIN_SIZE": "1",
        "DB_POOL_MAX_SIZE": str(POOL),
        "SHUTDOWN_DRAIN_S": "0",
        "METRICS_PORT": "0",  # production refuses a taken port; these servers need none
        **{name: str(value) for name, value in settings.items()},
    }


class Athlete:
    """A user with a token and a session in progress to log sets into."""

    def __init__(self, url: str, base: str) -> None:
        self.id = uuid.uuid4()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO users (id, email, password_hash, display_name)"
                " VALUES (%s, %s, 'not-a-hash', 'Athlete')",
                (self.id, f"{self.id.hex}@example.com"),
            )
            row = conn.execute(
                "SELECT id::text FROM exercises WHERE user_id IS NULL ORDER BY name LIMIT 1"
            ).fetchone()
        assert row is not None
        self.exercise_id = row[0]
        token = issue_access_token(make_settings(url, jwt_secret=TEST_JWT_SECRET), self.id)
        self.headers = {"Authorization": f"Bearer {token}"}
        started = httpx.post(f"{base}/v1/sessions", json={}, headers=self.headers, timeout=30)
        assert started.status_code == 201, started.text
        self.session_id = started.json()["id"]

    def sets(self, count: int = 5) -> list[dict[str, Any]]:
        return [
            {
                "id": str(uuid.uuid4()),
                "exercise_id": self.exercise_id,
                "set_type": "normal",
                "reps": 5,
                "weight": 80,
                "weight_unit": "kg",
            }
            for _ in range(count)
        ]


def is_reset(exc: Exception) -> bool:
    """A connection that reached the server and was dropped without an answer."""
    return isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError)


def raw_request(path: str = "/health") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()


def read_response(sock: socket.socket) -> bytes:
    """One HTTP/1.1 response with a Content-Length (what our answers carry)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


# --- connections do not consume capacity ------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_idle_keep_alive_connections_do_not_block_a_new_client(
    postgres: OwnPostgres, workers: int
) -> None:
    url = postgres.new_database()
    with running_server(env_for(url), "--workers", str(workers)) as (base, _):
        idle: list[socket.socket] = []
        try:
            # twenty times the pool of each worker, each connection used once, then idle
            for _ in range(4 * POOL * 5 * workers):
                sock = socket.create_connection(("127.0.0.1", port_of(base)), timeout=5)
                sock.sendall(raw_request())
                assert read_response(sock).startswith(b"HTTP/1.1 200")
                idle.append(sock)
            timings = []
            for path in ("/health", "/health/ready", "/v1/exercises"):
                started = time.perf_counter()
                response = httpx.get(f"{base}{path}", timeout=5)  # a new connection
                timings.append((path, round((time.perf_counter() - started) * 1000, 1)))
                assert response.status_code in (200, 401), response.text
            # and the idle connections still work
            for sock in idle[:3]:
                sock.sendall(raw_request())
                assert read_response(sock).startswith(b"HTTP/1.1 200")
        finally:
            for sock in idle:
                sock.close()
    print(
        f"\nwith {len(idle)} idle keep-alive connections, new clients answered in (ms): {timings}"
    )


def test_slow_drip_headers_get_the_connection_closed(postgres: OwnPostgres) -> None:
    url = postgres.new_database()
    with running_server(env_for(url, HTTP_HEADER_TIMEOUT_S=1)) as (base, _):
        sock = socket.create_connection(("127.0.0.1", port_of(base)), timeout=10)
        started = time.monotonic()
        closed_after = None
        answer = b""
        try:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
            for i in range(40):  # a header line every 0.25 s: 10 s if never cut off
                time.sleep(0.25)
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    try:
                        answer = sock.recv(1024)
                    except ConnectionResetError:
                        answer = b""
                    closed_after = time.monotonic() - started
                    break
                try:
                    sock.sendall(f"X-Drip-{i}: {i}\r\n".encode())
                except (BrokenPipeError, ConnectionResetError):
                    closed_after = time.monotonic() - started
                    break
                # meanwhile others are served
                assert httpx.get(f"{base}/health", timeout=5).status_code == 200
        finally:
            sock.close()
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer
    assert closed_after is not None
    assert closed_after < 8
    print(f"\nslow-drip headers: connection closed after {closed_after:.2f} s (timeout 1 s)")


def test_a_slow_body_is_408(postgres: OwnPostgres) -> None:
    url = postgres.new_database()
    with running_server(env_for(url, HTTP_BODY_TIMEOUT_S=1)) as (base, _):
        athlete = Athlete(url, base)
        sock = socket.create_connection(("127.0.0.1", port_of(base)), timeout=10)
        try:
            head = (
                f"POST /v1/sessions/{athlete.session_id}/sets HTTP/1.1\r\nHost: localhost\r\n"
                f"Authorization: {athlete.headers['Authorization']}\r\n"
                "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            )
            sock.sendall(head.encode() + b"[")  # and then nothing more
            started = time.monotonic()
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            waited = time.monotonic() - started
        finally:
            sock.close()
    assert data.startswith(b"HTTP/1.1 408"), data[:200]
    body = data.partition(b"\r\n\r\n")[2]
    if body:
        assert b'"error_code":"body_timeout"' in body
    assert waited < 5
    print(f"\na body that stops arriving: 408 after {waited:.2f} s (timeout 1 s)")


# --- an exhausted pool, and liveness while it is --------------------------------------------


@contextmanager
def sessions_locked(url: str) -> Iterator[None]:
    """Every read of sessions waits while this is held."""
    with psycopg.connect(url) as conn:
        conn.execute("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")
        yield
        conn.rollback()


def test_an_exhausted_pool_answers_503_within_the_deadline(postgres: OwnPostgres) -> None:
    url = postgres.new_database()
    env = env_for(url, DB_POOL_TIMEOUT=2, LOG_LEVEL="INFO")
    with running_server(env) as (base, process):
        athlete = Athlete(url, base)
        results: list[tuple[int, float, str | None, str]] = []

        def read_sessions() -> None:
            started = time.perf_counter()
            response = httpx.get(f"{base}/v1/sessions", headers=athlete.headers, timeout=10)
            results.append(
                (
                    response.status_code,
                    time.perf_counter() - started,
                    response.headers.get("retry-after"),
                    response.json()["error_code"],
                )
            )

        with sessions_locked(url):
            clients = [threading.Thread(target=read_sessions) for _ in range(32)]
            for client in clients:
                client.start()
            time.sleep(0.3)  # every pool connection is now busy, and requests queue
            started = time.perf_counter()
            ready = httpx.get(f"{base}/health/ready", timeout=3)
            ready_ms = (time.perf_counter() - started) * 1000
            health = []
            for _ in range(20):
                started = time.perf_counter()
                assert httpx.get(f"{base}/health", timeout=3).status_code == 200
                health.append((time.perf_counter() - started) * 1000)
            for client in clients:
                client.join(timeout=15)
        lines = process.stop()
    assert len(results) == 32
    assert {status for status, *_ in results} == {503}
    assert all(retry for _, _, retry, _ in results)
    slowest = max(seconds for _, seconds, *_ in results)  # as the clients saw it
    assert ready.status_code == 503
    assert ready.json()["reason"] == "pool_exhausted"
    codes = sorted({code for *_, code in results})
    logged = [
        line for line in lines if line.get("route") == "/v1/sessions" and line["method"] == "GET"
    ]
    ready_line = next(line for line in lines if line.get("route") == "/health/ready")
    assert len(logged) == 32
    assert all("queued_ms" in line and "handler_ms" in line for line in logged)
    refused = [line for line in logged if line["status"] == 503]
    # in the server: from arrival to answer, within DB_POOL_TIMEOUT + 1 s (and a little
    # for the cancelled query to return); most waited their pool timeout in the queue
    longest = max(line["duration_ms"] for line in refused)
    assert longest < 3_250
    assert sum(line["queued_ms"] >= 1_900 for line in refused) >= 28
    print(
        f"\npool of {POOL}, DB_POOL_TIMEOUT=2, 32 clients on a locked table: all 503 "
        f"({codes}), longest {longest:.0f} ms in the server, {slowest:.2f} s at the client; "
        f"/health max {max(health):.1f} ms; "
        f"/health/ready {ready_ms:.0f} ms at the client, {ready_line['duration_ms']:.0f} ms "
        f"in the server ({ready.json()['reason']})"
    )


# --- the database dies under a write load -----------------------------------------------------


def test_killing_postgres_mid_write_load_loses_no_acknowledged_set(
    postgres: OwnPostgres,
) -> None:
    url = postgres.new_database()
    env = env_for(url, DB_POOL_TIMEOUT=1, DB_CONNECT_TIMEOUT=1, DB_POOL_MAX_SIZE=4)
    with running_server(env) as (base, process):
        athletes = [Athlete(url, base) for _ in range(8)]
        acknowledged: list[str] = []
        outcomes: list[tuple[float, int, str | None]] = []  # (time, status, Retry-After)
        failures: list[str] = []
        stop = threading.Event()

        def write_load(athlete: Athlete) -> None:
            with httpx.Client(base_url=base, headers=athlete.headers, timeout=30) as client:
                while not stop.is_set():
                    batch = athlete.sets()
                    try:
                        response = client.post(
                            f"/v1/sessions/{athlete.session_id}/sets", json=batch
                        )
                    except httpx.TransportError as exc:
                        failures.append(repr(exc))
                        continue
                    outcomes.append(
                        (
                            time.monotonic(),
                            response.status_code,
                            response.headers.get("retry-after"),
                        )
                    )
                    if response.status_code in (200, 201):
                        acknowledged.extend(s["id"] for s in response.json()["sets"])
                    elif response.status_code != 503:
                        failures.append(f"{response.status_code} {response.text[:200]}")

        threads = [threading.Thread(target=write_load, args=(a,)) for a in athletes]
        for thread in threads:
            thread.start()
        # some sixteen batches acknowledged, then PostgreSQL dies
        until(lambda: len(acknowledged) >= 5 * 2 * len(athletes), "writes before the kill")
        killed_at = time.monotonic()
        postgres.kill()
        # two answers per writer, on average, since the kill
        until(
            lambda: sum(t > killed_at + 0.2 for t, *_ in outcomes) >= 2 * len(athletes),
            "answers while the database is down",
        )
        down_health = httpx.get(f"{base}/health", timeout=30)
        started = time.perf_counter()
        down_ready = httpx.get(f"{base}/health/ready", timeout=30)
        down_ready_ms = (time.perf_counter() - started) * 1000
        back: list[float] = []  # when the database accepts a connection again
        watcher = threading.Thread(target=lambda: back.append(first_connection(url)))
        watcher.start()
        postgres.start_again()
        watcher.join(timeout=30)
        back_at = back[0]
        # writes succeed again (or the deadline fails the test below)
        until(
            lambda: any(t > back_at and status in (200, 201) for t, status, _ in outcomes),
            "writes after the database is back",
            required=False,
        )
        time.sleep(0.5)  # and go on succeeding for a moment
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        lines = process.stop()
    assert not failures, failures[:5]
    # in the server, every write was answered within DB_POOL_TIMEOUT + 1 s of its arrival
    writes = [line for line in lines if line.get("route", "").endswith("/sets")]
    longest_ms = max(line["duration_ms"] for line in writes)
    assert longest_ms < 2_500
    while_down = [o for o in outcomes if killed_at + 0.2 < o[0] < back_at]
    assert while_down, "no answer while the database was down"
    assert all(status == 503 and retry for _, status, retry in while_down)
    recovered = [t for t, status, _ in outcomes if t > back_at and status in (200, 201)]
    assert recovered, "writes did not recover"
    recovery_s = min(recovered) - back_at
    assert recovery_s < 2, recovery_s
    with psycopg.connect(url) as conn:
        stored = {
            str(row[0])
            for row in conn.execute(
                "SELECT id FROM set_records WHERE id = ANY(%s::uuid[])", (acknowledged,)
            )
        }
    missing = set(acknowledged) - stored
    assert not missing
    print(
        f"\nkill -9 of PostgreSQL under 8 writers: {len(acknowledged)} acknowledged sets, all "
        f"stored; {len(while_down)} answers while down, all 503 with Retry-After (longest "
        f"write {longest_ms:.0f} ms in the server); writes back "
        f"{recovery_s:.2f} s after the database; while down /health {down_health.status_code}, "
        f"/health/ready {down_ready.status_code} {down_ready.json().get('reason')} in "
        f"{down_ready_ms:.0f} ms"
    )
    assert down_health.status_code == 200
    assert down_ready.status_code == 503
    assert down_ready.json()["reason"] == "database_unreachable"


def until(
    done: Callable[[], bool], what: str, *, timeout: float = 30, required: bool = True
) -> None:
    """Wait until `done()` is true: at most `timeout` seconds, then fail (or, when not
    `required`, return and let the test's own assertions say what is missing)."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            assert not required, f"never happened within {timeout:g} s: {what}"
            return
        time.sleep(0.02)


def first_connection(url: str) -> float:
    """The time a new connection to `url` first succeeds."""
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return time.monotonic()
        except psycopg.OperationalError:
            time.sleep(0.02)


# --- deploys drain ----------------------------------------------------------------------------


def test_sigterm_under_load_drains_without_a_reset(postgres: OwnPostgres) -> None:
    url = postgres.new_database()
    drain_s = 2.0
    env = env_for(url, SHUTDOWN_DRAIN_S=drain_s, DB_POOL_MAX_SIZE=4)
    with running_server(env) as (base, process):
        athlete = Athlete(url, base)
        answered: list[int] = []
        resets: list[str] = []
        refused: list[str] = []
        stop = threading.Event()

        def load(path: str) -> None:
            with httpx.Client(base_url=base, headers=athlete.headers, timeout=10) as client:
                while not stop.is_set():
                    try:
                        answered.append(client.get(path).status_code)
                    except httpx.ConnectError as exc:
                        refused.append(repr(exc))
                    except httpx.TransportError as exc:
                        (resets if is_reset(exc) else refused).append(repr(exc))

        threads = [
            threading.Thread(target=load, args=(path,))
            for path in ["/health", "/v1/sessions", "/v1/exercises?limit=5"] * 3
        ]
        for thread in threads:
            thread.start()
        # three answers per client, on average, before the signal
        until(lambda: len(answered) >= 3 * len(threads), "answers before SIGTERM")
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        time.sleep(0.2)
        ready = httpx.get(f"{base}/health/ready", timeout=3)
        health = httpx.get(f"{base}/health", timeout=3)
        # an LB that reads readiness stops sending within the drain; a request in flight
        # when the drain ends is finished
        slow: list[int] = []
        with sessions_locked(url):
            time.sleep(max(0.0, signalled + drain_s - 0.5 - time.monotonic()))
            stop.set()
            in_flight = threading.Thread(
                target=lambda: slow.append(
                    httpx.get(
                        f"{base}/v1/sessions", headers=athlete.headers, timeout=10
                    ).status_code
                )
            )
            in_flight.start()
            time.sleep(0.9)  # the drain ends while it waits for the lock
        in_flight.join(timeout=15)
        for thread in threads:
            thread.join(timeout=15)
        returncode = process.wait(timeout=60)
        output = process.output()
        exited_s = time.monotonic() - signalled
    assert returncode == 0, output[-2000:]
    assert ready.status_code == 503
    assert ready.json()["reason"] == "draining"
    assert health.status_code == 200
    assert slow == [200]
    assert resets == []
    assert refused == []
    assert answered
    assert set(answered) == {200}
    events = [json.loads(line).get("event") for line in output.splitlines() if line[:1] == "{"]
    assert "database pool closed" in events
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/health", timeout=2)
    print(
        f"\nSIGTERM under 9 clients: {len(answered)} answered (all 200), {len(resets)} resets, "
        f"readiness 503 draining 0.2 s after; an in-flight request across the end of the "
        f"drain: {slow}; exit 0 after {exited_s:.1f} s (SHUTDOWN_DRAIN_S={drain_s:g})"
    )


def test_workers_die_with_the_main_process(postgres: OwnPostgres) -> None:
    url = postgres.new_database()
    with running_server(env_for(url), "--workers", "2") as (base, process):
        workers = [
            int(pid)
            for pid in subprocess.run(
                ["pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=False
            ).stdout.split()
        ]
        assert len(workers) >= 2
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in workers)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base}/health", timeout=2)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


def test_a_port_in_use_is_a_one_line_error(postgres: OwnPostgres) -> None:
    url = postgres.new_database()
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env={**os.environ, **env_for(url)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"kinetria: cannot listen on 127.0.0.1:{port}: address already in use"
    ]
