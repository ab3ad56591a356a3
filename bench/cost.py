"""The cost of a change on GET /v1/workouts/{id} (or another scenario of bench.run, with
--scenario): this tree's server against a baseline checkout's, interleaved on the same pinned
core, database and users.

    git worktree add ../kinetria-base main && (cd ../kinetria-base && uv sync)
    uv run python -m bench.cost --baseline ../kinetria-base --rounds 6 --seconds 5

Both servers run as bench.run runs one (`kinetria serve`, production settings, one worker on
core 0; PostgreSQL and wrk on core 1), at the same time, each idle while the other is
measured; rounds alternate which goes first (A B, B A, ...) so that drift on a shared machine
falls on both. Prints JSON: each side's median requests/s, p50/p99 and CPU per request, and
the change in throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from bench.run import (
    APP_CORE,
    JWT_SECRET,
    LOAD_CORE,
    bench_users,
    embedded_database,
    free_port,
    pin,
    postmaster_pid,
    prepare,
    run_wrk,
    scenarios,
    system_exercise,
)

SCENARIO = "get_workout"


@contextmanager
def server_of(tree: Path, url: str) -> Iterator[tuple[str, int]]:
    """`kinetria serve` of the checkout at `tree` (its own virtualenv), pinned to the app core."""
    python = tree / ".venv" / "bin" / "python"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KINETRIA_ENV": "production",
        "JWT_SECRET": JWT_SECRET,
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "LOGIN_MAX_FAILURES": "1000",
        "METRICS_PORT": str(free_port()),  # a tree without the listener ignores it
        # as bench.run: the rate limits are counted but set far above the load
        **{
            name: os.environ.get(name, "10000000/60")
            for name in ("RATE_LIMIT_LOGIN", "RATE_LIMIT_WRITES", "RATE_LIMIT_STATS")
        },
        "VIRTUAL_ENV": str(tree / ".venv"),
    }
    command = ["taskset", "-c", str(APP_CORE), str(python), "-m", "app.cli", "serve"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server of {tree} did not start")
            time.sleep(0.2)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="bench.cost", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", type=Path, required=True, help="checkout to compare with")
    parser.add_argument("--home", type=Path, default=Path(".kinetria-bench"))
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--scenario",
        default=SCENARIO,
        help="a scenario of bench.run (health get_workout list_sessions stats_records log_10_sets)",
    )
    args = parser.parse_args(argv)
    home = args.home.resolve()
    trees = {"baseline": args.baseline.resolve(), "this": Path(__file__).resolve().parents[1]}
    with embedded_database(home) as url, ExitStack() as stack:
        prepare(url, args.users, 1)
        pin(postmaster_pid(home), LOAD_CORE)
        servers = {name: stack.enter_context(server_of(tree, url)) for name, tree in trees.items()}
        users = bench_users(servers["this"][0], url, args.connections)
        requests = scenarios(users, system_exercise(url))[args.scenario]
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
        for round_number in range(args.rounds):
            order = list(servers) if round_number % 2 == 0 else list(reversed(servers))
            for name in order:
                base, pid = servers[name]
                runs[name].append(run_wrk(base, requests, args.seconds, args.connections, pid))
            print(f"round {round_number + 1}/{args.rounds}", file=sys.stderr)
    medians = {
        name: {
            metric: round(statistics.median(run[metric] for run in samples), 2)
            for metric in ("rps", "p50_ms", "p99_ms", "cpu_us_per_request", "non_2xx")
        }
        | {"rps_all": [round(run["rps"], 1) for run in samples]}
        for name, samples in runs.items()
    }
    change = medians["this"]["rps"] / medians["baseline"]["rps"] - 1
    report = {
        "scenario": args.scenario,
        "settings": {
            "rounds": args.rounds,
            "seconds": args.seconds,
            "connections": args.connections,
        },
        **medians,
        "throughput_change": round(change, 4),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
