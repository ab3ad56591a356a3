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
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg

from app.core.db import Db
from app.core.enums import ImportStatus
from app.core.errors import ApiError, Conflict, NotFound
from app.core.http import found, json_param
from app.core.pagination import Keyset
from app.core.request_log import current_request_id
from app.imports.models import (
    ImportFailure,
    ImportJob,
    ImportJobPage,
    ImportOptions,
    ImportResult,
    ImportWork,
    options_of,
)
from app.imports.operations import check_timezone, run_import
from app.worker import JobContext, app, backoff, defer, settings_of
from app.worker.db import job_db

log = logging.getLogger("kinetria.imports")

QUEUE = "imports"


async def queue_import(
    db: Db,
    *,
    user_id: UUID,
    import_id: UUID,
    options: ImportOptions,
    data: bytes,
) -> tuple[ImportJob, bool]:
    """Store the file and queue its job; the import, and True when this replays an earlier
    create with the same id (the same file and parameters: nothing is queued again)."""
    check_timezone(options.timezone)
    sha256 = hashlib.sha256(data).hexdigest()
    async with db.transaction():
        job = await db.one(
            "imports/create",
            ImportJob,
            import_id=import_id,
            user_id=user_id,
            format=options.file_format,
            timezone=options.timezone,
            weight_unit=options.weight_unit,
            distance_unit=options.distance_unit,
            dry_run=options.dry_run,
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
    if stored is not None and (stored.sha256, options_of(stored)) == (sha256, options):
        return stored, True
    raise Conflict(
        "id_conflict",
        "This id is taken by another import (another file or other parameters)",
        details=[{"field": "id", "source": "query"}],
    )


NOT_FOUND = "import_not_found"


# the order of the list: newest first
BY_CREATION = Keyset.of(ImportJob, "created_at", "id")


async def list_imports(db: Db, *, user_id: UUID, limit: int, cursor: str | None) -> ImportJobPage:
    """The user's background imports, newest first."""
    after = BY_CREATION.after(cursor)
    rows = await db.many(
        "imports/list",
        ImportJob,
        user_id=user_id,
        after_created_at=after[0],
        after_id=after[1],
        limit=limit + 1,
    )
    return ImportJobPage(*BY_CREATION.page(rows, limit))


async def get_import(db: Db, *, user_id: UUID, import_id: UUID) -> ImportJob:
    job = await db.one("imports/get", ImportJob, import_id=import_id, user_id=user_id)
    return found(job, lambda: NotFound(NOT_FOUND, "No such import"))


def _failure(exc: ApiError) -> ImportFailure:
    return ImportFailure(
        status_code=exc.status_code,
        error_code=exc.error_code,
        message=exc.message,
        details=exc.details,
    )


_INTERNAL = ImportFailure(
    status_code=500,
    error_code="internal_error",
    message="The import failed on the server; nothing of the file was written",
)


@dataclass(frozen=True)
class _Outcome:
    """Where a queued import writes its progress and how it ended: its success on `db`, in
    the import's own transaction; its progress and a failure on `side`, at once."""

    db: Db
    side: Db
    import_id: UUID
    user_id: UUID

    async def progress(self, done: int, total: int) -> None:
        await self.side.execute(
            "imports/progress",
            import_id=self.import_id,
            user_id=self.user_id,
            sessions_done=done,
            sessions_total=total,
        )

    async def finish(self, result: ImportResult) -> None:
        await self._end(self.db, result, None)

    async def fail(self, failure: ImportFailure) -> None:
        await self._end(self.side, None, failure)

    async def _end(self, db: Db, result: ImportResult | None, error: ImportFailure | None) -> None:
        await db.execute(
            "imports/finish",
            import_id=self.import_id,
            user_id=self.user_id,
            status=ImportStatus.SUCCEEDED if error is None else ImportStatus.FAILED,
            result=None if result is None else json_param(result),
            error=None if error is None else json_param(error),
        )


async def run_queued(db: Db, side: Db, *, import_id: UUID, user_id: UUID) -> ImportJob | None:
    """Run one queued import: `db` for the import's transaction, `side` (another
    connection) for its progress and for recording a failure. The import as it ended, or
    None when it had ended already."""
    work = await db.one("imports/start", ImportWork, import_id=import_id, user_id=user_id)
    if work is None:
        return None
    token = current_request_id.set(work.request_id or "")
    outcome = _Outcome(db, side, import_id, user_id)
    try:
        result = await run_import(
            db,
            user_id=user_id,
            options=options_of(work),
            data=work.content,
            progress=outcome.progress,
            before_commit=outcome.finish,
        )
        if result.dry_run:  # rolled back: its outcome is written on its own
            await outcome.finish(result)
    except ApiError as exc:
        await outcome.fail(_failure(exc))
    except psycopg.OperationalError:
        raise  # the database went away: the queue retries the job
    except Exception:
        log.exception("import failed", extra={"import_id": str(import_id)})
        await outcome.fail(_INTERNAL)
        raise
    finally:
        current_request_id.reset(token)
    return await side.one("imports/get", ImportJob, import_id=import_id, user_id=user_id)


@app.task(
    name="imports.run",
    queue=QUEUE,
    pass_context=True,
    retry=backoff(max_attempts=5, retry_exceptions={psycopg.OperationalError}),
)
async def run(context: JobContext, *, import_id: str, user_id: str) -> None:
    settings = settings_of(context)
    async with job_db(settings) as db, job_db(settings) as side:
        job = await run_queued(db, side, import_id=UUID(import_id), user_id=UUID(user_id))
    if job is not None:
        extra: dict[str, Any] = {"import_id": import_id, "status": job.status.value}
        log.info("import ended", extra=extra)
