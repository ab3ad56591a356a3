"""Liveness (no database call) and readiness (database reachable, schema up to date)."""

from __future__ import annotations

from importlib.metadata import version

import msgspec
from litestar import Response, Router, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from app.core.readiness import NotReady, check_readiness

SERVICE = "kinetria"
VERSION = version("kinetria")
PUBLIC = {"public": True}  # on each route: a router's opt would open its OPTIONS route too


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
    # why not ready: draining, database_unreachable, migrations_pending, pool_exhausted
    reason: str | None = None


_HEALTH = Health(status="ok", service=SERVICE, version=VERSION)


def readiness(
    *, expected: list[str], applied: set[str], latency_ms: float, reason: NotReady | None = None
) -> Readiness:
    """Ready when every migration this build ships (`expected`) is applied and nothing
    else (`reason`) stands in the way."""
    pending = [v for v in expected if v not in applied]
    status = "migrations_pending" if pending else "ok"
    database = DatabaseStatus(status, latency_ms, max(applied) if applied else None, pending)
    if pending and reason is None:
        reason = NotReady.MIGRATIONS_PENDING
    return Readiness(
        "unavailable" if reason else "ok", SERVICE, VERSION, database, reason and reason.value
    )


def not_ready(reason: NotReady) -> Readiness:
    database = DatabaseStatus(
        "unavailable" if reason == NotReady.DATABASE_UNREACHABLE else "unknown", None, None, []
    )
    return Readiness("unavailable", SERVICE, VERSION, database, reason.value)


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
    """Readiness, within READY_TIMEOUT_S: the database answers a connection of the probe's
    own, every migration this build ships is applied, the pool has a connection to give,
    and the server is not draining for a stop. 503 with the `reason` otherwise."""
    reason, probe = await check_readiness(
        settings=state.settings, pool=state.pool, queries=state.queries, lifecycle=state.lifecycle
    )
    if probe is None or probe.applied is None or probe.latency_ms is None:
        return Response(not_ready(reason or NotReady.DATABASE_UNREACHABLE), status_code=503)
    body = readiness(
        expected=state.migration_versions,
        applied=probe.applied,
        latency_ms=probe.latency_ms,
        reason=reason,
    )
    return Response(body, status_code=200 if body.status == "ok" else 503)


router = Router("/health", route_handlers=[health, ready], tags=["health"])
