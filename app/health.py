"""Liveness (no database call) and readiness (database reachable, schema up to date)."""

from __future__ import annotations

import time
from importlib.metadata import version

import msgspec
from litestar import Response, Router, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from psycopg_pool import AsyncConnectionPool

from app.core.config import Settings
from app.core.db import Db, Queries

SERVICE = "kinetria"
VERSION = version("kinetria")
PUBLIC = {"public": True}  # on each route: a router's opt would open its OPTIONS route too
# A readiness probe answers fast: not ready when no connection comes within this time.
CONNECTION_TIMEOUT_S = 2.0


class Health(msgspec.Struct):
    status: str
    service: str
    version: str


class DatabaseStatus(msgspec.Struct):
    status: str
    latency_ms: float | None
    schema_version: str | None
    pending_migrations: list[str]


class Readiness(msgspec.Struct):
    status: str
    service: str
    version: str
    database: DatabaseStatus


_HEALTH = Health(status="ok", service=SERVICE, version=VERSION)
_UNAVAILABLE = Readiness(
    "unavailable", SERVICE, VERSION, DatabaseStatus("unavailable", None, None, [])
)


async def applied_migrations(db: Db) -> set[str]:
    """The versions of the migrations applied to the database."""
    versions: list[str] = await db.scalar("health/applied_migrations")
    return set(versions)


def readiness(*, expected: list[str], applied: set[str], latency_ms: float) -> Readiness:
    """Ready when every migration this build ships (`expected`) is applied."""
    pending = [v for v in expected if v not in applied]
    status = "migrations_pending" if pending else "ok"
    database = DatabaseStatus(status, latency_ms, max(applied) if applied else None, pending)
    return Readiness("unavailable" if pending else "ok", SERVICE, VERSION, database)


@get("/", operation_id="getHealth", opt=PUBLIC)
async def health() -> Health:
    """Liveness: the process answers. Makes no database call."""
    return _HEALTH


@get(
    "/ready",
    operation_id="getReadiness",
    opt=PUBLIC,
    responses={503: ResponseSpec(data_container=Readiness, description="Not ready")},
)
async def ready(state: State) -> Response[Readiness]:
    """Readiness: the database answers and every migration this build ships is applied."""
    pool: AsyncConnectionPool = state.pool
    settings: Settings = state.settings
    queries: Queries = state.queries
    started = time.perf_counter()
    try:
        async with pool.connection(timeout=CONNECTION_TIMEOUT_S) as conn:
            applied = await applied_migrations(Db(conn, queries, settings.slow_query_ms))
    except Exception:  # any failure to reach or read the database means not ready
        return Response(_UNAVAILABLE, status_code=503)
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    body = readiness(expected=state.migration_versions, applied=applied, latency_ms=latency_ms)
    return Response(body, status_code=200 if body.status == "ok" else 503)


router = Router("/health", route_handlers=[health, ready], tags=["health"])
