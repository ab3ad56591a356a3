"""Prometheus metrics of one API worker, from prometheus-client.

`Metrics(...)` is built by `create_app` (nothing at import time) with a registry of its own.
When the server runs workers, `kinetria serve` sets `PROMETHEUS_MULTIPROC_DIR` before they
start: every worker then writes its values to files there, and the operator listener
(app/core/operator.py) sums them. Labels are bounded: route templates (never raw paths), SQL
file names, error codes, a few fixed words.

The request's Metrics is reachable from plain functions through `current_metrics`, so code
that counts a business event calls one line, e.g. `metrics.count_rate_limit_refusal("login")`.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# 10 ms to 10 s: the slow end, the same for requests and queries so that the two compare.
SLOW_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Resolve a 2 ms median: 0.25 ms steps up to 2 ms, then wider ones up to 10 s.
LATENCY_BUCKETS = (
    0.0005,
    0.00075,
    0.001,
    0.00125,
    0.0015,
    0.00175,
    0.002,
    0.0025,
    0.003,
    0.004,
    0.005,
    0.0075,
    *SLOW_BUCKETS,
)
QUERY_BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.00075,
    0.001,
    0.0015,
    0.002,
    0.003,
    0.005,
    *SLOW_BUCKETS,
)
UNMATCHED_ROUTE = "unmatched"  # requests that matched no route: never their raw path
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")
SESSION_EVENTS = ("started", "completed", "abandoned")
LOGIN_FAILURE_REASONS = ("wrong_password", "unknown_email", "wrong_current_password", "locked")
# the login throttle (per account) and the rate limits of app/ratelimit.py (per address or user)
RATE_LIMITS = (
    "login",
    "register",
    "refresh",
    "password_reset",
    "writes",
    "stats",
    "password_reset_email",
    "verify_email",
)


class Metrics:
    """Every metric an API worker records. In multiprocess mode the values live in files
    (one set per worker process); otherwise in this object's own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._add_http_metrics()
        self._add_pool_metrics()
        self._add_event_metrics()
        # The request path only adds to these plain Python numbers; flush() hands them to
        # prometheus-client (whose multiprocess values are a locked write to a file each)
        # once a second and at shutdown. Measured: ~20 µs less per request.
        self._requests: dict[tuple[str, str, int], _Buffer] = {}
        self._queries: dict[str, _Buffer] = {}
        self._queued = _Buffer(self.queued, LATENCY_BUCKETS)
        self.in_flight_now = 0
        self.token_hits = 0
        self.token_misses = 0

    def _live_gauge(self, name: str, documentation: str) -> Gauge:
        """A gauge summed over the live worker processes."""
        return Gauge(name, documentation, multiprocess_mode="livesum", registry=self.registry)

    def _counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        return Counter(name, documentation, labels, registry=self.registry)

    def _histogram(
        self, name: str, documentation: str, labels: Sequence[str], buckets: Sequence[float]
    ) -> Histogram:
        return Histogram(name, documentation, labels, buckets=buckets, registry=self.registry)

    def _add_http_metrics(self) -> None:
        self.request_duration = self._histogram(
            "kinetria_http_request_duration_seconds",
            "HTTP requests: time from arrival to the last byte of the response, by route "
            "template, method and status class",
            ["route", "method", "status_class"],
            LATENCY_BUCKETS,
        )
        self.in_flight = self._live_gauge(
            "kinetria_http_requests_in_flight", "HTTP requests being handled now"
        )
        self.queued = self._histogram(
            "kinetria_http_request_queue_seconds",
            "Time a request waited before its handler ran: for a trusted proxy's "
            "X-Request-Start, since the proxy saw it; then until it got a database connection",
            (),
            LATENCY_BUCKETS,
        )
        self.errors = self._counter(
            "kinetria_http_errors_total",
            "Error responses, by error_code of the error body and HTTP status",
            ["error_code", "status"],
        )

    def _add_pool_metrics(self) -> None:
        self.pool_size = self._live_gauge(
            "kinetria_db_pool_connections", "Connections the database pools hold open"
        )
        self.pool_idle = self._live_gauge(
            "kinetria_db_pool_idle_connections", "Open connections no request is using"
        )
        self.pool_in_use = self._live_gauge(
            "kinetria_db_pool_in_use_connections", "Connections lent to requests now"
        )
        self.pool_max = self._live_gauge(
            "kinetria_db_pool_max_connections",
            "The most connections the pools may open (DB_POOL_MAX_SIZE per worker)",
        )
        self.pool_waiting = self._live_gauge(
            "kinetria_db_pool_waiting_requests", "Requests waiting for a connection now"
        )
        self.pool_timeouts = self._counter(
            "kinetria_db_pool_timeouts",
            "Requests that got no connection within DB_POOL_TIMEOUT (answered 503)",
        )
        self.query_duration = self._histogram(
            "kinetria_db_query_duration_seconds",
            "SQL statements run, by their file under queries/ (without .sql)",
            ["query"],
            QUERY_BUCKETS,
        )
        self.slow_queries = self._counter(
            "kinetria_db_slow_queries",
            "Statements slower than SLOW_QUERY_MS, by SQL file",
            ["query"],
        )

    def _add_event_metrics(self) -> None:
        self.token_cache = self._counter(
            "kinetria_token_cache_lookups",
            "Access-token checks: hit (verified before), miss (signature and claims checked)",
            ["result"],
        )
        self.rate_limit_refusals = self._counter(
            "kinetria_rate_limit_refusals",
            "Requests refused with 429 by a rate limit or throttle, by limit",
            ["limit"],
        )
        self.login_failures = self._counter(
            "kinetria_login_failures", "Failed password checks, by reason", ["reason"]
        )
        self.registrations = self._counter("kinetria_registrations", "Accounts registered")
        self.training_sessions = self._counter(
            "kinetria_training_sessions",
            "Training sessions started, completed and abandoned",
            ["event"],
        )
        self.sets_logged = self._counter("kinetria_sets_logged", "Set records logged")
        self.worker_starts = self._counter("kinetria_worker_starts", "API worker processes started")
        # every fixed label value exists from the start, so a chart shows 0, not nothing
        self.token_hit = self.token_cache.labels("hit")
        self.token_miss = self.token_cache.labels("miss")
        for limit in RATE_LIMITS:
            self.rate_limit_refusals.labels(limit)
        for event in SESSION_EVENTS:
            self.training_sessions.labels(event)
        for reason in LOGIN_FAILURE_REASONS:
            self.login_failures.labels(reason)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status // 100)
        buffer = self._requests.get(key)
        if buffer is None:
            child = self.request_duration.labels(route, method, f"{status // 100}xx")
            buffer = self._requests[key] = _Buffer(child, LATENCY_BUCKETS)
        buffer.observe(seconds)

    def observe_query(self, query: str, seconds: float) -> None:
        buffer = self._queries.get(query)
        if buffer is None:
            buffer = self._queries[query] = _Buffer(
                self.query_duration.labels(query), QUERY_BUCKETS
            )
        buffer.observe(seconds)

    def observe_queued(self, seconds: float) -> None:
        self._queued.observe(seconds)

    def flush(self) -> None:
        """Hand what the request path counted to prometheus-client."""
        for buffer in (*self._requests.values(), *self._queries.values(), self._queued):
            buffer.flush()
        self.in_flight.set(self.in_flight_now)
        hits, misses = self.token_hits, self.token_misses
        self.token_hits = self.token_misses = 0
        if hits:
            self.token_hit.inc(hits)
        if misses:
            self.token_miss.inc(misses)

    def set_pool(self, stats: dict[str, int]) -> None:
        size = stats.get("pool_size", 0)
        idle = stats.get("pool_available", 0)
        self.pool_size.set(size)
        self.pool_idle.set(idle)
        self.pool_in_use.set(max(0, size - idle))
        self.pool_max.set(stats.get("pool_max", 0))
        self.pool_waiting.set(stats.get("requests_waiting", 0))


class _Buffer:
    """Observations of one histogram child not yet handed to it: per-bucket counts (the
    bucket of the first bound >= the value, as prometheus-client counts) and their sum."""

    __slots__ = ("bounds", "child", "counts", "total")

    def __init__(self, child: Any, bounds: tuple[float, ...]) -> None:
        self.child = child
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last: +Inf
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(self.bounds, seconds)] += 1
        self.total += seconds

    def flush(self) -> None:
        counts, total = self.counts, self.total
        if not any(counts):
            return
        self.counts = [0] * len(counts)
        self.total = 0.0
        # prometheus-client's own Histogram.observe does exactly this per observation
        self.child._sum.inc(total)
        for bucket, count in zip(self.child._buckets, counts, strict=True):
            if count:
                bucket.inc(count)


current_metrics: ContextVar[Metrics | None] = ContextVar("current_metrics", default=None)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


# ---- one line for the code that counts ---------------------------------------------------


def count_rate_limit_refusal(limit: str) -> None:
    """A request refused by the rate limit named `limit` (a fixed word such as "login")."""
    metrics = current_metrics.get()
    if metrics is not None:
        metrics.rate_limit_refusals.labels(limit).inc()


def count_login_failure(reason: str) -> None:
    metrics = current_metrics.get()
    if metrics is not None:
        metrics.login_failures.labels(reason).inc()


def count_registration() -> None:
    metrics = current_metrics.get()
    if metrics is not None:
        metrics.registrations.inc()


def count_training_session(event: str) -> None:
    """`event`: started, completed or abandoned."""
    metrics = current_metrics.get()
    if metrics is not None:
        metrics.training_sessions.labels(event).inc()


def count_sets_logged(count: int) -> None:
    metrics = current_metrics.get()
    if metrics is not None and count:
        metrics.sets_logged.inc(count)


def count_pool_timeout() -> None:
    metrics = current_metrics.get()
    if metrics is not None:
        metrics.pool_timeouts.inc()


def count_error(error_code: str, status: int) -> None:
    metrics = current_metrics.get()
    if metrics is not None:
        metrics.errors.labels(error_code, str(status)).inc()
