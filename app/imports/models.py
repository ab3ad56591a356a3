"""The shapes of an import: its result, and the Kinetria export document it reads."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

import msgspec

from app.body_measurements.models import BodyMeasurement
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
