"""The application factory: nothing is built at import time."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.types import ControllerRouterHandler
from psycopg_pool import AsyncConnectionPool

from app import audit, auth, exercises, health, sessions, sets, stats, tokens, users, workouts
from app.core import passwords, security
from app.core.clients import TrustedProxies
from app.core.config import Settings, load_settings
from app.core.db import Db, load_queries, migration_versions, open_pool
from app.core.errors import check_json_body, exception_handlers
from app.core.logs import configure_logging
from app.core.metrics import Metrics
from app.core.request_log import note_connection_acquired, with_request_context
from app.core.tracing import Tracing
from app.core.tracing import tracer_provider as tracing_provider_from

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


def route_handlers() -> list[ControllerRouterHandler]:
    return [
        health.router,
        auth.router,
        users.router,
        tokens.router,
        audit.router,
        exercises.router,
        workouts.router,
        sessions.router,
        sets.router,
        stats.router,
    ]


METRICS_FLUSH_S = 1.0  # how often the metrics see the pool and what requests counted


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

    replica_url = settings.database_replica_url

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None]:
        async with open_pool(settings, database_url) as pool:
            app.state.pool = pool
            sampler = asyncio.create_task(sample(pool, metrics))
            try:
                if replica_url is None:
                    app.state.replica_pool = pool
                    yield
                    return
                async with open_pool(settings, replica_url, name="kinetria-replica") as replica:
                    app.state.replica_pool = replica
                    yield
            finally:
                sampler.cancel()
                metrics.flush()
                tracing.shutdown()

    async def provide_db(state: State) -> AsyncGenerator[Db]:
        async with state.pool.connection() as conn:
            note_connection_acquired()
            yield Db(conn, queries, settings.slow_query_ms, metrics)

    async def provide_replica_db(state: State) -> AsyncGenerator[Db]:
        """The statistics' connection: from DATABASE_REPLICA_URL's pool when it is set (a
        read replica, which may lag the primary), else the primary's."""
        async with state.replica_pool.connection() as conn:
            note_connection_acquired()
            yield Db(conn, queries, settings.slow_query_ms, metrics)

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
                "token_verifier": security.AccessTokenVerifier(settings, metrics=metrics),
                "metrics": metrics,
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
        before_send=[security.add_security_headers],
        exception_handlers=exception_handlers,
        request_max_body_size=settings.max_body_bytes,
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins))
        if settings.cors_origins
        else None,
        openapi_config=OpenAPIConfig(
            title="Kinetria API",
            version=health.VERSION,
            description="Plan workouts, log training sessions set by set, follow progress.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
            openapi_router=Router("/schema", route_handlers=[], opt={"public": True}),
        ),
        logging_config=None,  # ours: JSON lines, configured by the CLI
        debug=False,
    )
    app.asgi_handler = with_request_context(
        app.asgi_handler,
        metrics=metrics,
        tracing=tracing,
        trusted_proxies=TrustedProxies(settings.trusted_proxies),
    )
    return app


async def sample(pool: AsyncConnectionPool[Any], metrics: Metrics) -> None:
    """Every METRICS_FLUSH_S while the app runs: the pool gauges, and what requests counted."""
    while True:
        metrics.set_pool(pool.get_stats())
        metrics.flush()
        await asyncio.sleep(METRICS_FLUSH_S)


def app_from_env() -> Litestar:
    """Entry point for the ASGI server's workers (the CLI sets DATABASE_URL first)."""
    settings = load_settings()
    configure_logging(settings.log_level)
    app = create_app(settings)
    app.state.metrics.worker_starts.inc()
    # What exists now (modules, routes, the app) lives as long as the process: keep it out of
    # the collector's full passes, which otherwise pause requests for tens of milliseconds.
    gc.freeze()
    return app
