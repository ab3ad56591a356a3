"""Every shell block of the README runs as written, in order, with bash: on a fresh start
(a new KINETRIA_HOME, nothing running) and then a second time in a row on what the first
run left. `uv run kinetria serve` runs in the background, as a reader leaves it running in
another terminal. A block not meant to run carries, on the line before it, the marker
`<!-- readme-test: skip (reason) -->`; the set is small and each has its reason.

The blocks run in a network namespace of their own (`unshare --net`), so the README's
`127.0.0.1:8000` is theirs whatever else runs on the machine; curl is given `--fail-with-body`
so an HTTP error fails the run, and bash runs with `-euo pipefail`, so a variable that is
never set or a command that fails does too."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"(?:^(<!-- readme-test: .*? -->)\n)?^```(?:sh|bash)\n(.*?)^```$", re.M | re.S)
MARKER = re.compile(r"<!-- readme-test: (skip|serve) \((.+)\) -->")
SERVER = "http://127.0.0.1:8000"  # where the README says `serve` listens
# the ninth: client generation (tests/test_generated_clients.py); the tenth: a worker that
# runs until stopped (tests/test_worker.py starts one)
SKIPPED_AT_MOST = 10


def readme_blocks() -> list[tuple[str, str]]:
    """(kind, text) of each shell block: "run", "serve" or "skip"."""
    blocks: list[tuple[str, str]] = []
    for match in BLOCK.finditer(README.read_text()):
        marker, text = match.group(1), match.group(2)
        if marker is None:
            blocks.append(("run", text))
            continue
        parsed = MARKER.fullmatch(marker)
        assert parsed, f"unknown README marker {marker}"
        blocks.append((parsed.group(1), text))
    return blocks


def script(blocks: list[tuple[str, str]]) -> str:
    lines = [
        "set -euo pipefail",
        'curl() { command curl --fail-with-body --show-error "$@"; echo; }',
        "ip link set lo up",
        "SERVE_PID=",
        'trap \'[ -n "$SERVE_PID" ] && kill -TERM "$SERVE_PID" 2>/dev/null; true\' EXIT',
    ]
    for kind, text in blocks:
        if kind == "skip":
            continue
        if kind == "serve":
            [command] = [line for line in text.splitlines() if line.strip()]
            command = command.split("#", 1)[0].strip()
            lines += [
                f'{command} >"$SERVE_LOG" 2>&1 &',
                "SERVE_PID=$!",
                "for _ in $(seq 600); do",
                f"  command curl -sf -o /dev/null {SERVER}/health && break",
                '  kill -0 "$SERVE_PID" || { cat "$SERVE_LOG"; exit 1; }',
                "  sleep 0.1",
                "done",
            ]
            continue
        lines.append(text)
    lines += [
        'kill -TERM "$SERVE_PID"',
        'wait "$SERVE_PID"',  # `set -e`: a non-zero exit of the server fails the run
        "SERVE_PID=",
    ]
    return "\n".join(lines) + "\n"


def test_the_markers_are_few_and_every_block_is_accounted_for() -> None:
    blocks = readme_blocks()
    kinds = [kind for kind, _ in blocks]
    assert kinds.count("serve") == 1
    assert kinds.count("skip") <= SKIPPED_AT_MOST
    assert kinds.count("run") >= 4
    assert len(blocks) == README.read_text().count("```sh\n") + README.read_text().count(
        "```bash\n"
    )


@pytest.mark.xdist_group("db_schema_file")  # rewrites or reads db/schema.sql: one process
def test_every_readme_block_runs_as_written_twice_in_a_row(tmp_path: Path, pg_home: Path) -> None:
    for tool in ("curl", "jq", "uv", "ip", "unshare"):
        assert shutil.which(tool), f"{tool} is needed to run the README"
    path = tmp_path / "readme.sh"
    path.write_text(script(readme_blocks()))
    home = pg_home
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "DATABASE_LISTEN_URL",
            "KINETRIA_ENV",
            "VIRTUAL_ENV",
            "SERVE_WORKER",
            # the README's commands use the documented ports (9464, 9465), not the ones a
            # parallel run gives each of its worker processes
            "METRICS_PORT",
            "WORKER_PORT",
        }
    }
    env |= {"KINETRIA_HOME": str(home), "UV_OFFLINE": "1", "PORT": "8000", "HOST": "127.0.0.1"}
    # the blocks register several accounts and run twice within a minute: more registrations
    # from one address than the default RATE_LIMIT_REGISTER (5/60) lets through
    env["RATE_LIMIT_REGISTER"] = "50/60"
    schema = (ROOT / "db" / "schema.sql").read_bytes()
    try:
        for run in (1, 2):
            env["SERVE_LOG"] = str(tmp_path / f"serve-{run}.log")
            result = subprocess.run(
                ["unshare", "--net", "--", "bash", str(path)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            log = Path(env["SERVE_LOG"]).read_text() if Path(env["SERVE_LOG"]).exists() else ""
            assert result.returncode == 0, (
                f"run {run} failed\n--- stdout\n{result.stdout[-4000:]}\n"
                f"--- stderr\n{result.stderr[-4000:]}\n--- server\n{log[-3000:]}"
            )
            # the blocks really ran: a migration status, a finished session, stats, logins
            for text in ("Applied: ", '"status":"completed"', '"buckets":', '"current":true'):
                assert text in result.stdout, f"run {run}: no {text} in the output"
            # what the README says happens: the last command using the database stopped it
            assert not (home / "pgdata" / "postmaster.pid").exists(), f"run {run}: db still up"
            assert (ROOT / "db" / "schema.sql").read_bytes() == schema  # rewritten, unchanged
    finally:
        (ROOT / "db" / "schema.sql").write_bytes(schema)
        if (home / "pgdata" / "postmaster.pid").exists():  # a failed run: stop what it left
            subprocess.run(
                [sys.executable, "-m", "app.cli", "db", "stop"], env=env, timeout=60, check=False
            )
