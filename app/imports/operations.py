"""An import: the file read, its exercise names matched, and everything written in one
transaction (or, with `dry_run`, written and rolled back, so the counts are exact)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from uuid import UUID

import psycopg

from app import audit
from app.core.db import Db
from app.core.enums import AuditAction, WeightUnit
from app.core.errors import Unprocessable
from app.core.http import Violation, constraint_errors, json_param
from app.core.request_log import current_request_id
from app.imports.csv_readers import read_hevy, read_strong
from app.imports.formats import FileError, ImportedSession, Parsed, known_zone
from app.imports.kinetria import read_kinetria
from app.imports.matching import CatalogueName
from app.imports.models import (
    ExportDocument,
    ImportedCounts,
    ImportFormat,
    ImportOptions,
    ImportResult,
    NewExercise,
    SkippedRows,
)
from app.imports.rows import (
    Catalogue,
    Derive,
    Row,
    catalogue_of,
    measurement_rows,
    session_rows,
    workout_rows,
)
from app.users import User

SESSIONS_PER_BATCH = 500

Progress = Callable[[int, int], Awaitable[None]]

_CONSTRAINTS = {
    "sessions_one_in_progress_per_user": Violation(
        Unprocessable,
        "session_in_progress",
        "The file holds a session in progress and you have one already",
    )
}


_CSV_READERS = {ImportFormat.STRONG_CSV: read_strong, ImportFormat.HEVY_CSV: read_hevy}


def _invalid_file(line: int, column: str, message: str) -> Unprocessable:
    where = f"line {line}" + (f", column {column}" if column else "")
    return Unprocessable(
        "invalid_file",
        f"{where}: {message}",
        details=[{"line": line, "column": column, "message": message, "source": "body"}],
    )


def check_timezone(timezone: str) -> None:
    if not known_zone(timezone):
        raise Unprocessable(
            "invalid_timezone",
            "Unknown time zone (use an IANA name such as Europe/Paris)",
            details=[{"field": "timezone", "source": "query"}],
        ) from None


def _read(
    options: ImportOptions, data: bytes, weight_unit: WeightUnit
) -> tuple[Parsed, ExportDocument | None]:
    """The file's sessions (and a Kinetria export's document), or 422 `invalid_file`."""
    try:
        if options.file_format is ImportFormat.KINETRIA_JSON:
            return read_kinetria(data, timezone=options.timezone)
        read_csv = _CSV_READERS[options.file_format]
        parsed = read_csv(
            data,
            timezone=options.timezone,
            weight_unit=weight_unit,
            distance_unit=options.distance_unit,
        )
        return parsed, None
    except FileError as exc:
        raise _invalid_file(exc.line, exc.column, exc.message) from None


def _batches(items: list[ImportedSession]) -> Iterator[list[ImportedSession]]:
    for start in range(0, len(items), SESSIONS_PER_BATCH):
        yield items[start : start + SESSIONS_PER_BATCH]


@dataclass
class _Import:
    """A file read and matched, what it writes, and the counts of what it created."""

    user_id: UUID
    options: ImportOptions
    parsed: Parsed
    catalogue: Catalogue
    file_id: UUID
    workouts: list[Row] = field(default_factory=list)
    workout_plans: list[Row] = field(default_factory=list)
    measurements: list[Row] = field(default_factory=list)
    exercise_ids: list[UUID] = field(default_factory=list)
    workout_ids: list[UUID] = field(default_factory=list)
    measurement_ids: list[UUID] = field(default_factory=list)
    sessions_created: int = 0
    sets_created: int = 0

    def created_any(self) -> bool:
        return bool(
            self.exercise_ids or self.sessions_created or self.workout_ids or self.measurement_ids
        )

    def result(self) -> ImportResult:
        new = self.catalogue.new.values()
        sessions = self.parsed.sessions
        return ImportResult(
            format=self.options.file_format,
            dry_run=self.options.dry_run,
            rows=self.parsed.rows,
            sessions_in_file=len(sessions),
            sets_in_file=sum(len(s.sets) for s in sessions),
            sessions_created=self.sessions_created,
            sets_created=self.sets_created,
            exercises_created=[NewExercise(id=str(e["id"]), name=e["name"]) for e in new],
            unmatched_names=sorted({e["name"] for e in new}),
            workouts_created=len(self.workout_ids),
            body_measurements_created=len(self.measurement_ids),
            skipped=[SkippedRows(reason=r, rows=n) for r, n in sorted(self.parsed.skipped.items())],
        )


async def _prepare(db: Db, *, user_id: UUID, options: ImportOptions, data: bytes) -> _Import:
    """Read the file and match its names: everything the import writes, not yet written."""
    check_timezone(options.timezone)
    weight_unit = options.weight_unit
    if weight_unit is None:
        user = await db.one("users/get", User, user_id=user_id)
        weight_unit = user.preferred_weight_unit if user is not None else WeightUnit.KG
    parsed, doc = _read(options, data, weight_unit)
    derive = Derive(user_id, options.file_format)
    names = await db.many("imports/catalogue", CatalogueName, user_id=user_id)
    work = _Import(
        user_id=user_id,
        options=options,
        parsed=parsed,
        catalogue=catalogue_of(parsed, doc, names, derive),
        file_id=derive(hashlib.sha256(data).hexdigest()),
    )
    if doc is not None:
        work.workouts, work.workout_plans = workout_rows(doc, work.catalogue)
        work.measurements = measurement_rows(doc, derive)
    return work


async def _write_sessions(db: Db, work: _Import, progress: Progress | None) -> None:
    """The sessions, SESSIONS_PER_BATCH a statement, reporting progress after each."""
    done, total = 0, len(work.parsed.sessions)
    for batch in _batches(work.parsed.sessions):
        rows = session_rows(batch, work.catalogue)
        counts = await db.one(
            "imports/insert_sessions",
            ImportedCounts,
            user_id=work.user_id,
            sessions=json_param(rows.sessions),
            plans=json_param(rows.plans),
            sets=json_param(rows.sets),
            request_id=current_request_id.get(),
        )
        if counts is not None:
            work.sessions_created += counts.sessions
            work.sets_created += counts.sets
        done += len(batch)
        if progress is not None:
            await progress(done, total)


async def _write(db: Db, work: _Import, progress: Progress | None) -> None:
    """Everything the file holds, with the change events its statements write."""
    user_id, request_id = work.user_id, current_request_id.get()
    if work.catalogue.new:
        work.exercise_ids = await db.scalar(
            "imports/insert_exercises",
            user_id=user_id,
            exercises=json_param(list(work.catalogue.new.values())),
            request_id=request_id,
        )
    if work.workouts:
        work.workout_ids = await db.scalar(
            "imports/insert_workouts",
            user_id=user_id,
            workouts=json_param(work.workouts),
            plans=json_param(work.workout_plans),
            request_id=request_id,
        )
    await _write_sessions(db, work, progress)
    if work.measurements:
        work.measurement_ids = await db.scalar(
            "imports/insert_body_measurements",
            user_id=user_id,
            measurements=json_param(work.measurements),
            request_id=request_id,
        )


async def _audit(db: Db, work: _Import) -> None:
    await audit.record(
        db,
        user_id=work.user_id,
        action=AuditAction.CREATE,
        entity_type="imports",
        entity_id=work.file_id,
        metadata={
            "format": work.options.file_format.value,
            "sessions": work.sessions_created,
            "sets": work.sets_created,
            "exercises": len(work.exercise_ids),
        },
    )


async def run_import(
    db: Db,
    *,
    user_id: UUID,
    options: ImportOptions,
    data: bytes,
    progress: Progress | None = None,
    before_commit: Callable[[ImportResult], Awaitable[None]] | None = None,
) -> ImportResult:
    """Read the file and write what it holds, in one transaction, with its change events.
    `progress(sessions_done, sessions_total)` is awaited once the file is read and after
    each batch of sessions written (inside the transaction: report it on another
    connection); `before_commit(result)` runs last in the transaction of a real import, so
    what it writes commits (or rolls back) with the data."""
    work = await _prepare(db, user_id=user_id, options=options, data=data)
    if progress is not None:
        await progress(0, len(work.parsed.sessions))
    result: ImportResult | None = None
    try:
        with constraint_errors(_CONSTRAINTS):
            async with db.transaction():
                await _write(db, work, progress)
                result = work.result()
                if options.dry_run:
                    raise psycopg.Rollback
                if work.created_any():
                    await _audit(db, work)
                if before_commit is not None:
                    await before_commit(result)
    except psycopg.errors.InvalidParameterValue:
        raise Unprocessable(
            "invalid_timezone", "A session of the file names an unknown time zone"
        ) from None
    assert result is not None  # built in the transaction, before a dry run's rollback
    return result
