"""Running the worker: `kinetria worker`, or the child process `kinetria serve` starts.

A worker is a copy of `app.worker.app` bound to a pool of its own. It takes jobs from every
queue (LISTEN/NOTIFY wakes it when a job is committed; it also polls), runs up to
WORKER_CONCURRENCY at once, and sends a heartbeat every third of WORKER_STALLED_AFTER_S.
Any number of workers, on any number of machines, share the queue: PostgreSQL hands each
job to one of them (`FOR UPDATE SKIP LOCKED` in procrastinate's fetch).

SIGTERM (or Ctrl-C) stops taking jobs and waits up to WORKER_STOP_TIMEOUT_S for the running
ones; those still running then are aborted and handed back to the queue (retried by any
worker). A worker killed outright leaves its jobs `doing` with a heartbeat that stops: the
periodic `worker.retry_stalled_jobs` of the remaining (or next) workers hands them back.

Next to the jobs it serves `GET /health` and `GET /metrics` on WORKER_HOST:WORKER_PORT
(0: none).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import Any

import msgspec
import procrastinate
from procrastinate import JobContext
from procrastinate.exceptions import JobAborted
from procrastinate.worker import Worker
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from app.core.build import build_info
from app.core.config import Environment, Settings
from app.core.db import connection_kwargs
from app.webhooks.metrics import WebhookMetrics
from app.worker import app

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

log = logging.getLogger("kinetria.worker")

JOB_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
JOB_OUTCOMES = ("succeeded", "error", "aborted")
QUEUE_STATUSES = ("todo", "doing", "failed")
_QUEUE_DEPTH = (
    "SELECT queue_name, status::text AS status, count(*) AS jobs FROM procrastinate_jobs "
    "WHERE status IN ('todo', 'doing', 'failed') GROUP BY queue_name, status"
)


class WorkerMetrics:
    """The worker's metrics, in a registry of its own (one process, no multiprocess files).
    Labels are bounded: task names and queue names are ours, outcomes a fixed set."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        info = build_info()
        self._gauge(
            "kinetria_worker_build_info",
            "The worker's build: always 1, labelled by version and revision",
            ["version", "revision"],
        ).labels(info.version, info.revision).set(1)
        self.jobs = Counter(
            "kinetria_worker_jobs",
            "Jobs this worker ran, by task and outcome (error: retried or failed; aborted: "
            "handed back at a stop)",
            ["task", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "kinetria_worker_job_duration_seconds",
            "How long each job ran, by task",
            ["task"],
            buckets=JOB_BUCKETS,
            registry=self.registry,
        )
        self.running = self._gauge(
            "kinetria_worker_jobs_running", "Jobs running on this worker now"
        )
        self.queue_jobs = self._gauge(
            "kinetria_worker_queue_jobs",
            "Jobs in the shared queue at the scrape, by queue and status (every worker "
            "reports the same figures)",
            ["queue", "status"],
        )
        self.up = self._gauge(
            "kinetria_worker_up", "1 while the worker takes jobs, 0 while it stops"
        )
        # what the jobs count themselves, on the same registry (jobs reach it through their
        # context: `context.additional_context["metrics"]`)
        self.webhooks = WebhookMetrics(self.registry)

    def _gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        return Gauge(name, documentation, labels, registry=self.registry)

    async def middleware(
        self, call_next: Callable[[], Awaitable[Any]], context: JobContext, worker: Worker
    ) -> Any:
        task = context.job.task_name
        started = time.perf_counter()
        self.running.inc()
        outcome = "error"
        try:
            result = await call_next()
            outcome = "succeeded"
            return result
        except JobAborted:
            outcome = "aborted"
            raise
        except asyncio.CancelledError:
            outcome = "aborted"
            raise
        finally:
            self.running.dec()
            self.jobs.labels(task, outcome).inc()
            self.duration.labels(task).observe(time.perf_counter() - started)

    async def refresh_queue(self, worker_app: procrastinate.App) -> None:
        connector = worker_app.connector
        assert isinstance(connector, procrastinate.PsycopgConnector)
        rows = await connector.execute_query_all_async(_QUEUE_DEPTH)
        self.queue_jobs.clear()
        for row in rows:
            self.queue_jobs.labels(row["queue_name"], row["status"]).set(row["jobs"])


class RedactJobArguments(logging.Filter):
    """procrastinate logs each job's call with its arguments (`mail.send[12](to=...,
    values=...)`): arguments may be addresses or links with tokens, so its lines keep the
    task name and the job id only."""

    _CALL = re.compile(r"([\w.:]+\[\d+\])\(.*\)", re.DOTALL)

    @staticmethod
    def _kept(job: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in job.items() if k not in ("task_kwargs", "call_string")}

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self._CALL.sub(r"\1(...)", record.msg)
        job = getattr(record, "job", None)
        if isinstance(job, dict):
            record.job = self._kept(job)  # pyright: ignore[reportUnknownArgumentType]
        jobs = getattr(record, "jobs", None)  # "About to defer 1 job", "Deferred 1 job"
        if isinstance(jobs, list):
            record.jobs = [self._kept(j) if isinstance(j, dict) else j for j in jobs]  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
        for key in ("result", "task_kwargs"):
            if hasattr(record, key):
                delattr(record, key)
        return True


def quiet_procrastinate_logs() -> None:
    redact = RedactJobArguments()
    for name in (
        "procrastinate.worker",
        "procrastinate.worker.kinetria-worker",
        "procrastinate.jobs",
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactJobArguments) for f in logger.filters):
            logger.addFilter(redact)


class Health(msgspec.Struct):
    status: str  # ok, stopping
    service: str
    version: str
    jobs_running: int


async def serve_health(
    settings: Settings, metrics: WorkerMetrics, worker_app: procrastinate.App, state: dict[str, Any]
) -> asyncio.Server | None:
    """A small HTTP/1.1 listener: GET /health (no database call) and GET /metrics."""
    if settings.worker_port == 0:
        return None

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _serve_one(reader, writer, metrics, worker_app, state)

    try:
        server = await asyncio.start_server(handle, settings.worker_host, settings.worker_port)
    except OSError as exc:
        message = f"worker listener {settings.worker_host}:{settings.worker_port}: {exc}"
        if settings.env == Environment.PRODUCTION:
            raise SystemExit(f"kinetria: {message}") from None
        log.warning("worker health listener not started", extra={"reason": message})
        return None
    host, port = server.sockets[0].getsockname()[:2]
    log.info("worker health listener", extra={"host": host, "port": port})
    return server


_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


async def _serve_one(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    metrics: WorkerMetrics,
    worker_app: procrastinate.App,
    state: dict[str, Any],
) -> None:
    """One request on one connection, then the connection is closed."""
    try:
        request_line = await asyncio.wait_for(reader.readline(), timeout=5)
        while (await asyncio.wait_for(reader.readline(), timeout=5)) not in (
            b"\r\n",
            b"\n",
            b"",
        ):
            pass
        parts = request_line.decode("latin-1").split()
        path = parts[1].split("?", 1)[0] if len(parts) >= 2 else ""
        method = parts[0] if parts else ""
        status, ctype, body = await _answer(method, path, metrics, worker_app, state)
        writer.write(
            f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
    except (TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


async def _answer(
    method: str,
    path: str,
    metrics: WorkerMetrics,
    worker_app: procrastinate.App,
    state: dict[str, Any],
) -> tuple[int, str, bytes]:
    """The status, content type and body for `method path`."""
    if method != "GET":
        return 405, "application/json", _error(405, "method_not_allowed")
    if path == "/health":
        health = Health(
            status="ok" if state["running"] else "stopping",
            service="kinetria-worker",
            version=build_info().version,
            jobs_running=int(metrics.running._value.get()),  # pyright: ignore[reportPrivateUsage]
        )
        return 200 if state["running"] else 503, "application/json", msgspec.json.encode(health)
    if path == "/metrics":
        with contextlib.suppress(Exception):  # the queue figures are best effort
            await asyncio.wait_for(metrics.refresh_queue(worker_app), timeout=2)
        return 200, CONTENT_TYPE_LATEST, generate_latest(metrics.registry)
    return 404, "application/json", _error(404, "not_found")


def _error(status: int, code: str) -> bytes:
    message = "Only GET /health and GET /metrics are served here"
    return msgspec.json.encode(
        {"status_code": status, "error_code": code, "message": message, "request_id": ""}
    )


@contextlib.asynccontextmanager
async def worker_app_for(settings: Settings, url: str) -> AsyncGenerator[procrastinate.App]:
    """`app.worker.app` bound to a pool of its own on `url`, open while the block runs."""
    # procrastinate sets autocommit itself (its LISTEN connection passes it too)
    kwargs = {**connection_kwargs(settings), "application_name": "kinetria-worker"}
    kwargs.pop("autocommit", None)
    connector = procrastinate.PsycopgConnector(
        conninfo=url,
        kwargs=kwargs,
        min_size=1,
        max_size=settings.worker_concurrency + 2,
        timeout=settings.pool_timeout_s,
    )
    # the tasks (and the periodic deferrer) reach their App through the tasks themselves, so
    # the App's connector is swapped for the worker's run, not copied
    with app.replace_connector(connector) as worker_app:
        async with worker_app.open_async():
            yield worker_app


async def run_worker(
    settings: Settings,
    url: str,
    *,
    queues: list[str] | None = None,
    install_signal_handlers: bool = True,
    ready: asyncio.Event | None = None,
) -> None:
    """Run jobs until SIGTERM/SIGINT (or until cancelled): see the module's docstring."""
    quiet_procrastinate_logs()
    if settings.env == Environment.PRODUCTION and not settings.smtp_url:
        log.warning("SMTP_URL is not set: email jobs wait (and retry) until it is")
    metrics = WorkerMetrics()
    state: dict[str, Any] = {"running": False}
    # a SIGTERM or SIGINT before procrastinate installs its own handlers (while the pool
    # opens, or just after /health first answers) stops the worker before it takes a job
    stop_requested = threading.Event()
    loop, task = asyncio.get_running_loop(), asyncio.current_task()

    def request_stop(signum: int, frame: object) -> None:
        stop_requested.set()
        if task is not None:
            loop.call_soon_threadsafe(task.cancel)

    previous = (
        {sig: signal.signal(sig, request_stop) for sig in STOP_SIGNALS}
        if install_signal_handlers
        else {}
    )
    try:
        await run_until_stopped(
            settings, url, metrics, state, queues, install_signal_handlers, ready, stop_requested
        )
    except asyncio.CancelledError:
        if not stop_requested.is_set():
            raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("worker stopped")


async def run_until_stopped(
    settings: Settings,
    url: str,
    metrics: WorkerMetrics,
    state: dict[str, Any],
    queues: list[str] | None,
    install_signal_handlers: bool,
    ready: asyncio.Event | None,
    stop_requested: threading.Event,
) -> None:
    async with worker_app_for(settings, url) as worker_app:
        worker_app.perform_import_paths()
        server = await serve_health(settings, metrics, worker_app, state)
        state["running"] = True
        metrics.up.set(1)
        if ready is not None:
            ready.set()
        log.info(
            "worker started",
            extra={"concurrency": settings.worker_concurrency, "queues": queues or "all"},
        )
        options: dict[str, Any] = {} if queues is None else {"queues": queues}
        try:
            if stop_requested.is_set():
                return
            await worker_app.run_worker_async(
                **options,
                name="kinetria-worker",
                concurrency=settings.worker_concurrency,
                wait=True,
                delete_jobs="successful",  # arguments (addresses, links) do not stay
                additional_context={"settings": settings, "metrics": metrics},
                install_signal_handlers=install_signal_handlers,
                shutdown_graceful_timeout=settings.worker_stop_timeout_s,
                # besides the NOTIFY of a new job, look for due jobs this often: a missed
                # notification or a scheduled retry waits at most this long (default 5 s)
                fetch_job_polling_interval=0.5,
                update_heartbeat_interval=max(1.0, settings.worker_stalled_after_s / 3),
                stalled_worker_timeout=settings.worker_stalled_after_s,
                worker_middleware=[metrics.middleware],
            )
        finally:
            state["running"] = False
            metrics.up.set(0)
            if server is not None:
                server.close()
                await server.wait_closed()
