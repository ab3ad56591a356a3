"""Liveness (no database call) and readiness (database reachable, schema up to date)."""

from __future__ import annotations

import time
from importlib.metadata import version

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from psycopg_pool import AsyncConnectionPool

SERVICE = "kinetria"
VERSION = version("kinetria")


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


@get("/health", operation_id="getHealth", tags=["health"], opt={"public": True})
async def health() -> Health:
    """Liveness: the process answers. Makes no database call."""
    return _HEALTH


@get(
    "/health/ready",
    operation_id="getReadiness",
    tags=["health"],
    opt={"public": True},
    responses={503: ResponseSpec(data_container=Readiness, description="Not ready")},
)
async def ready(state: State) -> Response[Readiness]:
    """Readiness: the database answers and every migration this build ships is applied."""
    pool: AsyncConnectionPool = state.pool
    expected: list[str] = state.migration_versions
    started = time.perf_counter()
    try:
        async with pool.connection(timeout=2.0) as conn:
            cursor = await conn.execute(b"SELECT version FROM schema_migrations")
            applied = {str(row[0]) for row in await cursor.fetchall()}
    except Exception:  # any failure to reach or read the database means not ready
        database = DatabaseStatus("unavailable", None, None, [])
        return Response(Readiness("unavailable", SERVICE, VERSION, database), status_code=503)
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    pending = [v for v in expected if v not in applied]
    schema_version = max(applied) if applied else None
    ok = not pending
    database = DatabaseStatus(
        "ok" if ok else "migrations_pending", latency_ms, schema_version, pending
    )
    body = Readiness("ok" if ok else "unavailable", SERVICE, VERSION, database)
    return Response(body, status_code=200 if ok else 503)


routes = [health, ready]
