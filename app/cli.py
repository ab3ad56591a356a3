"""kinetria: serve the Kinetria API and manage its database.

Settings come from environment variables (and `.env`); see the README's configuration
table. Without DATABASE_URL, every command uses the embedded PostgreSQL under KINETRIA_HOME
(default ./.kinetria), sharing it with any other kinetria command using that home."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Generator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
import psycopg

from app.core.config import ConfigError, Environment, Settings, load_settings
from app.core.db import DatabaseUnavailable, wait_for_database
from app.core.logs import configure_logging
from app.core.migrate import run_dbmate
from app.core.server import PortInUse, check_port
from app.core.server import run as run_server

if TYPE_CHECKING:
    from app.core.embedded import EmbeddedPostgres

log = logging.getLogger("kinetria")


class StartupError(Exception):
    """A reason the command cannot start, told in one line."""


@contextmanager
def database(settings: Settings) -> Generator[str]:
    """The configured database's URL, or the embedded one's: started unless another
    kinetria process on the same home runs it; on exit, stopped only when no other process
    uses it and nobody asked to keep it running (`kinetria db url`)."""
    if settings.database_url:
        yield settings.database_url
        return
    embedded = embedded_database(settings)
    try:
        yield embedded.url
    finally:
        embedded.stop()


def embedded_database(settings: Settings) -> EmbeddedPostgres:
    from app.core.embedded import EmbeddedPostgres

    started = time.perf_counter()
    try:
        embedded = EmbeddedPostgres(settings.home)
    except (OSError, RuntimeError, subprocess.SubprocessError, psycopg.Error) as exc:
        raise StartupError(f"the embedded database did not start: {one_line(exc)}") from exc
    log.info(
        "embedded database open",
        extra={"duration_ms": round((time.perf_counter() - started) * 1000)},
    )
    return embedded


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, subprocess.CalledProcessError):
        output = (exc.stderr or exc.output or "").strip() if isinstance(exc.stderr, str) else ""
        text = f"{Path(str(exc.cmd[0])).name} failed" + (f": {output}" if output else "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(lines[:3]) if lines else type(exc).__name__


def serve(settings: Settings, args: argparse.Namespace) -> None:
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    try:
        check_port(host, port)  # before starting a database for nothing
    except PortInUse as exc:
        print(f"kinetria: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    with database(settings) as url:
        # the database may still be starting (compose, a restart): wait for it, then migrate
        try:
            asyncio.run(wait_for_database(settings, url))
        except DatabaseUnavailable as exc:
            raise StartupError(str(exc)) from None
        if settings.env != Environment.PRODUCTION:
            run_dbmate(url, "up", capture=True)
            log.info("migrations applied")
        os.environ["DATABASE_URL"] = url
        log.info("serving", extra={"host": host, "port": port, "workers": workers})
        from app.core.operator import operator_listener

        with operator_listener(settings, url), background_worker(settings, args):
            run_server("app.main:app_from_env", settings, host=host, port=port, workers=workers)
    log.info("stopped")


@contextmanager
def background_worker(settings: Settings, args: argparse.Namespace) -> Generator[None]:
    """`kinetria worker` as a child of `kinetria serve` (unless SERVE_WORKER=false or
    --no-worker): it gets SIGTERM when the server stops, and dies with it if the server
    dies (Linux: the parent-death signal; elsewhere it notices its parent is gone)."""
    if not settings.serve_worker or args.no_worker:
        yield
        return
    from app.worker.child import start_worker_child, stop_worker_child

    child = start_worker_child()
    log.info("background worker started", extra={"pid": child.pid})
    try:
        yield
    finally:
        stop_worker_child(child, timeout_s=settings.worker_stop_timeout_s + 5)


def worker(settings: Settings, args: argparse.Namespace) -> None:
    from app.worker.child import watch_parent
    from app.worker.run import run_worker

    queues = [q.strip() for q in args.queues.split(",") if q.strip()] if args.queues else None
    if args.concurrency:
        settings = msgspec.structs.replace(settings, worker_concurrency=args.concurrency)
    with database(settings) as url:
        try:
            asyncio.run(wait_for_database(settings, url))
        except DatabaseUnavailable as exc:
            raise StartupError(str(exc)) from None
        if settings.env != Environment.PRODUCTION and not settings.database_url:
            run_dbmate(url, "up", capture=True)  # the embedded database, on its own
        watch_parent()
        asyncio.run(run_worker(settings, url, queues=queues))


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


ENVIRONMENT = """environment:
  DATABASE_URL      PostgreSQL URL; unset: the embedded database under KINETRIA_HOME
  KINETRIA_HOME     where the embedded database keeps its data (default ./.kinetria)
  KINETRIA_ENV      development (default), test or production
  all settings: README, "Configuration" (also read from .env)"""

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


def parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    root = argparse.ArgumentParser(
        prog="kinetria", description=__doc__, epilog=ENVIRONMENT, formatter_class=formatter
    )
    root.add_argument("--version", action="version", version=f"kinetria {package_version()}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve_parser = commands.add_parser(
        "serve",
        help="migrate (outside production) and serve the API",
        description=_paragraph(
            "Serve the API with Granian. Without DATABASE_URL, start the embedded PostgreSQL "
            "(or use the one another kinetria command runs on the same home); wait for the "
            "database (DB_STARTUP_TIMEOUT), apply pending migrations outside production, then "
            "serve until Ctrl-C or SIGTERM."
        ),
        epilog=ENVIRONMENT,
        formatter_class=formatter,
    )
    serve_parser.add_argument(
        "--host", metavar="ADDRESS", help="address to listen on (env HOST, default 127.0.0.1)"
    )
    serve_parser.add_argument(
        "--port", type=int, metavar="N", help="port to listen on (env PORT, default 8000)"
    )
    serve_parser.add_argument(
        "--workers", type=int, metavar="N", help="worker processes (env WORKERS, default 1)"
    )
    serve_parser.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start a background worker beside the server (env SERVE_WORKER=false)",
    )
    worker_parser = commands.add_parser(
        "worker",
        help="run background jobs (email, and what other modules queue)",
        description=_paragraph(
            "Run background jobs from the PostgreSQL queue until Ctrl-C or SIGTERM (which "
            "waits WORKER_STOP_TIMEOUT_S for running jobs, then hands them back). Run as "
            "many as you like, on any machines: they share the queue. GET /health and "
            "GET /metrics on WORKER_HOST:WORKER_PORT."
        ),
        epilog=ENVIRONMENT,
        formatter_class=formatter,
    )
    worker_parser.add_argument(
        "--concurrency",
        type=_positive,
        metavar="N",
        help="jobs run at once (env WORKER_CONCURRENCY, default 10)",
    )
    worker_parser.add_argument(
        "--queues",
        metavar="A,B",
        help="take jobs from these queues only (default: all)",
    )
    db = commands.add_parser(
        "db",
        help="database tasks: migrate, rollback, status, url, dump, seed, stop, backup, restore",
        description=_paragraph(
            "Database tasks, on DATABASE_URL or the embedded database. Next to a running "
            "`kinetria serve` on the same KINETRIA_HOME they use its database and leave it "
            "running."
        ),
        epilog=ENVIRONMENT,
        formatter_class=formatter,
    )
    actions = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, summary in DB_ACTIONS.items():
        action = actions.add_parser(
            name,
            help=summary,
            description=_paragraph(summary[0].upper() + summary[1:] + "."),
            epilog=ENVIRONMENT,
            formatter_class=formatter,
        )
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
            seeding = action.add_argument_group("seed", "demo data (README: Demo data)")
            seeding.add_argument(
                "--users", type=_positive, metavar="N", help="users to create (required)"
            )
            seeding.add_argument(
                "--seed", type=int, default=1, metavar="S", help="random seed (default 1)"
            )
            seeding.add_argument(
                "--end-date",
                type=date.fromisoformat,
                metavar="YYYY-MM-DD",
                help="the history ends at 00:00 UTC that day (default today)",
            )
            seeding.add_argument(
                "--sets-per-user",
                type=_positive,
                default=1000,
                metavar="M",
                help="average set records per user (default 1000)",
            )
    return root


def _paragraph(text: str) -> str:
    return textwrap.fill(text, width=78)


def package_version() -> str:
    from importlib.metadata import version

    return version("kinetria")


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
        elif args.command == "worker":
            worker(settings, args)
        else:
            db_command(settings, args)
    except StartupError as exc:
        print(f"kinetria: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except subprocess.CalledProcessError as exc:
        print(f"kinetria: {one_line(exc)}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
