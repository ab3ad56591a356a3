"""The soak: a mixed read/write load at ~80 % of the measured capacity for ten minutes.

    uv run python -m bench.soak                  # see docs/benchmarks.md, "Soak"
    uv run python -m bench.soak --minutes 2 --rate 600

It uses the benchmark's seeded database and server (bench/run.py: `kinetria serve` as in
production, one worker pinned to core 0, PostgreSQL and the load on core 1), first measures
the capacity of the mix (closed loop, --connections at once), then sends the mix at 80 % of
it (or at --rate requests/s) on a fixed schedule (open loop: a request's latency counts from
the moment it was due, so a stalled server shows as latency, not as fewer requests). Each
minute it prints the requests answered, the errors (anything but 2xx, and failed
connections), p50/p99 latency and the RSS of the server's processes (VmRSS of
/proc/<pid>/status); at the end the RSS growth after the first (warm-up) minute, and the
figures as JSON (also written to bench/results/soak.json).

The mix, per user in turn: GET /v1/workouts/{id} 30 %, GET /v1/sessions?limit=20 25 %,
GET /v1/me 15 %, GET /v1/stats/records 10 %, POST /v1/sessions/{id}/sets (two sets) 20 %.
Each user logs into a session of at most --session-sets sets (default 30, a real workout's
10-40): the write that would exceed it first finishes the session and starts a new one
(POST .../finish, POST /v1/sessions: two more requests on the same connection, in that
write's latency). --session-sets 0 keeps one session for the whole run, which grows by
thousands of sets. The run removes the sets and sessions it created and puts each user's
session in progress back as it was.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import psycopg
import uvloop

from bench.run import (
    APP_CORE,
    LOAD_CORE,
    RESULTS,
    BenchUser,
    bench_users,
    cpu_seconds,
    database_now,
    embedded_database,
    forget_logged_sets,
    pin,
    postmaster_pid,
    prepare,
    server,
    set_batch,
    system_exercise,
)

REQUEST_TIMEOUT_S = 30  # an answer later than this counts as an error (status 0)

# (share of the requests, what it is); the order is the order of a cycle of 20
MIX = (
    (6, "get_workout"),
    (5, "list_sessions"),
    (3, "get_me"),
    (2, "stats_records"),
    (4, "log_2_sets"),
)


# a request of the mix: its kind, its user, and the bytes sent (None: a write, built when
# it is sent, for the user's session of the moment)
Request = tuple[str, BenchUser, bytes | None]


def raw_requests(users: list[BenchUser]) -> list[Request]:
    """The requests of the mix: one cycle of 20 per user, users in turn."""
    cycle = [name for share, name in MIX for _ in range(share)]
    requests: list[Request] = []
    for position in range(len(cycle)):
        for number, user in enumerate(users):
            # every user runs through the whole cycle, each from another place in it
            kind = cycle[(position + number) % len(cycle)]
            read = {
                "get_workout": f"/v1/workouts/{user.workout_id}",
                "list_sessions": "/v1/sessions?limit=20",
                "get_me": "/v1/me",
                "stats_records": "/v1/stats/records",
            }.get(kind)
            requests.append(
                (kind, user, None if read is None else _request_bytes("GET", read, user))
            )
    return requests


def _request_bytes(method: str, path: str, user: BenchUser, content: bytes = b"") -> bytes:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: soak\r\nAuthorization: Bearer {user.token}\r\n"
        + (
            f"Content-Type: application/json\r\nContent-Length: {len(content)}\r\n"
            if content or method == "POST"
            else ""
        )
        + "\r\n"
    )
    return head.encode() + content


class Sessions:
    """Each user's session in progress, and how many sets it holds: the write that would take
    it past `per_session` sets (0: never) first finishes it and starts a new one. A user's
    writes go one at a time (a lock per user), as from one phone."""

    def __init__(self, users: list[BenchUser], exercise_id: str, per_session: int) -> None:
        self.body = json.dumps(set_batch(exercise_id, size=2)).encode()
        self.per_session = per_session
        self.original = {user.user_id: user.session_id for user in users}
        self.current = dict(self.original)
        self.logged = dict.fromkeys(self.original, 0)
        self.started = 0  # sessions started by the run
        self.locks: dict[str, asyncio.Lock] = {}

    def bind(self) -> None:
        """New locks for the event loop about to run (each phase runs its own)."""
        self.locks = {user_id: asyncio.Lock() for user_id in self.original}

    async def log(self, connection: Connection, user: BenchUser) -> int:
        """Log two sets for `user` (after a new session if due); the first non-2xx status
        met, or the log's."""
        async with self.locks[user.user_id]:
            if self.per_session and self.logged[user.user_id] + 2 > self.per_session:
                status = await self._next_session(connection, user)
                if not 200 <= status < 300:
                    return status
            path = f"/v1/sessions/{self.current[user.user_id]}/sets"
            status = await connection.send(_request_bytes("POST", path, user, self.body))
            if 200 <= status < 300:
                self.logged[user.user_id] += 2
            return status

    async def _next_session(self, connection: Connection, user: BenchUser) -> int:
        finish = f"/v1/sessions/{self.current[user.user_id]}/finish"
        status = await connection.send(_request_bytes("POST", finish, user))
        if not 200 <= status < 300:
            return status
        status, body = await connection.exchange(
            _request_bytes("POST", "/v1/sessions", user, b"{}")
        )
        if 200 <= status < 300:
            self.current[user.user_id] = json.loads(body)["id"]
            self.logged[user.user_id] = 0
            self.started += 1
        return status

    def restore(self, url: str) -> None:
        """Put each user's session in progress from before the run back as it was (the
        sessions the run started are removed by forget_logged_sets)."""
        with psycopg.connect(url) as conn:
            conn.execute(
                "UPDATE sessions SET status = 'in_progress', ended_at = NULL"
                " WHERE id = ANY(%s::uuid[]) AND status <> 'in_progress'",
                (list(self.original.values()),),
            )

    async def send(self, connection: Connection, request: Request) -> int:
        _, user, raw = request
        if raw is None:
            return await self.log(connection, user)
        return await connection.send(raw)


# ---- a small HTTP/1.1 keep-alive client (cheap, so the load costs little CPU) -----------


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: bytes) -> int:
        """Send one request and read its answer; its status (0: the connection failed)."""
        return (await self.exchange(request))[0]

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send one request and read its answer: its status (0: the connection failed) and
        its body (chunked bodies are read, not kept)."""
        try:
            if self.reader is not None and self.reader.at_eof():
                self.close()  # the server closed it while it was idle (keep-alive timeout)
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            assert self.reader is not None
            self.writer.write(request)
            status_line = await self.reader.readline()
            status = int(status_line.split()[1])
            length, chunked, close, body = 0, False, False, b""
            while True:
                line = await self.reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
                elif name == b"connection" and b"close" in value.lower():
                    close = True
            if chunked:
                while size := int((await self.reader.readline()).strip(), 16):
                    await self.reader.readexactly(size + 2)
                await self.reader.readline()
            elif length:
                body = await self.reader.readexactly(length)
            if close:
                self.close()
            return status, body
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            self.close()
            return 0, b""

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Minute:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def add(self, status: int, latency_ms: float) -> None:
        self.latencies_ms.append(latency_ms)
        if not 200 <= status < 300:
            self.errors += 1
            self.statuses[status] = self.statuses.get(status, 0) + 1


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def rss_kib(pid: int) -> dict[int, int]:
    """VmRSS (KiB) of the server's process and of each of its children, by pid."""
    sizes: dict[int, int] = {}
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        try:
            with open(f"/proc/{process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        sizes[process.pid] = int(line.split()[1])
        except FileNotFoundError:
            pass
    return sizes


# ---- the two phases -----------------------------------------------------------------


async def capacity(
    host: str,
    port: int,
    requests: list[Request],
    sessions: Sessions,
    seconds: float,
    connections: int,
) -> float:
    """Requests/s of the mix, closed loop: `connections` clients each sending as soon as its
    answer came; the first two seconds are not counted."""
    sessions.bind()
    source = itertools.cycle(requests)
    counted = 0
    start = time.perf_counter()
    warm_until, stop_at = start + 2, start + 2 + seconds

    async def client() -> None:
        nonlocal counted
        connection = Connection(host, port)
        while (now := time.perf_counter()) < stop_at:
            await sessions.send(connection, next(source))
            if now >= warm_until:
                counted += 1
        connection.close()

    await asyncio.gather(*(client() for _ in range(connections)))
    return counted / seconds


async def soak(
    host: str,
    port: int,
    requests: list[Request],
    sessions: Sessions,
    rate: float,
    minutes: int,
    connections: int,
    server_pid: int,
) -> list[dict[str, Any]]:
    """The mix at `rate` requests/s for `minutes`; one report per minute."""
    sessions.bind()
    idle: asyncio.LifoQueue[Connection] = asyncio.LifoQueue()
    for _ in range(connections):
        idle.put_nowait(Connection(host, port))
    source = itertools.cycle(requests)
    reports: list[dict[str, Any]] = []
    pending: set[asyncio.Task[None]] = set()
    start = time.perf_counter()
    interval = 1 / rate

    async def one(request: Request, due: float, minute: Minute) -> None:
        connection = await idle.get()
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                status = await sessions.send(connection, request)
        except TimeoutError:
            connection.close()
            status = 0
        minute.add(status, (time.perf_counter() - due) * 1000)
        idle.put_nowait(connection)

    sent = 0
    cpu_before, then = cpu_seconds(server_pid), time.perf_counter()
    for number in range(minutes):
        minute = Minute()
        minute_end = start + 60 * (number + 1)
        while True:
            due = start + sent * interval
            if due >= minute_end:
                break
            delay = due - time.perf_counter()
            if delay > 0.0005:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(next(source), due, minute))
            pending.add(task)
            task.add_done_callback(pending.discard)
            sent += 1
        # the minute's last requests still count in it: wait for them before reading it
        await asyncio.gather(*list(pending))
        sizes = rss_kib(server_pid)
        cpu_now, now = cpu_seconds(server_pid), time.perf_counter()
        latencies = minute.latencies_ms
        report = {
            "minute": number + 1,
            "requests": len(latencies),
            "errors": minute.errors,
            "error_statuses": minute.statuses,
            "p50_ms": round(statistics.median(latencies), 2) if latencies else 0.0,
            "p99_ms": round(percentile(latencies, 0.99), 2),
            "rss_mib": round(sum(sizes.values()) / 1024, 1),
            "rss_mib_by_pid": {str(pid): round(kib / 1024, 1) for pid, kib in sizes.items()},
            # how much CPU the server got, and how busy the (shared) machine was
            "server_cpu_pct": round((cpu_now - cpu_before) / (now - then) * 100, 1),
            "load_average_1m": os.getloadavg()[0],
            "sessions_started": sessions.started,
        }
        cpu_before, then = cpu_now, now
        reports.append(report)
        print(
            f"minute {report['minute']:>2}: {report['requests']:>6} requests, "
            f"{report['errors']} errors, p50 {report['p50_ms']:.2f} ms, "
            f"p99 {report['p99_ms']:.2f} ms, server RSS {report['rss_mib']:.1f} MiB, "
            f"server CPU {report['server_cpu_pct']:.0f} %, load {report['load_average_1m']:.1f}"
            + (f", errors by status {minute.statuses}" if minute.statuses else ""),
            file=sys.stderr,
            flush=True,
        )
    for connection in list(idle._queue):  # type: ignore[attr-defined]
        connection.close()
    return reports


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="bench.soak", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, default=Path(".kinetria-bench"))
    parser.add_argument("--database-url", help="use this seeded database instead")
    parser.add_argument("--users", type=int, default=10_000, help="users to seed (first run)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--rate", type=float, help="requests/s (default: 80 %% of capacity)")
    parser.add_argument("--load", type=float, default=0.8, help="share of the capacity")
    parser.add_argument("--capacity-seconds", type=float, default=20)
    parser.add_argument(
        "--connections",
        type=int,
        default=10,
        help="kept open to the server (default 10: the server's pool size; with the server's "
        "backpressure at the pool size, connections beyond it are not served, see "
        "docs/benchmarks.md)",
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--session-sets",
        type=int,
        default=30,
        help="sets per session: a user's write that would exceed it starts a new session "
        "(0: one session for the whole run)",
    )
    args = parser.parse_args(argv)
    # SIGTERM stops the run like Ctrl-C: the server and the database are stopped on the way out
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    from bench.run import _given  # pyright: ignore[reportPrivateUsage]

    home = args.home.resolve()
    with embedded_database(home) if not args.database_url else _given(args.database_url) as url:
        prepare(url, args.users, args.seed)
        if not args.database_url:
            pin(postmaster_pid(home), LOAD_CORE)
        with server(url, args.workers) as (base, pid):
            os.sched_setaffinity(0, {LOAD_CORE})  # the load, like wrk, beside PostgreSQL
            started = database_now(url)
            users = bench_users(base, url, args.connections)
            requests = raw_requests(users)
            sessions = Sessions(users, system_exercise(url), args.session_sets)
            host, port = base.removeprefix("http://").split(":")
            try:
                measured = None
                if args.rate is None:
                    measured = uvloop.run(
                        capacity(
                            host,
                            int(port),
                            requests,
                            sessions,
                            args.capacity_seconds,
                            args.connections,
                        )
                    )
                    print(f"capacity of the mix: {measured:.0f} requests/s", file=sys.stderr)
                rate = args.rate or args.load * (measured or 0)
                print(
                    f"soak: {rate:.0f} requests/s for {args.minutes} minutes "
                    f"(server pid {pid}, app core {APP_CORE})",
                    file=sys.stderr,
                )
                minutes = uvloop.run(
                    soak(
                        host,
                        int(port),
                        requests,
                        sessions,
                        rate,
                        args.minutes,
                        args.connections,
                        pid,
                    )
                )
            finally:
                forget_logged_sets(url, users, started)
                sessions.restore(url)
    report = summarize(minutes, measured, rate, args)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def summarize(
    minutes: list[dict[str, Any]], measured: float | None, rate: float, args: argparse.Namespace
) -> dict[str, Any]:
    warm = minutes[0]["rss_mib"]
    last = minutes[-1]["rss_mib"]
    growth = (last - warm) / warm * 100 if warm else 0.0
    return {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "settings": {
            "minutes": args.minutes,
            "workers": args.workers,
            "mix": dict(MIX),
            "session_sets": args.session_sets,
        },
        "capacity_rps": round(measured, 1) if measured else None,
        "rate_rps": round(rate, 1),
        "minutes": minutes,
        "totals": {
            "requests": sum(m["requests"] for m in minutes),
            "errors": sum(m["errors"] for m in minutes),
            "rss_mib_after_warm_up": warm,
            "rss_mib_at_end": last,
            "rss_mib_max": max(m["rss_mib"] for m in minutes),
            "rss_growth_after_warm_up_pct": round(growth, 2),
        },
        "targets": {
            "no_errors": all(m["errors"] == 0 for m in minutes),
            "rss_growth_under_10pct": growth < 10,
        },
    }


if __name__ == "__main__":
    main()
