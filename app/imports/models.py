"""The shapes of an import: its result, and the Kinetria export document it reads."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

import msgspec

from app.body_measurements.models import BodyMeasurement
from app.core.enums import ImportStatus, WeightUnit
from app.exercises import Exercise
from app.sessions.models import Session
from app.users import User
from app.workouts import Workout

EXPORT_FORMAT = "kinetria_export"
EXPORT_VERSION = 1


class ImportFormat(StrEnum):
    STRONG_CSV = "strong_csv"
    HEVY_CSV = "hevy_csv"
    KINETRIA_JSON = "kinetria_json"


class DistanceUnit(StrEnum):
    KM = "km"
    MI = "mi"
    M = "m"


class ImportOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How an import reads its file and whether it writes: the file's format, the zone of its
    naive timestamps, the units of what it gives without one (weight: None for the user's
    preferred unit) and `dry_run` (write, count and roll back)."""

    file_format: ImportFormat
    timezone: str
    weight_unit: WeightUnit | None
    distance_unit: DistanceUnit
    dry_run: bool


class SkippedRows(msgspec.Struct):
    reason: str  # rest_timer, no_exercise, empty_set
    rows: int


class NewExercise(msgspec.Struct):
    id: str
    name: str


class ImportResult(msgspec.Struct):
    """What an import created (or, with `dry_run`, would create)."""

    format: ImportFormat
    dry_run: bool
    rows: int  # data rows read (CSV) or sets read (JSON)
    sessions_in_file: int
    sets_in_file: int
    sessions_created: int  # 0 for a session imported before (same file, same account)
    sets_created: int
    exercises_created: list[NewExercise]  # the unmatched names, now custom exercises
    unmatched_names: list[str]
    workouts_created: int
    body_measurements_created: int
    skipped: list[SkippedRows]


class ExportDocument(msgspec.Struct, kw_only=True):
    """`GET /v1/me/export?format=json`, version 1: the whole account. Each entry is the
    document the API's own GET answers for it. Read back by the `kinetria_json` import."""

    format: Literal["kinetria_export"]
    version: int
    exported_at: datetime
    profile: User
    exercises: list[Exercise]  # the account's custom exercises
    workouts: list[Workout]
    sessions: list[Session]
    body_measurements: list[BodyMeasurement]


class ImportedCounts(msgspec.Struct):
    """What queries/imports/insert_sessions.sql created (internal)."""

    sessions: int
    sets: int


class ImportFailure(msgspec.Struct):
    """Why a background import failed: the error the synchronous import would have
    answered (for a file it cannot read, `invalid_file` with the line and column)."""

    status_code: int
    error_code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ImportJob(msgspec.Struct):
    """A background import (a file above IMPORT_SYNC_MAX_BYTES), as
    import_document(imports) builds it: its status, its progress in sessions written, and
    the result (the synchronous import's answer) once it succeeded, or the error once it
    failed."""

    id: UUID
    status: ImportStatus
    format: ImportFormat
    dry_run: bool
    timezone: str
    weight_unit: WeightUnit | None  # None: the user's preferred unit
    distance_unit: DistanceUnit
    size_bytes: int
    sha256: str  # of the file, hex
    sessions_total: int | None  # sessions in the file, once it is read
    sessions_done: int  # sessions written so far (the file's order)
    result: ImportResult | None
    error: ImportFailure | None
    version: int
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ImportJobPage(msgspec.Struct):
    items: list[ImportJob]
    next_cursor: str | None


class ImportWork(msgspec.Struct):
    """What imports/start.sql hands the job: the import's parameters and its file
    (internal)."""

    format: ImportFormat
    timezone: str
    weight_unit: WeightUnit | None
    distance_unit: DistanceUnit
    dry_run: bool
    request_id: str | None
    content: bytes


def options_of(stored: ImportJob | ImportWork) -> ImportOptions:
    """The options a stored import runs with."""
    return ImportOptions(
        file_format=stored.format,
        timezone=stored.timezone,
        weight_unit=stored.weight_unit,
        distance_unit=stored.distance_unit,
        dry_run=stored.dry_run,
    )
