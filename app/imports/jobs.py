"""Background imports: a file above IMPORT_SYNC_MAX_BYTES is stored with an `imports` row
(status queued) and imported by the worker's `imports.run` job; `GET /v1/imports/{id}`
shows where it stands.

* The request writes the row, the file (`import_files`) and the job in one transaction:
  committed together, or none of them.
* The job marks the import running and imports the file exactly as the request would
  (`run_import`), reporting its progress (sessions written of sessions in the file) on a
  second connection, since the import's own transaction is not visible until it commits.
  The outcome, succeeded with the result, is written last in that transaction: the data,
  its change events, the result and the file's deletion commit together.
* A file that cannot be read (or any refusal the request would answer with 4xx) ends the
  import failed with that error (its line and column): the transaction rolled back, so
  nothing of the file is written. An unexpected exception also ends it failed
  (`internal_error`); a lost database connection is retried by the queue.
* One user's imports run one at a time, in order (the job's `lock`). A job run twice (a
  retry after a crash or a stop) finds the import ended, or imports the file again from the
  start: the derived ids make that safe.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from functools import cache
from typing import Any
from uuid import UUID

import psycopg

from app.core.config import Settings
from app.core.db import Db, Query, configure_connection, connection_kwargs, load_queries
from app.core.enums import ImportStatus, WeightUnit
from app.core.errors import ApiError, Conflict
from app.core.http import json_param
from app.core.request_log import current_request_id
from app.imports.models import (
    DistanceUnit,
    ImportFailure,
    ImportFormat,
    ImportJob,
    ImportResult,
    ImportWork,
)
from app.imports.operations import check_timezone, run_import
from app.worker import JobContext, app, backoff, defer, settings_of

log = logging.getLogger("kinetria.imports")

QUEUE = "imports"


async def queue_import(
    db: Db,
    *,
    user_id: UUID,
    import_id: UUID,
    file_format: ImportFormat,
    data: bytes,
    timezone: str,
    weight_unit: WeightUnit | None,
    distance_unit: DistanceUnit,
    dry_run: bool,
) -> tuple[ImportJob, bool]:
    """Store the file and queue its job; the import, and True when this replays an earlier
    create with the same id (the same file and parameters: nothing is queued again)."""
    check_timezone(timezone)
    sha256 = hashlib.sha256(data).hexdigest()
    async with db.transaction():
        job = await db.one(
            "imports/create",
            ImportJob,
            import_id=import_id,
            user_id=user_id,
            format=file_format,
            timezone=timezone,
            weight_unit=weight_unit,
            distance_unit=distance_unit,
            dry_run=dry_run,
            size_bytes=len(data),
            sha256=sha256,
            request_id=current_request_id.get() or None,
            content=data,
        )
        if job is not None:
            await defer(
                db.conn,
                run,
                lock=f"imports:{user_id}",
                import_id=str(import_id),
                user_id=str(user_id),
            )
            return job, False
    stored = await db.one("imports/get", ImportJob, import_id=import_id, user_id=user_id)
    if stored is not None and (
        stored.sha256,
        stored.format,
        stored.timezone,
        stored.weight_unit,
        stored.distance_unit,
        stored.dry_run,
    ) == (sha256, file_format, timezone, weight_unit, distance_unit, dry_run):
        return stored, True
    raise Conflict(
        "id_conflict",
        "This id is taken by another import (another file or other parameters)",
        details=[{"field": "id", "source": "query"}],
    )


def _failure(exc: ApiError) -> ImportFailure:
    return ImportFailure(
        status_code=exc.status_code,
        error_code=exc.error_code,
        message=exc.message,
        details=exc.details,
    )


async def run_queued(db: Db, side: Db, *, import_id: UUID, user_id: UUID) -> ImportJob | None:
    """Run one queued import: `db` for the import's transaction, `side` (another
    connection) for its progress and for recording a failure. The import as it ended, or
    None when it had ended already."""
    work = await db.one("imports/start", ImportWork, import_id=import_id, user_id=user_id)
    if work is None:
        return None
    token = current_request_id.set(work.request_id or "")

    async def progress(done: int, total: int) -> None:
        await side.execute(
            "imports/progress",
            import_id=import_id,
            user_id=user_id,
            sessions_done=done,
            sessions_total=total,
        )

    async def finish(result: ImportResult) -> None:
        await db.execute(
            "imports/finish",
            import_id=import_id,
            user_id=user_id,
            status=ImportStatus.SUCCEEDED,
            result=json_param(result),
            error=None,
        )

    async def fail(failure: ImportFailure) -> None:
        await side.execute(
            "imports/finish",
            import_id=import_id,
            user_id=user_id,
            status=ImportStatus.FAILED,
            result=None,
            error=json_param(failure),
        )

    try:
        result = await run_import(
            db,
            user_id=user_id,
            file_format=work.format,
            data=work.content,
            timezone=work.timezone,
            weight_unit=work.weight_unit,
            distance_unit=work.distance_unit,
            dry_run=work.dry_run,
            progress=progress,
            before_commit=finish,
        )
        if result.dry_run:  # rolled back: its outcome is written on its own
            await finish(result)
    except ApiError as exc:
        await fail(_failure(exc))
    except psycopg.OperationalError:
        raise  # the database went away: the queue retries the job
    except Exception:
        log.exception("import failed", extra={"import_id": str(import_id)})
        await fail(
            ImportFailure(
                status_code=500,
                error_code="internal_error",
                message="The import failed on the server; nothing of the file was written",
            )
        )
        raise
    finally:
        current_request_id.reset(token)
    return await side.one("imports/get", ImportJob, import_id=import_id, user_id=user_id)


@cache
def _queries() -> Mapping[str, Query]:
    """The SQL files, read once per worker process (like the API's, at startup)."""
    return load_queries()


@asynccontextmanager
async def _db(settings: Settings) -> AsyncGenerator[Db]:
    url = settings.database_url
    if url is None:
        raise RuntimeError("the worker needs DATABASE_URL")
    conn = await psycopg.AsyncConnection.connect(url, **connection_kwargs(settings))
    try:
        await configure_connection(conn)
        yield Db(conn, _queries(), settings.slow_query_ms)
    finally:
        await conn.close()


@app.task(
    name="imports.run",
    queue=QUEUE,
    pass_context=True,
    retry=backoff(max_attempts=5, retry_exceptions={psycopg.OperationalError}),
)
async def run(context: JobContext, *, import_id: str, user_id: str) -> None:
    settings = settings_of(context)
    async with _db(settings) as db, _db(settings) as side:
        job = await run_queued(db, side, import_id=UUID(import_id), user_id=UUID(user_id))
    if job is not None:
        extra: dict[str, Any] = {"import_id": import_id, "status": job.status.value}
        log.info("import ended", extra=extra)
