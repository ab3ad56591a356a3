"""The sync feed's upkeep on the worker (app/worker): `sync.prune`, daily, deletes
change-log events older than SYNC_RETENTION_DAYS (a cursor before them is answered 410
`cursor_expired`) and expired snapshots. `kinetria db prune` runs the same at once."""

from __future__ import annotations

import logging

from app.core.config import Settings
from app.sync.operations import prune
from app.worker import JobContext, app, settings_of
from app.worker.db import job_db

log = logging.getLogger("kinetria.worker")


async def prune_now(settings: Settings, url: str | None = None) -> tuple[int, int]:
    """Prune on a connection of its own to `url` (default DATABASE_URL): (events deleted,
    snapshots deleted)."""
    async with job_db(settings, url) as db:
        return await prune(db, retention_days=settings.sync_retention_days)


@app.periodic(cron="41 3 * * *", periodic_id="sync.prune")  # daily, at 03:41 UTC
@app.task(name="sync.prune", queue="maintenance", queueing_lock="sync.prune", pass_context=True)
async def prune_sync(context: JobContext, timestamp: int) -> None:
    events, snapshots = await prune_now(settings_of(context))
    log.info("sync pruned", extra={"events": events, "snapshots": snapshots})
