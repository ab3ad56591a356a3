"""Progress statistics: personal records, the history of an exercise, training volume per
muscle group, and a summary with the current weekly streak.

Routes: `GET /v1/stats/records`, `GET /v1/exercises/{exercise_id}/history`,
`GET /v1/stats/volume`, `GET /v1/stats/summary`. Plus `new_records()`, which the set-logging
endpoint calls inside its transaction to tell the client which records the new sets just set.

The rules every statistic shares (docs/statistics.md has the details):
* Warmup sets never count; every other set type does (normal, dropset, failure), in
  sessions of any status.
* Weights, volumes and one-rep maxes are in kilograms (`..._kg`), as JSON numbers.
* The one-rep max is Epley's estimate, weight x (1 + reps / 30), rounded to 0.01 kg; one rep
  is the weight itself; it needs reps >= 1 and a weight above 0. A set with 0 reps (a missed
  lift) holds no record.
* Local days, weeks (Monday to Sunday) and months are those of the `tz` query parameter,
  an IANA time zone name (default UTC).
* Each query reads only the caller's rows through user_id-leading indexes, so its cost
  follows the caller's own data, not the size of the tables.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from psycopg import errors as pg

from app.core.db import Db
from app.core.enums import MuscleGroup
from app.core.errors import BadRequest, NotFound
from app.core.http import responses
from app.core.pagination import CursorParam, LimitParam, decode_cursor, page_of
from app.core.security import CurrentUser

OneRepMaxFormula = Literal["epley"]
ONE_REP_MAX_FORMULA: OneRepMaxFormula = "epley"

# The longest range of the volume report: any two consecutive years (731 days, inclusive).
MAX_VOLUME_DAYS = 731


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


# --- responses --------------------------------------------------------------------------------


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


# --- parameters ------------------------------------------------------------------------------

TimeZone = Annotated[
    str,
    QueryParameter(
        max_length=64,
        description="IANA time zone for local days, weeks (from Monday) and months, "
        "e.g. `Europe/Berlin`",
    ),
]
FromDate = Annotated[
    date | None, QueryParameter(name="from", description="First local date, inclusive")
]
ToDate = Annotated[date | None, QueryParameter(name="to", description="Last local date, inclusive")]


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _unknown_time_zone() -> BadRequest:
    return BadRequest(
        "unknown_time_zone",
        "`tz` is not a known IANA time zone name (such as Europe/Berlin or UTC)",
        details=[{"field": "tz", "source": "query", "message": "unknown time zone"}],
    )


def checked_time_zone(tz: str) -> str:
    """`tz` when it is a known IANA time zone name, else 400 `unknown_time_zone`."""
    if tz not in _time_zones():
        raise _unknown_time_zone()
    return tz


@contextmanager
def time_zone_errors() -> Generator[None]:
    """A zone Python knows but the database's time zone data does not (they are updated
    separately) is the same 400 as an unknown one."""
    try:
        yield
    except pg.InvalidParameterValue:
        raise _unknown_time_zone() from None


def checked_range(from_date: date | None, to_date: date | None) -> None:
    if from_date is not None and to_date is not None and from_date > to_date:
        raise BadRequest(
            "invalid_range",
            "`from` must not be after `to`",
            details=[{"field": "from", "source": "query", "message": "after `to`"}],
        )


def _default_from(to_date: date, bucket: Bucket) -> date:
    """The start of the 12 buckets that end with the one holding `to_date`."""
    if bucket is Bucket.WEEK:
        return to_date - timedelta(days=to_date.weekday(), weeks=11)
    months = to_date.year * 12 + to_date.month - 1 - 11
    return date(months // 12, months % 12 + 1, 1)


# --- functions --------------------------------------------------------------------------------


async def records(db: Db, *, user_id: UUID, exercise_id: UUID | None = None) -> Records:
    items = await db.many(
        "stats/records", ExerciseRecords, user_id=user_id, exercise_id=exercise_id
    )
    return Records(one_rep_max_formula=ONE_REP_MAX_FORMULA, items=items)


async def exercise_visible(db: Db, *, user_id: UUID, exercise_id: UUID) -> bool:
    return bool(await db.scalar("stats/exercise_visible", user_id=user_id, exercise_id=exercise_id))


async def new_records(db: Db, *, user_id: UUID, set_ids: Sequence[UUID]) -> list[NewRecord]:
    """The personal records that the sets `set_ids` (just logged by `user_id`, in the current
    transaction) set, compared with the user's other sets of the same exercises and the new
    sets logged before them. Run it inside the transaction that inserted the sets."""
    if not set_ids:
        return []
    return await db.many("stats/records_set_by", NewRecord, user_id=user_id, set_ids=list(set_ids))


# --- routes -----------------------------------------------------------------------------------

_NOT_FOUND = {404: "exercise_not_found"}


def _exercise_not_found() -> NotFound:
    return NotFound("exercise_not_found", "No such exercise")


@get(
    "/v1/stats/records",
    operation_id="getPersonalRecords",
    summary="Personal records",
    description="For each exercise you have logged (or only `exercise_id`), by name: the "
    "heaviest weight, the most reps, the best estimated one-rep max (Epley, named in "
    "`one_rep_max_formula`) and the best single-set volume (weight x reps), each with the "
    "set, session and time that achieved it (the earliest on a tie). Warmup sets do not "
    "count; a set with 0 reps holds no record. Weights in kilograms.",
    tags=["statistics"],
    responses=responses(404, codes=_NOT_FOUND),
)
async def get_records(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    exercise_id: Annotated[
        UUID | None, QueryParameter(description="Only this exercise (404 if you cannot see it)")
    ] = None,
) -> Records:
    result = await records(db, user_id=current_user.id, exercise_id=exercise_id)
    if (
        exercise_id is not None
        and not result.items
        and not await exercise_visible(db, user_id=current_user.id, exercise_id=exercise_id)
    ):
        raise _exercise_not_found()
    return result


@get(
    "/v1/exercises/{exercise_id:uuid}/history",
    operation_id="getExerciseHistory",
    summary="History of an exercise",
    description="One item per session in which you trained the exercise, newest first: the "
    "working sets' count, reps and volume (weight x reps), the best estimated one-rep max "
    "(Epley), the heaviest weight and the best set (highest estimated 1RM, then heaviest, "
    "then most reps). Warmup sets do not count. `from`/`to` are local dates in `tz`, "
    "inclusive. Cursor pagination. An exercise you cannot see is 404; one you never "
    "logged has no items.",
    tags=["statistics"],
    responses=responses(
        404, codes={400: "invalid_cursor, invalid_range, unknown_time_zone", **_NOT_FOUND}
    ),
)
async def get_exercise_history(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    exercise_id: FromPath[UUID],
    limit: int = LimitParam,
    cursor: str | None = CursorParam,
    from_date: FromDate = None,
    to_date: ToDate = None,
    tz: TimeZone = "UTC",
) -> HistoryPage:
    checked_time_zone(tz)
    checked_range(from_date, to_date)
    after = decode_cursor(cursor, tuple[datetime, UUID])
    with time_zone_errors():
        rows = await db.many(
            "stats/exercise_history",
            HistoryEntry,
            user_id=current_user.id,
            exercise_id=exercise_id,
            from_date=from_date,
            to_date=to_date,
            tz=tz,
            after_performed_at=after[0] if after else None,
            after_session_id=after[1] if after else None,
            limit=limit + 1,
        )
    if (
        not rows
        and after is None
        and not await exercise_visible(db, user_id=current_user.id, exercise_id=exercise_id)
    ):
        raise _exercise_not_found()
    items, next_cursor = page_of(rows, limit, lambda e: (e.performed_at, e.session_id))
    return HistoryPage(
        one_rep_max_formula=ONE_REP_MAX_FORMULA, items=items, next_cursor=next_cursor
    )


@get(
    "/v1/stats/volume",
    operation_id="getTrainingVolume",
    summary="Training volume per muscle group",
    description="Volume (weight x reps, kilograms) and working-set count per week (Monday to "
    "Sunday) or month of local time in `tz`, split by the primary muscle group of each "
    "exercise. `from`/`to` are local dates, inclusive, at most 731 days apart (two years); "
    "by default the 12 weeks or months up to today. Every bucket of the range is listed, "
    "empty ones too. Warmup sets do not count.",
    tags=["statistics"],
    responses=responses(codes={400: "invalid_range, range_too_large, unknown_time_zone"}),
)
async def get_volume(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    bucket: Annotated[Bucket, QueryParameter(description="Bucket length")] = Bucket.WEEK,
    from_date: FromDate = None,
    to_date: ToDate = None,
    tz: TimeZone = "UTC",
) -> VolumeReport:
    checked_time_zone(tz)
    if to_date is None:
        to_date = datetime.now(zoneinfo.ZoneInfo(tz)).date()
    if from_date is None:
        from_date = _default_from(to_date, bucket)
    checked_range(from_date, to_date)
    if (to_date - from_date).days + 1 > MAX_VOLUME_DAYS:
        raise BadRequest(
            "range_too_large",
            f"`from` to `to` may span at most {MAX_VOLUME_DAYS} days",
            details=[{"field": "to", "source": "query", "message": "range too large"}],
        )
    with time_zone_errors():
        buckets = await db.many(
            "stats/volume",
            VolumeBucket,
            user_id=current_user.id,
            bucket=bucket,
            from_date=from_date,
            to_date=to_date,
            tz=tz,
        )
    return VolumeReport(bucket=bucket, tz=tz, from_date=from_date, to_date=to_date, buckets=buckets)


@get(
    "/v1/stats/summary",
    operation_id="getTrainingSummary",
    summary="Training summary",
    description="Totals (completed sessions; working sets and their volume in kilograms), "
    "completed sessions this week (from Monday) and this month, and the current streak: "
    "the number of consecutive weeks, ending with this week (or with last week while this "
    "week has no completed session yet), each with at least one completed session. Weeks "
    "and months are local to `tz`; a session counts in the week it started.",
    tags=["statistics"],
    responses=responses(codes={400: "unknown_time_zone"}),
)
async def get_summary(
    db: NamedDependency[Db], current_user: NamedDependency[CurrentUser], tz: TimeZone = "UTC"
) -> Summary:
    checked_time_zone(tz)
    with time_zone_errors():
        summary = await db.one("stats/summary", Summary, user_id=current_user.id, tz=tz)
    assert summary is not None  # aggregates: always one row
    return summary


routes = [get_records, get_exercise_history, get_volume, get_summary]
