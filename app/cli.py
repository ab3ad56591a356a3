"""`kinetria serve` and `kinetria db …`."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from collections.abc import Generator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.config import ConfigError, Environment, Settings, load_settings
from app.core.logs import configure_logging
from app.core.migrate import run_dbmate

if TYPE_CHECKING:
    from granian.server.common import AbstractServer

log = logging.getLogger("kinetria")


@contextmanager
def database(settings: Settings) -> Generator[str]:
    """The configured database's URL, or a started embedded one (stopped on exit)."""
    if settings.database_url:
        yield settings.database_url
        return
    from app.core.embedded import EmbeddedPostgres

    started = time.perf_counter()
    embedded = EmbeddedPostgres(settings.home)
    log.info(
        "embedded database started",
        extra={"duration_ms": round((time.perf_counter() - started) * 1000)},
    )
    try:
        yield embedded.url
    finally:
        embedded.stop()


def serve(settings: Settings, args: argparse.Namespace) -> None:
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    with database(settings) as url:
        if settings.env != Environment.PRODUCTION:
            run_dbmate(url, "up", capture=True)
            log.info("migrations applied")
        os.environ["DATABASE_URL"] = url
        log.info("serving", extra={"host": host, "port": port, "workers": workers})
        from app.core.operator import operator_listener

        with operator_listener(settings, url):  # /metrics, /health/detail; before workers
            http_server(
                "app.main:app_from_env", settings, host=host, port=port, workers=workers
            ).serve()
    log.info("stopped")


def http_server(
    target: str, settings: Settings, *, host: str, port: int, workers: int
) -> AbstractServer[Any]:
    """The HTTP server for an ASGI app factory named `module:function` (the benchmark's
    floors run on it too, so they compare like with like)."""
    from granian import Granian
    from granian.constants import Interfaces, Loops

    return Granian(
        target,
        factory=True,
        address=host,
        port=port,
        workers=workers,
        interface=Interfaces.ASGI,
        loop=Loops.uvloop,
        # a worker takes as many requests at once as it has connections; the rest wait in
        # the server's queue, which is far cheaper than the pool's (measured: +25% req/s)
        backpressure=settings.pool_max_size,
        log_dictconfig=_granian_logging(settings.log_level),
    )


def _granian_logging(level: str) -> dict[str, object]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.core.logs.JsonFormatter"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "_granian": {"handlers": ["console"], "level": level, "propagate": False},
            "granian.access": {"handlers": ["console"], "level": level, "propagate": False},
            "psycopg.pool": {"level": "ERROR"},
        },
    }


def db_command(settings: Settings, args: argparse.Namespace) -> None:
    if args.action == "seed":
        problem = None
        if settings.env == Environment.PRODUCTION:
            problem = "db seed refuses to run in production (KINETRIA_ENV=production)"
        elif args.users is None:
            problem = "db seed needs --users N"
        if problem:
            print(f"kinetria: {problem}", file=sys.stderr)
            raise SystemExit(2)
    if args.action in ("backup", "restore") and args.file is None:
        print(f"kinetria: db {args.action} needs FILE", file=sys.stderr)
        raise SystemExit(2)
    with database(settings) as url:
        match args.action:
            case "url":
                print(url)
                if not settings.database_url:
                    input("embedded database running; press Enter to stop it: ")
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
            case _:
                raise AssertionError(args.action)


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


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="kinetria", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="migrate and serve the API")
    serve_parser.add_argument("--host")
    serve_parser.add_argument("--port", type=int)
    serve_parser.add_argument("--workers", type=int)
    db = commands.add_parser("db", help="database tasks")
    db.add_argument(
        "action",
        choices=["migrate", "rollback", "status", "url", "dump", "seed", "backup", "restore"],
    )
    db.add_argument(
        "file", nargs="?", type=Path, help="the backup file of `db backup` and `db restore`"
    )
    db.add_argument(
        "--clean",
        action="store_true",
        help="db restore: replace the objects the backup holds in a database that is not empty",
    )
    seeding = db.add_argument_group("seed", "options of `db seed` (demo data, README: Demo data)")
    seeding.add_argument("--users", type=_positive, help="users to create")
    seeding.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    seeding.add_argument(
        "--end-date",
        type=date.fromisoformat,
        help="YYYY-MM-DD: the history ends at 00:00 UTC that day (default today)",
    )
    seeding.add_argument(
        "--sets-per-user",
        type=_positive,
        default=1000,
        help="average set records per user (default 1000)",
    )
    return root


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"kinetria: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level)
    try:
        if args.command == "serve":
            serve(settings, args)
        else:
            db_command(settings, args)
    except subprocess.CalledProcessError as exc:
        print(f"kinetria: {exc.cmd[0]} failed: {exc.stderr or ''}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
