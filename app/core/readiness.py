"""Readiness, answered within `READY_TIMEOUT_S` whatever the database is doing.

The probe never queues behind requests: it opens a connection of its own (so a pool full of
busy or broken connections cannot delay it), bounded by the readiness timeout rather than
`DB_CONNECT_TIMEOUT`, and reads the applied migrations with a statement timeout of the same
length. The pool is judged apart: exhausted when it is at its size, has no idle connection,
and none comes free within what is left of the timeout.
"""

from __future__ import annotations

import asyncio
import time
from enum import StrEnum
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from psycopg_pool import TooManyRequests as PoolFull

from app.core.config import Settings
from app.core.db import Db, Queries
from app.core.lifecycle import Lifecycle


class NotReady(StrEnum):
    DRAINING = "draining"
    DATABASE_UNREACHABLE = "database_unreachable"
    MIGRATIONS_PENDING = "migrations_pending"
    POOL_EXHAUSTED = "pool_exhausted"


class Probe:
    """What a readiness check found: the applied migrations and the round trip's time, or
    why the database could not be read."""

    __slots__ = ("applied", "latency_ms", "problem")

    def __init__(
        self, applied: set[str] | None, latency_ms: float | None, problem: NotReady | None
    ) -> None:
        self.applied = applied
        self.latency_ms = latency_ms
        self.problem = problem


async def probe_database(settings: Settings, queries: Queries, *, timeout_s: float) -> Probe:
    """Connect on a connection of our own and read the applied migrations, within
    `timeout_s` (libpq's connect_timeout cannot go below 2 s, so the bound is ours)."""
    assert settings.database_url
    started = time.perf_counter()
    statement_ms = max(1, round(timeout_s * 1000))
    try:
        async with asyncio.timeout(timeout_s):
            conn = await psycopg.AsyncConnection.connect(
                settings.database_url,
                autocommit=True,
                application_name="kinetria-readiness",
                options=f"-c statement_timeout={statement_ms}",
            )
            try:
                versions: list[str] = await Db(conn, queries, settings.slow_query_ms).scalar(
                    "health/applied_migrations"
                )
            finally:
                await conn.close()
    except (TimeoutError, psycopg.Error, OSError):
        return Probe(None, None, NotReady.DATABASE_UNREACHABLE)
    return Probe(set(versions), round((time.perf_counter() - started) * 1000, 2), None)


async def pool_exhausted(pool: AsyncConnectionPool[Any], *, timeout_s: float) -> bool:
    """True when no connection of the pool comes free within `timeout_s` (no wait at all
    when one is idle or the pool may still grow)."""
    stats = pool.get_stats()
    if stats.get("pool_available", 0) > 0 or stats.get("pool_size", 0) < pool.max_size:
        return False
    try:
        conn = await pool.getconn(timeout=max(timeout_s, 0.01))
    except (PoolTimeout, PoolFull):
        return True
    await pool.putconn(conn)
    return False


async def check_readiness(
    *,
    settings: Settings,
    pool: AsyncConnectionPool[Any] | None,
    queries: Queries,
    lifecycle: Lifecycle,
) -> tuple[NotReady | None, Probe | None]:
    """Why the process is not ready (None: ready), and what the probe found (None when
    the check stopped before it)."""
    if lifecycle.check():
        return NotReady.DRAINING, None
    started = time.perf_counter()
    budget = settings.ready_timeout_s
    probe = await probe_database(settings, queries, timeout_s=budget * 0.7)
    if probe.problem is not None:
        return probe.problem, probe
    if pool is None:
        return NotReady.DATABASE_UNREACHABLE, probe
    left = budget - (time.perf_counter() - started)
    if await pool_exhausted(pool, timeout_s=left):
        return NotReady.POOL_EXHAUSTED, probe
    return None, probe
