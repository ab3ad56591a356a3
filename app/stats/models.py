"""The shapes of the statistics: the reports answered, and the records a set can set."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

import msgspec

from app.core.enums import BodyMeasurementKind, BodyMeasurementUnit, MuscleGroup

OneRepMaxFormula = Literal["epley"]
ONE_REP_MAX_FORMULA: OneRepMaxFormula = "epley"

# The longest range of the volume report: any two consecutive years (731 days, inclusive).
MAX_VOLUME_DAYS = 731
# The body statistics' default range: the 90 days up to today.
DEFAULT_BODY_DAYS = 90


class Bucket(StrEnum):
    """The length of one bucket of the volume report."""

    WEEK = "week"
    MONTH = "month"


class RecordKind(StrEnum):
    """The personal records kept per exercise."""

    HEAVIEST_WEIGHT = "heaviest_weight"
    MOST_REPS = "most_reps"
    BEST_ONE_REP_MAX = "best_one_rep_max"
    BEST_VOLUME = "best_volume"


class RecordSet(msgspec.Struct):
    """The set that holds a record, with its figures."""

    set_id: UUID
    session_id: UUID
    performed_at: datetime
    weight_kg: float | None
    reps: int | None
    one_rep_max_kg: float | None  # Epley's estimate, see `one_rep_max_formula`
    volume_kg: float | None  # weight x reps


class ExerciseRecords(msgspec.Struct):
    exercise_id: UUID
    exercise_name: str
    primary_muscle: MuscleGroup
    sets: int  # working sets logged (warmups are not counted)
    last_performed_at: datetime
    heaviest_weight: RecordSet | None
    most_reps: RecordSet | None
    best_one_rep_max: RecordSet | None
    best_volume: RecordSet | None


class Records(msgspec.Struct):
    one_rep_max_formula: OneRepMaxFormula
    items: list[ExerciseRecords]


class HistorySet(msgspec.Struct):
    set_id: UUID
    performed_at: datetime
    weight_kg: float | None
    reps: int | None
    one_rep_max_kg: float | None
    volume_kg: float | None


class HistoryEntry(msgspec.Struct):
    """One session in the history of an exercise."""

    session_id: UUID
    performed_at: datetime  # the first working set of the exercise in the session
    sets: int
    reps: int
    volume_kg: float
    one_rep_max_kg: float | None
    heaviest_weight_kg: float | None
    best_set: HistorySet


class HistoryPage(msgspec.Struct):
    one_rep_max_formula: OneRepMaxFormula
    items: list[HistoryEntry]
    next_cursor: str | None


class MuscleVolume(msgspec.Struct):
    muscle_group: MuscleGroup
    sets: int
    volume_kg: float


class VolumeBucket(msgspec.Struct):
    bucket_start: date  # local date: a Monday, or the first of a month
    sets: int
    volume_kg: float
    muscles: list[MuscleVolume]  # by muscle group, only those trained in the bucket


class VolumeReport(msgspec.Struct):
    bucket: Bucket
    tz: str
    from_date: date = msgspec.field(name="from")
    to_date: date = msgspec.field(name="to")
    buckets: list[VolumeBucket]


class Summary(msgspec.Struct):
    tz: str
    sessions: int  # completed sessions
    sets: int  # working sets
    volume_kg: float
    sessions_this_week: int
    sessions_this_month: int
    current_streak_weeks: int
    week_start: date  # this week's Monday, local
    month_start: date


class NewRecord(msgspec.Struct):
    """A personal record that a just-logged set set."""

    set_id: UUID
    exercise_id: UUID
    kind: RecordKind
    value: float  # kilograms, or a count of reps for most_reps
    previous: float | None  # the record it beat; None when it is the first of its kind


class BodyPoint(msgspec.Struct):
    """One measurement of a body series, in kg, cm or percent."""

    id: UUID
    measured_at: datetime
    date: date  # local, in the report's tz
    value: float


class BodyAverage(msgspec.Struct):
    """The 7-day moving average of a body series on one local day."""

    date: date
    value: float  # the mean of the daily means of the 7 days ending `date`, 3 decimals
    days: int  # how many of those 7 days hold a measurement


class BodySeries(msgspec.Struct):
    kind: BodyMeasurementKind
    unit: BodyMeasurementUnit  # kg, cm or percent, whatever unit the values were entered in
    measurements: list[BodyPoint]  # oldest first
    moving_average_7d: list[BodyAverage]  # oldest first, the days with an average


class BodyStats(msgspec.Struct):
    tz: str
    from_date: date = msgspec.field(name="from")
    to_date: date = msgspec.field(name="to")
    series: list[BodySeries]  # one per kind measured, in kind order
