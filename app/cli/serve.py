"""`kinetria serve` (the API, and beside it a background worker) and `kinetria worker`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Generator
from contextlib import contextmanager
from typing import Any

import msgspec

from app.cli.common import add_command, database, positive, wait_until_up
from app.core.config import Environment, Settings
from app.core.migrate import run_dbmate
from app.core.server import PortInUse, check_port
from app.core.server import run as run_server

log = logging.getLogger("kinetria")


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
        wait_until_up(settings, url)
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
        wait_until_up(settings, url)
        if settings.env != Environment.PRODUCTION and not settings.database_url:
            run_dbmate(url, "up", capture=True)  # the embedded database, on its own
        watch_parent()
        asyncio.run(run_worker(settings, url, queues=queues))


def add_serve_command(commands: Any) -> None:
    command = add_command(
        commands,
        "serve",
        "migrate (outside production) and serve the API",
        "Serve the API with Granian. Without DATABASE_URL, start the embedded PostgreSQL "
        "(or use the one another kinetria command runs on the same home); wait for the "
        "database (DB_STARTUP_TIMEOUT), apply pending migrations outside production, then "
        "serve until Ctrl-C or SIGTERM.",
    )
    command.add_argument(
        "--host", metavar="ADDRESS", help="address to listen on (env HOST, default 127.0.0.1)"
    )
    command.add_argument(
        "--port", type=int, metavar="N", help="port to listen on (env PORT, default 8000)"
    )
    command.add_argument(
        "--workers", type=int, metavar="N", help="worker processes (env WORKERS, default 1)"
    )
    command.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start a background worker beside the server (env SERVE_WORKER=false)",
    )


def add_worker_command(commands: Any) -> None:
    command = add_command(
        commands,
        "worker",
        "run background jobs (email, and what other modules queue)",
        "Run background jobs from the PostgreSQL queue until Ctrl-C or SIGTERM (which "
        "waits WORKER_STOP_TIMEOUT_S for running jobs, then hands them back). Run as "
        "many as you like, on any machines: they share the queue. GET /health and "
        "GET /metrics on WORKER_HOST:WORKER_PORT.",
    )
    command.add_argument(
        "--concurrency",
        type=positive,
        metavar="N",
        help="jobs run at once (env WORKER_CONCURRENCY, default 10)",
    )
    command.add_argument(
        "--queues",
        metavar="A,B",
        help="take jobs from these queues only (default: all)",
    )
