"""A job's own database connection, as a Db: the worker's jobs (and the CLI commands that run
a job's work at once) open one per job, outside the worker's pool, on the API's connection
settings, with the SQL files read once per process (like the API's, at startup)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from functools import cache

import psycopg

from app.core.config import Settings
from app.core.db import Db, Query, configure_connection, connection_kwargs, load_queries


@cache
def job_queries() -> Mapping[str, Query]:
    """The SQL files, read once per process."""
    return load_queries()


@asynccontextmanager
async def job_db(settings: Settings, url: str | None = None) -> AsyncGenerator[Db]:
    """A connection of its own to `url` (default DATABASE_URL), closed on exit."""
    url = url or settings.database_url
    if url is None:
        raise RuntimeError("the worker needs DATABASE_URL")
    conn = await psycopg.AsyncConnection.connect(url, **connection_kwargs(settings))
    try:
        await configure_connection(conn)
        yield Db(conn, job_queries(), settings.slow_query_ms)
    finally:
        await conn.close()
