"""The sync feed's upkeep on the worker (app/worker): `sync.prune`, daily, deletes
change-log events older than SYNC_RETENTION_DAYS (a cursor before them is answered 410
`cursor_expired`) and expired snapshots. `kinetria db prune` runs the same at once."""

from __future__ import annotations

import logging

import psycopg

from app.core.config import Settings
from app.core.db import Db, configure_connection, connection_kwargs, load_queries
from app.sync.operations import prune
from app.worker import JobContext, app, settings_of

log = logging.getLogger("kinetria.worker")


async def prune_now(settings: Settings, url: str) -> tuple[int, int]:
    """Prune on a connection of its own to `url`: (events deleted, snapshots deleted)."""
    conn = await psycopg.AsyncConnection.connect(url, **connection_kwargs(settings))
    try:
        await configure_connection(conn)
        db = Db(conn, load_queries(), settings.slow_query_ms)
        return await prune(db, retention_days=settings.sync_retention_days)
    finally:
        await conn.close()


@app.periodic(cron="41 3 * * *", periodic_id="sync.prune")  # daily, at 03:41 UTC
@app.task(name="sync.prune", queue="maintenance", queueing_lock="sync.prune", pass_context=True)
async def prune_sync(context: JobContext, timestamp: int) -> None:
    settings = settings_of(context)
    if settings.database_url is None:
        raise RuntimeError("the worker needs DATABASE_URL")
    events, snapshots = await prune_now(settings, settings.database_url)
    log.info("sync pruned", extra={"events": events, "snapshots": snapshots})
