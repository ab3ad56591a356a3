"""Fuzz the API with Schemathesis: every check, every phase (examples, coverage, fuzzing,
stateful), as two users who must not see each other's objects.

Starts `kinetria serve` on a free port with a private embedded PostgreSQL (a fresh
KINETRIA_HOME, removed afterwards), registers the two users, and runs `st run` against the
live document with a time budget. Exit code: Schemathesis's (0 when nothing was found).

    uv run python .ci/fuzz.py [--max-time SECONDS] [--max-examples N] [--seed N] [-- ST ARGS]

What is left out, and why, is in docs/fuzzing.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "fuzzing passphrase of two users"
USERS = ("alice", "bob")

# Operations that end the caller's own identity (its account, its login, its other logins,
# its password): fuzzing them as alice or bob would end the token the rest of the run uses.
# docs/fuzzing.md says how they are tested instead.
ENDS_THE_CALLER = ("deleteMe", "logout", "endLogin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(base: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited early with {process.returncode}")
        try:
            if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    sys.exit(f"the server was not ready within {seconds:.0f} s")


def config(wfc: Path, *, max_examples: int) -> str:
    """schemathesis.toml: the two users from the WFC file, peers of each other."""
    excluded = "\n".join(
        f'[[operations]]\ninclude-operation-id = "{op}"\nenabled = false\n'
        for op in ENDS_THE_CALLER
    )
    return f"""\
[auth.wfc]
path = "{wfc}"
peers = {json.dumps(list(USERS))}

[generation]
max-examples = {max_examples}

# schema-valid requests may be refused with these too, for the reasons .ci/fuzz_hooks.py
# lists (its check fails any other refusal)
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "412", "422", "429", "5xx"]

{excluded}
"""


def wfc_document(base: str) -> dict[str, object]:
    """Web Fuzzing Commons auth: each user logs in through the API and sends its bearer."""
    return {
        "schemaVersion": "0.2.0",
        "auth": [
            {
                "name": name,
                "loginEndpointAuth": {
                    "endpoint": "/v1/auth/login",
                    "verb": "POST",
                    "contentType": "application/json",
                    "payloadRaw": json.dumps(
                        {"email": f"{name}@fuzz.example.com", "password": PASSWORD}
                    ),
                    "token": {
                        "extractFrom": "body",
                        "extractSelector": "/access_token",
                        "sendIn": "header",
                        "sendName": "Authorization",
                        "sendTemplate": "Bearer {token}",
                    },
                },
            }
            for name in USERS
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-time", type=int, default=300, help="seconds for the whole run")
    parser.add_argument("--max-examples", type=int, default=30, help="test cases per operation")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--workers", default="1")  # see docs/fuzzing.md
    parser.add_argument("--report-dir", type=Path, default=None)
    parser.add_argument("rest", nargs="*", help="more `st run` arguments (after --)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kinetria-fuzz-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "KINETRIA_HOME": str(work / "home"),
        "KINETRIA_ENV": "development",
        "LOG_LEVEL": "WARNING",
        "METRICS_PORT": "0",
        "WORKERS": "1",
        # thousands of requests from one address in minutes: limits would answer most of them
        **{
            f"RATE_LIMIT_{name}": "off"
            for name in ("REGISTER", "LOGIN", "REFRESH", "PASSWORD_RESET", "WRITES", "STATS")
        },
        "LOGIN_MAX_FAILURES": "1000000",
    }
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "server.log", "wb"),  # noqa: SIM115
        start_new_session=True,
    )
    try:
        wait_for(base, server)
        for name in USERS:
            answer = httpx.post(
                f"{base}/v1/auth/register",
                json={
                    "email": f"{name}@fuzz.example.com",
                    "password": PASSWORD,
                    "display_name": name,
                },
            )
            assert answer.status_code == 201, answer.text
        wfc = work / "auth.json"
        wfc.write_text(json.dumps(wfc_document(base)))
        toml = work / "schemathesis.toml"
        toml.write_text(config(wfc, max_examples=args.max_examples))
        report_dir = args.report_dir or work / "report"
        command = [
            str(Path(sys.executable).parent / "st"),
            "--config-file",
            str(toml),
            "run",
            f"{base}/schema/openapi.json",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-time",
            str(args.max_time),
            "--workers",
            args.workers,
            "--report",
            "ndjson",
            "--report-dir",
            str(report_dir),
            *(["--seed", str(args.seed)] if args.seed is not None else []),
            *args.rest,
        ]
        print("$", " ".join(command), flush=True)
        hooks = {"SCHEMATHESIS_HOOKS": "fuzz_hooks", "PYTHONPATH": str(ROOT / ".ci")}
        return subprocess.run(
            command, check=False, cwd=work, env={**os.environ, **hooks}
        ).returncode
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log = (work / "server.log").read_text(errors="replace")
        if "Traceback" in log:
            print("== server log\n" + log[-6000:], file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
