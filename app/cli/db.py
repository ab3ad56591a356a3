"""`kinetria db ACTION`: database tasks, on DATABASE_URL or the embedded database."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import Any

from app.cli.common import StartupError, add_command, database, embedded_database, positive
from app.core.config import Environment, Settings
from app.core.migrate import run_dbmate

DB_ACTIONS: dict[str, str] = {
    "migrate": "apply pending migrations and rewrite db/schema.sql",
    "rollback": "roll back the latest migration and rewrite db/schema.sql",
    "status": "list applied and pending migrations",
    "url": "print the database URL and exit; the embedded database stays up until "
    "`kinetria db stop`",
    "dump": "rewrite db/schema.sql from the database",
    "seed": "fill an empty database with demo data (after pending migrations; not in production)",
    "stop": "stop the embedded database (it stays up while a kinetria process uses it)",
    "backup": "write the database to FILE (pg_dump, custom format)",
    "restore": "restore FILE into the database, which must be empty unless --clean",
    "prune": "delete sync events older than SYNC_RETENTION_DAYS and expired sync snapshots "
    "(the worker does it daily)",
}


def db_command(settings: Settings, args: argparse.Namespace) -> None:
    refuse_incomplete(settings, args)
    if args.action == "stop":
        stop_embedded(settings)
        return
    if args.action == "url":
        print_url(settings, tcp=args.tcp)
        return
    with database(settings) as url:
        match args.action:
            case "migrate":
                run_dbmate(url, "up", dump_schema=True)
            case "rollback":
                run_dbmate(url, "rollback", dump_schema=True)
            case "status":
                run_dbmate(url, "status")
            case "dump":
                run_dbmate(url, "dump", dump_schema=True)
            case "seed":
                seed(url, args)
            case "backup" | "restore":
                backup_or_restore(url, args)
            case "prune":
                prune_sync(settings, url)
            case _:
                raise AssertionError(args.action)


def refuse_incomplete(settings: Settings, args: argparse.Namespace) -> None:
    """Exit 2, before any database starts, for an action that cannot run as asked."""
    problem = None
    if args.action == "seed" and settings.env == Environment.PRODUCTION:
        problem = "db seed refuses to run in production (KINETRIA_ENV=production)"
    elif args.action == "seed" and args.users is None:
        problem = "db seed needs --users N"
    elif args.action in ("backup", "restore") and args.file is None:
        problem = f"db {args.action} needs FILE"
    if problem:
        print(f"kinetria: {problem}", file=sys.stderr)
        raise SystemExit(2)


def print_url(settings: Settings, *, tcp: bool) -> None:
    """Print the database URL and exit: the embedded database stays up for whoever uses the
    URL, until `kinetria db stop`."""
    if settings.database_url:
        print(settings.database_url)
        return
    embedded = embedded_database(settings)
    embedded.keep_running()
    try:
        if tcp and not embedded.tcp:
            raise StartupError(
                "the running embedded database listens on its socket only (started by an "
                "older version): stop it with `kinetria db stop`, then ask again"
            )
        print(embedded.tcp_url() if tcp else embedded.url, flush=True)
    finally:
        embedded.stop()


def stop_embedded(settings: Settings) -> None:
    if settings.database_url:
        print("kinetria: db stop stops the embedded database; DATABASE_URL is set", file=sys.stderr)
        raise SystemExit(2)
    embedded = embedded_database(settings)
    if embedded.stop(force=True):
        print("embedded database stopped")
    else:
        pids = ", ".join(str(pid) for pid in embedded.other_holders())
        print(
            f"embedded database left running for the kinetria processes using it ({pids}); "
            "it stops when the last of them ends"
        )


def seed(url: str, args: argparse.Namespace) -> None:
    """Apply pending migrations, then fill the (empty) database with demo data."""
    from app.seed import SeedError, SeedOptions, seed_database

    run_dbmate(url, "up", capture=True)
    options = SeedOptions(
        users=args.users, seed=args.seed, end_date=args.end_date, sets_per_user=args.sets_per_user
    )
    try:
        report = seed_database(url, options, progress=True)
    except SeedError as exc:
        print(f"kinetria: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(report.summary())


def prune_sync(settings: Settings, url: str) -> None:
    """Prune the sync feed now, as the worker's daily `sync.prune` does."""
    from app.sync.jobs import prune_now

    events, snapshots = asyncio.run(prune_now(settings, url))
    print(
        f"pruned {events} sync events older than {settings.sync_retention_days} days "
        f"and {snapshots} expired snapshots"
    )


def backup_or_restore(url: str, args: argparse.Namespace) -> None:
    from app.core.backup import BackupError, backup_database, restore_database

    try:
        if args.action == "backup":
            done = backup_database(url, args.file)
            print(
                f"backed up database {done.database} ({done.tables} tables) to {done.file} "
                f"({done.bytes} bytes)"
            )
        else:
            done = restore_database(url, args.file, clean=args.clean)
            print(f"restored {done.file} into database {done.database} ({done.tables} tables)")
    except BackupError as exc:
        print(f"kinetria: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


def add_db_command(commands: Any) -> None:
    db = add_command(
        commands,
        "db",
        "database tasks: migrate, rollback, status, url, dump, seed, stop, backup, restore",
        "Database tasks, on DATABASE_URL or the embedded database. Next to a running "
        "`kinetria serve` on the same KINETRIA_HOME they use its database and leave it "
        "running.",
    )
    actions = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, summary in DB_ACTIONS.items():
        action = add_command(actions, name, summary, summary[0].upper() + summary[1:] + ".")
        if name == "url":
            action.add_argument(
                "--tcp",
                action="store_true",
                help="the embedded database's URL over TCP on 127.0.0.1 (for GUI clients) "
                "instead of its Unix socket (default: the socket)",
            )
        if name in ("backup", "restore"):
            action.add_argument("file", nargs="?", type=Path, metavar="FILE", help="the backup")
        if name == "restore":
            action.add_argument(
                "--clean",
                action="store_true",
                help="replace the objects the backup holds in a database that is not empty",
            )
        if name == "seed":
            add_seed_options(action)


def add_seed_options(action: argparse.ArgumentParser) -> None:
    seeding = action.add_argument_group("seed", "demo data (README: Demo data)")
    seeding.add_argument("--users", type=positive, metavar="N", help="users to create (required)")
    seeding.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1)")
    seeding.add_argument(
        "--end-date",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the history ends at 00:00 UTC that day (default today)",
    )
    seeding.add_argument(
        "--sets-per-user",
        type=positive,
        default=1000,
        metavar="M",
        help="average set records per user (default 1000)",
    )
