"""The application factory: nothing is built at import time."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from litestar import Litestar, Request, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.routes import HTTPRoute
from litestar.types import ControllerRouterHandler
from psycopg_pool import AsyncConnectionPool

from app import (
    api_keys,
    audit,
    auth,
    body_measurements,
    exercises,
    exports,
    health,
    imports,
    ratelimit,
    sessions,
    sets,
    stats,
    sync,
    tokens,
    users,
    webhooks,
    workouts,
)
from app.core import passwords, security
from app.core.client_address import ClientAddresses
from app.core.config import Settings, load_settings
from app.core.db import Db, keep_reconnecting, load_queries, migration_versions, open_pool
from app.core.deadline import ConnectionGate, timing_of
from app.core.ended_logins import LoginGate
from app.core.errors import exception_handlers
from app.core.lifecycle import Lifecycle, die_with_parent
from app.core.logs import configure_logging
from app.core.metrics import Metrics
from app.core.openapi import openapi_config
from app.core.request_log import with_request_context
from app.core.tracing import Tracing
from app.core.tracing import tracer_provider as tracing_provider_from
from app.core.validation import check_json_body

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


def with_complete_options(router: Router) -> Router:
    """`router` with an OPTIONS answer on each path that lists every method of the path.

    A Router adds its handlers one by one, and the OPTIONS handler a path gets is made with
    its first handler: `Allow` would list that handler's methods only (GET, OPTIONS on a path
    that also serves POST) while a 405 lists them all. Each path's route is made again here
    from its handlers at once, without the old OPTIONS handler, so both agree."""
    for index, route in enumerate(router.routes):
        if isinstance(route, HTTPRoute):
            handlers = [h for h in route.route_handlers if h.http_methods != {"OPTIONS"}]
            router.routes[index] = HTTPRoute(path=route.path, route_handlers=handlers)
    return router


METRICS_FLUSH_S = 1.0  # how often the metrics see the pool and what requests counted


def route_handlers() -> list[ControllerRouterHandler]:
    routers = [
        health.router,
        auth.router,
        users.router,
        tokens.router,
        api_keys.router,
        audit.router,
        exercises.router,
        workouts.router,
        sessions.router,
        sets.router,
        body_measurements.router,
        imports.router,
        exports.router,
        webhooks.router,
        stats.router,
        sync.router,
    ]
    return [with_complete_options(router) for router in routers]


# What browser code may send, and read, across origins: the bearer token, the conditional
# request headers and the request id; the ETag, the URL of a created resource, how long to
# wait, the rate limits and the request id.
CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Match", "X-Request-ID"]
CORS_EXPOSE_HEADERS = [
    "ETag",
    "Location",
    "Retry-After",
    "X-Request-ID",
    "RateLimit",
    "RateLimit-Policy",
]


def cors_config(settings: Settings) -> CORSConfig | None:
    """CORS for the configured origins only (none by default). A preflight needs no token."""
    if not settings.cors_origins:
        return None
    return CORSConfig(
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=CORS_ALLOW_HEADERS,
        expose_headers=CORS_EXPOSE_HEADERS,
        max_age=600,
    )


def create_app(
    settings: Settings,
    *,
    metrics: Metrics | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Litestar:
    """The app. `metrics` and `tracer_provider` are built from `settings` unless given
    (tests pass their own, e.g. a provider with an in-memory exporter)."""
    if not settings.database_url:
        raise ValueError("create_app needs settings.database_url (the CLI starts a database)")
    database_url = settings.database_url
    queries = load_queries()
    metrics = metrics or Metrics()
    tracing = Tracing(tracer_provider or tracing_provider_from(settings))
    addresses = ClientAddresses(settings.trusted_proxies, settings.trusted_proxy_header)
    limiter = ratelimit.RateLimiter(settings, addresses)
    replica_url = settings.database_replica_url
    login_gate = LoginGate(
        settings.database_listen_url or database_url,
        connect_timeout_s=settings.db_connect_timeout_s,
    )
    lifecycle = Lifecycle.from_env()
    gate = ConnectionGate(settings.pool_max_size, settings.pool_max_waiting)
    replica_gate = ConnectionGate(settings.pool_max_size, settings.pool_max_waiting)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None]:
        async with (
            open_pool(settings, database_url) as pool,
            lifecycle.watching(),
            login_gate.running(),
        ):
            app.state.pool = pool
            sampler = asyncio.create_task(sample(app.state, metrics))
            try:
                async with keep_reconnecting(app.state, settings, database_url):
                    if replica_url is None:
                        yield
                        return
                    async with open_pool(settings, replica_url, name="kinetria-replica") as replica:
                        app.state.replica_pool = replica
                        yield
            finally:
                sampler.cancel()
                metrics.flush()
                tracing.shutdown()

    @asynccontextmanager
    async def pooled(
        pool_of: Callable[[], AsyncConnectionPool[Any]],
        gate: ConnectionGate,
        request: Request[Any, Any, Any],
    ) -> AsyncGenerator[Db]:
        """A connection within what is left of the pool timeout since the request arrived."""
        timing = timing_of(request.scope)
        if timing is None:
            async with pool_of().connection() as conn:
                yield Db(conn, queries, settings.slow_query_ms, metrics)
            return
        waiting = time.perf_counter()
        try:
            await gate.acquire(timing.connection_timeout())
        except BaseException:
            timing.queued_s += time.perf_counter() - waiting
            raise
        try:
            pool = pool_of()  # the same pool takes it back, should it be replaced meanwhile
            try:
                conn = await pool.getconn(timeout=timing.connection_timeout())
            finally:
                timing.queued_s += time.perf_counter() - waiting
            try:
                yield Db(conn, queries, settings.slow_query_ms, metrics)
            finally:
                await pool.putconn(conn)
        finally:
            gate.release()

    async def provide_db(state: State, request: Request[Any, Any, Any]) -> AsyncGenerator[Db]:
        async with pooled(lambda: state.pool, gate, request) as db:
            await limiter.check(db, request)  # the route's rate limit, if it has one
            yield db

    async def provide_replica_db(
        state: State, request: Request[Any, Any, Any]
    ) -> AsyncGenerator[Db]:
        """The statistics' connection: from DATABASE_REPLICA_URL's pool when it is set (a
        read replica, which may lag the primary), else the primary's. The rate limit is
        always counted on the primary: a replica cannot write."""
        if state.replica_pool is None:
            async with pooled(lambda: state.pool, gate, request) as db:
                await limiter.check(db, request)
                yield db
            return
        await limiter.check_on_primary(
            state.pool, request, lambda conn: Db(conn, queries, settings.slow_query_ms, metrics)
        )
        async with pooled(lambda: state.replica_pool, replica_gate, request) as db:
            yield db

    handlers = [
        # every statistics route reads through provide_replica_db
        Router("/", route_handlers=[stats.router], dependencies={"db": Provide(provide_replica_db)})
        if handler is stats.router
        else handler
        for handler in route_handlers()
    ]

    app = Litestar(
        route_handlers=handlers,
        lifespan=[lifespan],
        on_startup=[passwords.on_startup],
        state=State(
            {
                "settings": settings,
                "migration_versions": migration_versions(),
                "queries": queries,
                "pool": None,
                "replica_pool": None,
                "lifecycle": lifecycle,
                "token_verifier": security.AccessTokenVerifier(settings, metrics=metrics),
                "api_key_verifier": security.ApiKeyVerifier(),
                "metrics": metrics,
                "client_addresses": addresses,
                "login_gate": login_gate,
                "rate_limiter": limiter,
            }
        ),
        dependencies={
            "db": Provide(provide_db),
            "current_user": Provide(security.provide_current_user, sync_to_thread=False),
        },
        guards=[security.require_access_token],
        # every JSON body checked strictly against its type; no router or handler may set
        # a before_request of its own (the closest one replaces this)
        before_request=check_json_body,
        before_send=[security.add_security_headers, ratelimit.add_rate_limit_fields],
        exception_handlers=exception_handlers,
        request_max_body_size=settings.max_body_bytes,
        cors_config=cors_config(settings),
        openapi_config=openapi_config(
            title="Kinetria API",
            version=health.VERSION,
            description="Plan workouts, log training sessions set by set, follow progress.",
        ),
        logging_config=None,  # ours: JSON lines, configured by the CLI
        debug=False,
    )
    app.asgi_handler = with_request_context(
        app.asgi_handler,
        settings,
        lifecycle,
        metrics=metrics,
        tracing=tracing,
        addresses=addresses,
    )
    return app


async def sample(state: State, metrics: Metrics) -> None:
    """Every METRICS_FLUSH_S while the app runs: the pool gauges (of the pool in use, which a
    reconnect may have replaced), and what requests counted."""
    while True:
        metrics.set_pool(state.pool.get_stats())
        metrics.flush()
        await asyncio.sleep(METRICS_FLUSH_S)


def app_from_env() -> Litestar:
    """Entry point for the ASGI server's workers (the CLI sets DATABASE_URL first)."""
    settings = load_settings()
    configure_logging(settings.log_level)
    die_with_parent()
    app = create_app(settings)
    app.state.metrics.worker_starts.inc()
    # What exists now (modules, routes, the app) lives as long as the process: keep it out of
    # the collector's full passes, which otherwise pause requests for tens of milliseconds.
    gc.freeze()
    return app
