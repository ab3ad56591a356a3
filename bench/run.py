"""The benchmark: the real server as it runs in production, driven by wrk.

    uv run python -m bench.run            # see docs/benchmarks.md

It prepares a seeded database (embedded, under --home, seeded once and reused), starts
`kinetria serve` with one worker pinned to core 0 (PostgreSQL and wrk on core 1), and runs
several interleaved rounds of each scenario, plus the driver ceiling: the same SQL through
the same pool with no HTTP, and the peers of bench/peers/ (the same endpoints on FastAPI with
SQLAlchemy's ORM and with asyncpg), each scenario run on Kinetria and then on each peer in the
same round. It prints JSON: medians and spread of requests/s, p50/p99 latency, non-2xx
responses, the app's CPU microseconds per request, how many of wrk's connections were served
and the spread of responses per connection, and Kinetria's figures as ratios to each peer's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg

from app.seed import DEMO_PASSWORD

APP_CORE = 0
LOAD_CORE = 1  # PostgreSQL and wrk
FLOORS = ("asgi", "litestar")  # bench/floor.py
PEERS = ("asyncpg", "orm")  # bench/peers/
PEER_SCENARIOS = ("health", "get_workout", "list_sessions", "log_10_sets")
PEERS_PROJECT = Path(__file__).parent / "peers"
JWT_SECRET = "benchmark-secret-of-at-least-thirty-two-bytes"
RESULTS = Path(__file__).parent / "results"


def set_batch(exercise_id: str, size: int = 10) -> list[dict[str, Any]]:
    return [
        {
            "exercise_id": exercise_id,
            "set_type": "normal",
            "reps": 5 + i % 5,
            "weight": 60 + 2.5 * i,
            "weight_unit": "kg",
            "rpe": 8,
        }
        for i in range(size)
    ]


# ---- processes --------------------------------------------------------------------------


def pin(pid: int, core: int) -> None:
    """Pin a process and its children (existing and, through inheritance, future)."""
    process = psutil.Process(pid)
    for member in [process, *process.children(recursive=True)]:
        with suppress(psutil.NoSuchProcess):
            member.cpu_affinity([core])


def cpu_seconds(pid: int) -> float:
    process = psutil.Process(pid)
    total = 0.0
    for member in [process, *process.children(recursive=True)]:
        try:
            times = member.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def embedded_database(home: Path) -> Iterator[str]:
    from app.core.embedded import EmbeddedPostgres

    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o755)  # the server runs as its own OS user when we are root
    server = EmbeddedPostgres(home)
    try:
        yield server.url
    finally:
        server.stop()


def postmaster_pid(home: Path) -> int:
    return int((home / "pgdata" / "postmaster.pid").read_text().split()[0])


def prepare(url: str, users: int, seed: int) -> None:
    from app.core.migrate import run_dbmate

    run_dbmate(url, "up", capture=True)
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM users").fetchone()
    if row and row[0] > 0:
        print(f"reusing the seeded database ({row[0]} users)", file=sys.stderr)
        return
    subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "seed", "--users", str(users), "--seed", str(seed)],
        env={**os.environ, "DATABASE_URL": url},
        check=True,
    )
    # write the load out now: a run right after seeding measured 10-40 % less, most likely
    # while the checkpointer was still writing it (docs/benchmarks.md, "Latest figures")
    with (
        psycopg.connect(url, autocommit=True) as conn,
        suppress(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("CHECKPOINT")


@contextmanager
def server(
    url: str, workers: int, cores: str = str(APP_CORE), log: Path | None = None
) -> Iterator[tuple[str, int]]:
    """`kinetria serve` as in production, pinned to `cores` (the app core): (base URL, pid).
    Its output (the access lines among it) goes to `log`, or nowhere."""
    port = free_port()
    env = {
        "DATABASE_URL": url,
        "KINETRIA_ENV": "production",
        "JWT_SECRET": JWT_SECRET,
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "LOGIN_MAX_FAILURES": "1000",
        # all the load comes from one address and a few users: the limits are counted (what
        # that costs is part of every figure) but set far above the load
        # (RATE_LIMIT_WRITES=off and the like in the environment measure without them)
        **{
            name: os.environ.get(name, "10000000/60")
            for name in ("RATE_LIMIT_LOGIN", "RATE_LIMIT_WRITES", "RATE_LIMIT_STATS")
        },
    }
    command = ["-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers)]
    base = f"http://127.0.0.1:{port}"
    with _pinned_process(command, env, f"{base}/health/ready", cores=cores, log=log) as pid:
        yield base, pid


@contextmanager
def floor_server(url: str, kind: str, users: list[BenchUser]) -> Iterator[tuple[str, int]]:
    """One of bench/floor.py's apps on the same server settings, pinned to the app core."""
    port = free_port()
    env = {
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "FLOOR_PAIRS": ",".join(f"{u.workout_id}:{u.user_id}" for u in users),
    }
    base = f"http://127.0.0.1:{port}"
    ready = f"{base}/v1/workouts/{users[0].workout_id}"
    with _pinned_process(["-m", "bench.floor", kind, str(port)], env, ready) as pid:
        yield base, pid


def peers_python() -> str:
    """The peers' own environment (bench/peers/pyproject.toml), made or brought up to date."""
    subprocess.run(["uv", "sync", "--quiet", "--project", str(PEERS_PROJECT)], check=True)
    return str(PEERS_PROJECT / ".venv" / "bin" / "python")


@contextmanager
def peer_server(url: str, kind: str, python: str) -> Iterator[tuple[str, int]]:
    """A peer of bench/peers/ on the same server settings, pinned to the app core."""
    port = free_port()
    env = {"DATABASE_URL": url, "JWT_SECRET": JWT_SECRET, "PYTHONPATH": str(Path.cwd())}
    base = f"http://127.0.0.1:{port}"
    arguments = ["-m", f"bench.peers.{kind}_app", str(port)]
    with _pinned_process(arguments, env, f"{base}/health", python=python) as pid:
        yield base, pid


@contextmanager
def _pinned_process(
    arguments: list[str],
    env: dict[str, str],
    ready_url: str,
    python: str = sys.executable,
    cores: str = str(APP_CORE),
    log: Path | None = None,
) -> Iterator[int]:
    """A Python process on `cores` (the app core), once `ready_url` answers 200; stopped on exit."""
    with log.open("wb") if log else open(os.devnull, "wb") as output:  # the child keeps its copy
        process = subprocess.Popen(
            ["taskset", "-c", cores, python, *arguments],
            env={**os.environ, **env},
            stdout=output,
            stderr=output,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(ready_url, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(arguments)} did not start")
            time.sleep(0.2)
        yield process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


# ---- the scenarios ----------------------------------------------------------------------


class BenchUser:
    """A seeded user with a workout, logged in, with a session in progress to log into."""

    def __init__(self, base: str, email: str, user_id: str, workout_id: str) -> None:
        self.user_id, self.workout_id = user_id, workout_id
        login = httpx.post(
            f"{base}/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD}
        )
        login.raise_for_status()
        self.token = login.json()["access_token"]
        headers = {"Authorization": f"Bearer {self.token}"}
        # a read-only personal API key, for the same reads with a key (removed after the run)
        key = httpx.post(
            f"{base}/v1/me/api-keys", json={"name": "bench", "scopes": ["read"]}, headers=headers
        )
        key.raise_for_status()
        self.api_key = key.json()["key"]
        sessions = httpx.get(f"{base}/v1/sessions?status=in_progress&limit=1", headers=headers)
        sessions.raise_for_status()
        items = sessions.json()["items"]
        if items:
            self.session_id = items[0]["id"]
        else:
            created = httpx.post(f"{base}/v1/sessions", json={}, headers=headers)
            created.raise_for_status()
            self.session_id = created.json()["id"]


def bench_users(base: str, url: str, count: int) -> list[BenchUser]:
    """`count` seeded users spread over the table (every n-th by email), each with a workout."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT DISTINCT ON (u.email) u.email, u.id::text, w.id::text"
            " FROM users u JOIN workouts w ON w.user_id = u.id"
            " WHERE u.email LIKE 'user%%@demo.kinetria.test' ORDER BY u.email, w.id"
        ).fetchall()
    assert rows, "the seeded database has no users with workouts"
    step = max(1, len(rows) // count)
    return [BenchUser(base, *row) for row in rows[::step][:count]]


def database_now(url: str) -> datetime:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return row[0]


def forget_logged_sets(url: str, users: list[BenchUser], started: datetime) -> None:
    """Remove what was logged since `started`, so every round and run measures the same data
    (a user's records and statistics grow with their sets)."""
    ids = [u.user_id for u in users]
    with psycopg.connect(url) as conn:
        conn.execute(
            "DELETE FROM audit_log WHERE user_id = ANY(%s::uuid[]) AND created_at >= %s",
            (ids, started),
        )
        conn.execute(
            "DELETE FROM set_records WHERE user_id = ANY(%s::uuid[]) AND created_at >= %s",
            (ids, started),
        )
        conn.execute(
            "DELETE FROM sessions WHERE user_id = ANY(%s::uuid[]) AND created_at >= %s",
            (ids, started),
        )
        conn.execute(
            "DELETE FROM api_keys WHERE user_id = ANY(%s::uuid[]) AND created_at >= %s",
            (ids, started),
        )


def system_exercise(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT id::text FROM exercises WHERE user_id IS NULL ORDER BY name LIMIT 1"
        ).fetchone()
    assert row is not None
    return row[0]


def scenarios(users: list[BenchUser], exercise_id: str) -> dict[str, list[dict[str, str]]]:
    """Each scenario: the requests wrk sends in turn (one per user)."""
    sets = json.dumps(set_batch(exercise_id))
    return {
        "health": [{"method": "GET", "path": "/health", "token": u.token} for u in users],
        "get_workout": [
            {"method": "GET", "path": f"/v1/workouts/{u.workout_id}", "token": u.token}
            for u in users
        ],
        # the same reads with a personal API key instead of the access token
        "get_workout_api_key": [
            {"method": "GET", "path": f"/v1/workouts/{u.workout_id}", "token": u.api_key}
            for u in users
        ],
        "list_sessions": [
            {"method": "GET", "path": "/v1/sessions?limit=20", "token": u.token} for u in users
        ],
        "stats_records": [
            {"method": "GET", "path": "/v1/stats/records", "token": u.token} for u in users
        ],
        "log_10_sets": [
            {
                "method": "POST",
                "path": f"/v1/sessions/{u.session_id}/sets",
                "token": u.token,
                "body": sets,
            }
            for u in users
        ],
    }


# One wrk thread per connection (-tN -cN), so each thread's count of responses is one
# connection's: a connection that got nothing shows as a 0, which wrk's own totals (answered
# requests only) cannot show. Each starts at its own user, and goes round them all in turn.
WRK_SCRIPT = """
local requests = {requests}
local threads = {}
local counter = 1
setup = function(thread)
  thread:set("i", counter - 1)
  counter = counter + 1
  table.insert(threads, thread)
end
i = 0
responses = 0
request = function()
  i = i % #requests + 1
  local r = requests[i]
  local body = r[4] ~= "" and r[4] or nil
  local headers = {["Authorization"] = r[3], ["Content-Type"] = "application/json"}
  return wrk.format(r[1], r[2], headers, body)
end
response = function(status, headers, body)
  responses = responses + 1
end
done = function(summary, latency, requests)
  for _, thread in ipairs(threads) do
    io.write(string.format("connection responses: %d\\n", thread:get("responses")))
  end
end
"""


def lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lua_requests(requests: list[dict[str, str]]) -> str:
    rows = [
        "{"
        + ", ".join(
            lua_string(v)
            for v in (r["method"], r["path"], f"Bearer {r['token']}", r.get("body", ""))
        )
        + "}"
        for r in requests
    ]
    return "{" + ", ".join(rows) + "}"


def run_wrk(
    base: str,
    requests: list[dict[str, str]],
    seconds: int,
    connections: int,
    server_pid: int,
    cores: str = str(LOAD_CORE),
) -> dict[str, float]:
    script = WRK_SCRIPT.replace("{requests}", lua_requests(requests))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        cpu_before = cpu_seconds(server_pid)
        output = subprocess.run(
            [
                "taskset",
                "-c",
                cores,
                "wrk",
                f"-t{connections}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                file.name,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        cpu_used = cpu_seconds(server_pid) - cpu_before
    finally:
        os.unlink(file.name)
    try:
        return parse_wrk(output, cpu_used)
    except AttributeError:
        raise RuntimeError(f"wrk printed what bench.run cannot read:\n{output}") from None


def _duration_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(output: str, cpu_used: float) -> dict[str, float]:
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: .*?timeout (\d+)", output)
    per_connection = [int(n) for n in re.findall(r"^connection responses: (\d+)$", output, re.M)]
    return {
        "connections_served": float(sum(1 for n in per_connection if n > 0)),
        "connections_unserved": float(sum(1 for n in per_connection if n == 0)),
        "responses_per_connection_min": float(min(per_connection, default=0)),
        "responses_per_connection_mean": round(
            statistics.mean(per_connection) if per_connection else 0.0, 1
        ),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50_ms": _duration_ms(re.search(r"^\s+50%\s+(\S+)\s*$", output, re.MULTILINE).group(1)),  # type: ignore[union-attr]
        "p99_ms": _duration_ms(re.search(r"^\s+99%\s+(\S+)\s*$", output, re.MULTILINE).group(1)),  # type: ignore[union-attr]
        "non_2xx": float(non_2xx.group(1)) if non_2xx else 0.0,
        "timeouts": float(errors.group(1)) if errors else 0.0,
        "requests": float(requests),
        "cpu_us_per_request": round(cpu_used / max(requests, 1) * 1e6, 1),
    }


# ---- the driver ceiling -----------------------------------------------------------------


def driver_ceiling(url: str, users: list[BenchUser], seconds: float, concurrency: int) -> float:
    """GET /v1/workouts/{id}'s SQL through the same pool settings, without HTTP: per second."""
    pairs = [f"{u.workout_id}:{u.user_id}" for u in users]
    output = subprocess.run(
        [
            "taskset",
            "-c",
            str(APP_CORE),
            sys.executable,
            "-m",
            "bench.driver",
            url,
            *pairs,
            "--seconds",
            str(seconds),
            "--concurrency",
            str(concurrency),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(output.strip())


# ---- the run ----------------------------------------------------------------------------


def summarize(samples: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(samples), 2),
        "min": round(min(samples), 2),
        "max": round(max(samples), 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--home",
        type=Path,
        default=Path(".kinetria-bench"),
        help="where the seeded embedded database lives (reused between runs)",
    )
    parser.add_argument("--database-url", help="use this seeded database instead")
    parser.add_argument(
        "--users", type=int, default=10_000, help="users to seed (~1,000 sets each)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="per scenario per round")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--unpinned",
        action="store_true",
        help="no pinning: the server, PostgreSQL and wrk share every core (to compare --workers)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="SCENARIO",
        help="run only these scenarios (health get_workout get_workout_api_key list_sessions "
        "stats_records log_10_sets), without the floors and the driver",
    )
    parser.add_argument(
        "--peers",
        nargs="*",
        default=list(PEERS),
        metavar="PEER",
        help="the peers of bench/peers/ to run too (asyncpg orm; none: --peers)",
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        sys.exit("bench.run needs wrk and taskset: apt-get install wrk util-linux")

    with (
        embedded_database(args.home.resolve())
        if not args.database_url
        else _given(args.database_url) as url
    ):
        prepare(url, args.users, args.seed)
        every_core = ",".join(map(str, sorted(os.sched_getaffinity(0))))
        app_cores, load_cores = (
            (every_core, every_core) if args.unpinned else (str(APP_CORE), str(LOAD_CORE))
        )
        if not args.database_url and not args.unpinned:
            pin(postmaster_pid(args.home.resolve()), LOAD_CORE)
        with server(url, args.workers, app_cores) as (base, pid), ExitStack() as floors:
            started = database_now(url)
            users = bench_users(base, url, args.connections)
            plan = scenarios(users, system_exercise(url))
            if args.only:
                plan = {name: requests for name, requests in plan.items() if name in args.only}
            targets = {name: (base, pid) for name in plan}
            for kind in () if args.only else FLOORS:
                targets[f"floor_{kind}_get_workout"] = floors.enter_context(
                    floor_server(url, kind, users)
                )
                plan[f"floor_{kind}_get_workout"] = plan["get_workout"]
            python = peers_python() if args.peers else ""
            for kind in args.peers:
                peer = floors.enter_context(peer_server(url, kind, python))
                for name in [n for n in PEER_SCENARIOS if n in plan]:
                    # the same requests (same users, tokens, sessions), right after Kinetria's
                    plan = _after(plan, name, f"peer_{kind}_{name}", plan[name])
                    targets[f"peer_{kind}_{name}"] = peer
            samples: dict[str, list[dict[str, float]]] = {name: [] for name in plan}
            ceilings: list[float] = []
            for round_number in range(args.rounds):
                print(f"round {round_number + 1}/{args.rounds}", file=sys.stderr)
                round_started = database_now(url)
                for name, requests in plan.items():
                    target, target_pid = targets[name]
                    samples[name].append(
                        run_wrk(
                            target, requests, args.seconds, args.connections, target_pid, load_cores
                        )
                    )
                if not args.only:
                    ceilings.append(driver_ceiling(url, users, args.seconds, args.connections))
                forget_logged_sets(url, users, round_started)
            forget_logged_sets(url, users, started)  # and the sessions made for the run
    if args.only:
        endpoints = {
            name: {metric: summarize([run[metric] for run in runs]) for metric in runs[0]}
            for name, runs in samples.items()
        }
        report: dict[str, Any] = {
            "settings": vars(args) | {"home": str(args.home)},
            "endpoints": endpoints,
            "peer_ratios": peer_ratios(endpoints),
            "connections": connection_spread(endpoints),
        }
        for name in report["connections"]["unserved"]:
            print(f"WARNING: {name}: a connection got no response", file=sys.stderr)
        print(json.dumps(report, indent=2))
        return
    report = build_report(samples, ceilings, args)
    for name in report["connections"]["unserved"]:
        print(f"WARNING: {name}: a connection got no response", file=sys.stderr)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


def _after(
    plan: dict[str, list[dict[str, str]]], name: str, new: str, requests: list[dict[str, str]]
) -> dict[str, list[dict[str, str]]]:
    """`plan` with `new` run after `name` and the runs already placed after it."""
    names = list(plan)
    at = names.index(name) + 1
    while at < len(names) and names[at].startswith("peer_") and names[at].endswith(name):
        at += 1
    names.insert(at, new)
    return {n: requests if n == new else plan[n] for n in names}


def peer_ratios(endpoints: dict[str, dict[str, dict[str, float]]]) -> dict[str, Any]:
    """Kinetria's figures over each peer's, per scenario: throughput (above 1: Kinetria serves
    more), p99 latency and app CPU per request (below 1: Kinetria spends less)."""
    ratios: dict[str, Any] = {}
    for name in PEER_SCENARIOS:
        for kind in PEERS:
            peer = endpoints.get(f"peer_{kind}_{name}")
            ours = endpoints.get(name)
            if peer is None or ours is None:
                continue
            ratios[f"{name}_vs_{kind}"] = {
                metric: round(ours[metric]["median"] / peer[metric]["median"], 3)
                if peer[metric]["median"]
                else None
                for metric in ("rps", "p99_ms", "cpu_us_per_request")
            }
    return ratios


def connection_spread(endpoints: dict[str, dict[str, dict[str, float]]]) -> dict[str, Any]:
    """Per scenario: the connections served in the worst round, the fewest and the mean
    responses a connection got; `unserved` lists the scenarios where one got nothing."""
    return {
        "per_scenario": {
            name: {
                "served_min": e["connections_served"]["min"],
                "responses_per_connection_min": e["responses_per_connection_min"]["min"],
                "responses_per_connection_mean": e["responses_per_connection_mean"]["median"],
            }
            for name, e in endpoints.items()
        },
        "unserved": [n for n, e in endpoints.items() if e["connections_unserved"]["max"] > 0],
    }


def build_report(
    samples: dict[str, list[dict[str, float]]], ceilings: list[float], args: argparse.Namespace
) -> dict[str, Any]:
    endpoints = {
        name: {metric: summarize([run[metric] for run in runs]) for metric in runs[0]}
        for name, runs in samples.items()
    }
    the_apps = {
        name: e for name, e in endpoints.items() if not name.startswith(("floor_", "peer_"))
    }
    workout_rps = endpoints["get_workout"]["rps"]["median"]
    ceiling = statistics.median(ceilings)
    health_rps = endpoints["health"]["rps"]["median"]
    return {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "settings": {
            "rounds": args.rounds,
            "seconds": args.seconds,
            "connections": args.connections,
            "workers": args.workers,
            "unpinned": args.unpinned,
        },
        "endpoints": endpoints,
        "peer_ratios": peer_ratios(endpoints),
        "connections": connection_spread(endpoints),
        "driver_ceiling_get_workout_rps": summarize(ceilings),
        "ratios": {
            "get_workout_vs_driver": round(workout_rps / ceiling, 3),
            "get_workout_vs_health": round(workout_rps / health_rps, 3),
            **{
                f"floor_{kind}_vs_driver": round(
                    endpoints[f"floor_{kind}_get_workout"]["rps"]["median"] / ceiling, 3
                )
                for kind in FLOORS
            },
        },
        "targets": {
            "get_workout_at_least_50pct_of_driver": workout_rps >= 0.5 * ceiling,
            "get_workout_at_least_40pct_of_health": workout_rps >= 0.4 * health_rps,
            "no_non_2xx": all(e["non_2xx"]["max"] == 0 for e in the_apps.values()),
            "every_connection_served": all(
                e["connections_unserved"]["max"] == 0 for e in the_apps.values()
            ),
            "p99_under_4x_p50": all(
                e["p99_ms"]["median"] < 4 * e["p50_ms"]["median"] for e in the_apps.values()
            ),
        },
    }


if __name__ == "__main__":
    main()
