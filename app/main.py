"""The application factory: nothing is built at import time."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from litestar import Litestar, Request, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.routes import HTTPRoute
from litestar.types import ControllerRouterHandler
from psycopg import AsyncConnection
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
from app.core.db import (
    Db,
    Queries,
    keep_reconnecting,
    load_queries,
    migration_versions,
    open_pool,
)
from app.core.deadline import ConnectionGate, timing_of
from app.core.ended_logins import LoginGate
from app.core.errors import exception_handlers
from app.core.lifecycle import Lifecycle, die_with_parent
from app.core.logs import configure_logging
from app.core.metrics import Metrics
from app.core.openapi import openapi_config
from app.core.request_log import RequestLayer
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


def route_handlers(provide_replica_db: Provide) -> list[ControllerRouterHandler]:
    """Every router; the statistics routes read through `provide_replica_db`."""
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
    complete = [with_complete_options(router) for router in routers]
    return [
        Router("/", route_handlers=[router], dependencies={"db": provide_replica_db})
        if router is stats.router
        else router
        for router in complete
    ]


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


class Connections:
    """How a request gets its Db: a pooled connection within what is left of its pool timeout
    (counted from its arrival), past its route's rate limit."""

    __slots__ = ("gate", "limiter", "metrics", "queries", "replica_gate", "slow_query_ms")

    def __init__(
        self,
        settings: Settings,
        queries: Queries,
        metrics: Metrics,
        limiter: ratelimit.RateLimiter,
    ) -> None:
        self.queries = queries
        self.slow_query_ms = settings.slow_query_ms
        self.metrics = metrics
        self.limiter = limiter
        self.gate = ConnectionGate(settings.pool_max_size, settings.pool_max_waiting)
        self.replica_gate = ConnectionGate(settings.pool_max_size, settings.pool_max_waiting)

    def db(self, conn: AsyncConnection[Any]) -> Db:
        return Db(conn, self.queries, self.slow_query_ms, self.metrics)

    @asynccontextmanager
    async def pooled(
        self,
        pool_of: Callable[[], AsyncConnectionPool[Any]],
        gate: ConnectionGate,
        request: Request[Any, Any, Any],
    ) -> AsyncGenerator[Db]:
        """A connection within what is left of the pool timeout since the request arrived."""
        timing = timing_of(request.scope)
        if timing is None:
            async with pool_of().connection() as conn:
                yield self.db(conn)
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
                yield self.db(conn)
            finally:
                await pool.putconn(conn)
        finally:
            gate.release()

    def providers(self) -> tuple[Provide, Provide]:
        """The `db` dependency of every route, and the one of the statistics routes: from
        DATABASE_REPLICA_URL's pool when it is set (a read replica, which may lag the
        primary), else the primary's. The rate limit is always counted on the primary: a
        replica cannot write."""

        async def provide_db(state: State, request: Request[Any, Any, Any]) -> AsyncGenerator[Db]:
            async with self.pooled(lambda: state.pool, self.gate, request) as db:
                await self.limiter.check(db, request)  # the route's rate limit, if it has one
                yield db

        async def provide_replica_db(
            state: State, request: Request[Any, Any, Any]
        ) -> AsyncGenerator[Db]:
            if state.replica_pool is None:
                async with self.pooled(lambda: state.pool, self.gate, request) as db:
                    await self.limiter.check(db, request)
                    yield db
                return
            await self.limiter.check_on_primary(state.pool, request, self.db)
            async with self.pooled(lambda: state.replica_pool, self.replica_gate, request) as db:
                yield db

        return Provide(provide_db), Provide(provide_replica_db)


def lifespan_of(
    settings: Settings,
    database_url: str,
    metrics: Metrics,
    tracing: Tracing,
    lifecycle: Lifecycle,
    login_gate: LoginGate,
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """The app's life: its pools (the primary, kept reconnecting; the replica's, if any), the
    drain watch, the ended-login listener and the metrics sampler."""
    replica_url = settings.database_replica_url

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

    return lifespan


def app_state(
    settings: Settings,
    queries: Queries,
    metrics: Metrics,
    lifecycle: Lifecycle,
    addresses: ClientAddresses,
    login_gate: LoginGate,
    limiter: ratelimit.RateLimiter,
) -> State:
    """What handlers and dependencies reach through `request.app.state`; the pools are set
    by the lifespan."""
    return State(
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
    queries = load_queries()
    metrics = metrics or Metrics()
    tracing = Tracing(tracer_provider or tracing_provider_from(settings))
    addresses = ClientAddresses(settings.trusted_proxies, settings.trusted_proxy_header)
    limiter = ratelimit.RateLimiter(settings, addresses)
    login_gate = LoginGate(
        settings.database_listen_url or settings.database_url,
        connect_timeout_s=settings.db_connect_timeout_s,
    )
    lifecycle = Lifecycle.from_env()
    provide_db, provide_replica_db = Connections(settings, queries, metrics, limiter).providers()
    app = Litestar(
        route_handlers=route_handlers(provide_replica_db),
        lifespan=[
            lifespan_of(settings, settings.database_url, metrics, tracing, lifecycle, login_gate)
        ],
        on_startup=[passwords.on_startup],
        state=app_state(settings, queries, metrics, lifecycle, addresses, login_gate, limiter),
        dependencies={
            "db": provide_db,
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
    app.asgi_handler = RequestLayer(
        app.asgi_handler, settings, lifecycle, metrics=metrics, tracing=tracing, addresses=addresses
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
