"""The operator listener: `/metrics` and `/health/detail` on a port of their own.

`kinetria serve` starts it in the server's main process, on `METRICS_HOST:METRICS_PORT`
(default 127.0.0.1:9464), apart from the API's port, so API clients never reach it unless an
operator opens it. The API workers write their metrics to files in `PROMETHEUS_MULTIPROC_DIR`
(a fresh temporary directory unless set; emptied at start); each scrape sums every worker's
files (prometheus-client's multiprocess mode), forgets the live gauges of workers that have
exited, and adds what only the main process knows: build info, each worker's CPU and memory,
worker restarts, and a database probe (reachable, latency, migrations applied, ready).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Generator, Iterable
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import msgspec
import psycopg
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, values
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.process_collector import ProcessCollector

from app.core.build import STARTED_AT, build_info
from app.core.config import Environment, Settings
from app.core.db import connection_kwargs, load_queries, migration_versions
from app.core.metrics import MULTIPROC_ENV

log = logging.getLogger("kinetria.operator")

_PID_FILE = re.compile(r"_(\d+)\.db$")
PROBE_TIMEOUT_S = 2.0
PROBE_CACHE_S = 0.5  # a scrape and a health check close together share one probe
POOL_METRICS = {
    "kinetria_db_pool_connections": "connections",
    "kinetria_db_pool_idle_connections": "idle",
    "kinetria_db_pool_in_use_connections": "in_use",
    "kinetria_db_pool_waiting_requests": "waiting",
    "kinetria_db_pool_max_connections": "max",
    "kinetria_db_pool_timeouts": "timeouts",
}


class Probe(msgspec.Struct):
    status: str  # ok, migrations_pending, unavailable
    latency_ms: float | None
    schema_version: str | None
    applied_migrations: int
    shipped_migrations: int
    pending_migrations: list[str]


class DatabaseProbe:
    """One connection of its own (not the workers' pools), reopened when it breaks."""

    def __init__(self, settings: Settings, url: str) -> None:
        self._url = url
        self._kwargs: dict[str, Any] = {
            **connection_kwargs(settings),
            "connect_timeout": round(PROBE_TIMEOUT_S),
        }
        self._kwargs["application_name"] = "kinetria-operator"
        self._kwargs.pop("prepare_threshold", None)
        self._sql = load_queries()["health/applied_migrations"].sql
        self._shipped = migration_versions()
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()
        self._last: tuple[float, Probe] | None = None

    def check(self) -> Probe:
        with self._lock:
            now = time.monotonic()
            if self._last is not None and now - self._last[0] < PROBE_CACHE_S:
                return self._last[1]
            probe = self._check()
            self._last = (time.monotonic(), probe)
            return probe

    def _check(self) -> Probe:
        started = time.perf_counter()
        try:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.Connection.connect(self._url, **self._kwargs)
            row = self._conn.execute(self._sql).fetchone()
            applied: set[str] = set(row[0] if row else [])
        except psycopg.Error as exc:
            log.warning("database probe failed", extra={"reason": type(exc).__name__})
            with contextlib.suppress(Exception):
                if self._conn is not None:
                    self._conn.close()
            self._conn = None
            return Probe("unavailable", None, None, 0, len(self._shipped), [])
        latency_ms = round((time.perf_counter() - started) * 1000, 2)
        pending = [v for v in self._shipped if v not in applied]
        return Probe(
            "migrations_pending" if pending else "ok",
            latency_ms,
            max(applied) if applied else None,
            len(applied),
            len(self._shipped),
            pending,
        )

    def close(self) -> None:
        with self._lock, contextlib.suppress(Exception):
            if self._conn is not None:
                self._conn.close()


class WorkerProcess(msgspec.Struct):
    pid: int
    cpu_seconds: float
    resident_memory_bytes: int
    started_at: float


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _boot_time() -> float:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        pass
    return 0.0


def read_process(pid: int, boot_time: float) -> WorkerProcess | None:
    """CPU time, resident memory and start time of `pid` from /proc (Linux), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "; fields[0] is field 3
    cpu = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    started = boot_time + int(fields[19]) / _CLOCK_TICKS
    return WorkerProcess(pid, cpu, int(fields[21]) * _PAGE_SIZE, started)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class OperatorCollector:
    """Everything `/metrics` serves (besides the main process's own process_* metrics)."""

    def __init__(self, directory: str, probe: DatabaseProbe) -> None:
        self.directory = directory
        self.probe = probe
        self._files = MultiProcessCollector(None, directory)
        self._dead: set[int] = set()
        self._boot_time = _boot_time()
        self._lock = threading.Lock()

    def workers(self) -> list[int]:
        """Live worker pids (those with metric files); exited ones are marked dead."""
        pids = {
            int(match.group(1))
            for name in os.listdir(self.directory)
            if (match := _PID_FILE.search(name))
        }
        live: list[int] = []
        with self._lock:
            for pid in sorted(pids):
                if pid in self._dead:
                    continue
                if _alive(pid):
                    live.append(pid)
                else:
                    mark_process_dead(pid, self.directory)
                    self._dead.add(pid)
                    log.warning("worker exited", extra={"pid": pid})
        return live

    @property
    def restarts(self) -> int:
        return len(self._dead)

    def worker_processes(self) -> list[WorkerProcess]:
        found = (read_process(pid, self._boot_time) for pid in self.workers())
        return [worker for worker in found if worker is not None]

    def collect(self) -> Iterable[Metric]:
        workers = self.worker_processes()
        yield from self._files.collect()
        build = build_info()
        info = GaugeMetricFamily(
            "kinetria_build_info", "The running build: always 1", labels=["version", "revision"]
        )
        info.add_metric([build.version, build.revision], 1)
        yield info
        yield GaugeMetricFamily("kinetria_workers", "API worker processes running", len(workers))
        yield CounterMetricFamily(
            "kinetria_worker_restarts",
            "API workers that exited while the server kept running",
            self.restarts,
        )
        cpu = CounterMetricFamily(
            "kinetria_worker_cpu_seconds", "CPU time of each API worker", labels=["pid"]
        )
        memory = GaugeMetricFamily(
            "kinetria_worker_resident_memory_bytes",
            "Resident memory of each API worker",
            labels=["pid"],
        )
        started = GaugeMetricFamily(
            "kinetria_worker_start_time_seconds",
            "When each API worker started (Unix time)",
            labels=["pid"],
        )
        for worker in workers:
            cpu.add_metric([str(worker.pid)], worker.cpu_seconds)
            memory.add_metric([str(worker.pid)], worker.resident_memory_bytes)
            started.add_metric([str(worker.pid)], worker.started_at)
        yield from (cpu, memory, started)
        probe = self.probe.check()
        yield GaugeMetricFamily(
            "kinetria_database_up",
            "1 when the database answered the probe",
            1 if probe.status != "unavailable" else 0,
        )
        latency = GaugeMetricFamily(
            "kinetria_database_probe_seconds", "How long the database probe's query took"
        )
        if probe.latency_ms is not None:
            latency.add_metric([], probe.latency_ms / 1000)
        yield latency
        yield GaugeMetricFamily(
            "kinetria_migrations_pending",
            "Migrations this build ships that the database has not applied",
            len(probe.pending_migrations),
        )
        yield GaugeMetricFamily(
            "kinetria_ready",
            "1 when ready to serve: database reachable and every shipped migration applied",
            1 if probe.status == "ok" else 0,
        )

    def pool_figures(self) -> dict[str, float]:
        figures = dict.fromkeys(POOL_METRICS.values(), 0.0)
        for metric in self._files.collect():
            if metric.name in POOL_METRICS:
                key = POOL_METRICS[metric.name]
                figures[key] = sum(
                    s.value for s in metric.samples if not s.name.endswith("_created")
                )
        return figures

    def detail(self) -> dict[str, Any]:
        probe = self.probe.check()
        build = build_info()
        workers = self.worker_processes()
        return {
            "status": "ok" if probe.status == "ok" else "unavailable",
            "service": "kinetria",
            "version": build.version,
            "revision": build.revision,
            "uptime_s": round(time.time() - STARTED_AT, 1),
            "database": msgspec.to_builtins(probe),
            "pool": self.pool_figures(),
            "workers": msgspec.to_builtins(workers),
            "worker_restarts": self.restarts,
        }


def operator_registry(collector: OperatorCollector) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(collector)  # pyright: ignore[reportArgumentType]
    ProcessCollector(registry=registry)  # the main process's own process_* metrics
    return registry


def _handler(
    collector: OperatorCollector, registry: CollectorRegistry
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._answer(200, CONTENT_TYPE_LATEST, generate_latest(registry))
            elif path == "/health/detail":
                detail = collector.detail()
                status = 200 if detail["status"] == "ok" else 503
                self._answer(status, "application/json", msgspec.json.encode(detail))
            else:
                body = {
                    "status_code": 404,
                    "error_code": "not_found",
                    "message": "Only /metrics and /health/detail are served here",
                    "request_id": "",
                }
                self._answer(404, "application/json", msgspec.json.encode(body))

        def _answer(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # scrapes every few seconds would drown the log

    return Handler


def prepare_multiprocess_dir() -> tuple[str, bool]:
    """`PROMETHEUS_MULTIPROC_DIR` emptied, or a new temporary one (set in the environment,
    so the workers inherit it): (path, whether we created it)."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        _use_multiprocess_values()
        return str(path), False
    path = tempfile.mkdtemp(prefix="kinetria-metrics-")
    os.environ[MULTIPROC_ENV] = path
    _use_multiprocess_values()
    return path, True


def _use_multiprocess_values() -> None:
    """prometheus-client picks how values are stored when it is first imported; workers
    forked from this process inherit that choice, so make it again now that the directory
    is set."""
    values.ValueClass = values.get_value_class()


@contextmanager
def operator_listener(settings: Settings, database_url: str) -> Generator[str | None]:
    """Serve `/metrics` and `/health/detail` while the block runs: the base URL, or None
    when METRICS_PORT is 0 (or, outside production, when the port is taken)."""
    if settings.metrics_port == 0:
        yield None
        return
    directory, created = prepare_multiprocess_dir()
    probe = DatabaseProbe(settings, database_url)
    collector = OperatorCollector(directory, probe)
    registry = operator_registry(collector)
    try:
        server = ThreadingHTTPServer(
            (settings.metrics_host, settings.metrics_port), _handler(collector, registry)
        )
    except OSError as exc:
        message = f"metrics listener {settings.metrics_host}:{settings.metrics_port}: {exc}"
        if settings.env == Environment.PRODUCTION:
            raise SystemExit(f"kinetria: {message}") from None
        log.warning("metrics listener not started", extra={"reason": message})
        server = None
    thread = None
    if server is not None:
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
        thread.start()
        host, port = server.server_address[:2]
        log.info("metrics listener", extra={"host": host, "port": port})
    try:
        yield None if server is None else f"http://{settings.metrics_host}:{settings.metrics_port}"
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        probe.close()
        if created:
            shutil.rmtree(directory, ignore_errors=True)
            os.environ.pop(MULTIPROC_ENV, None)
            _use_multiprocess_values()
