"""What the statistics compute, each from one query on the caller's own rows."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from uuid import UUID

from psycopg import errors as pg

from app.core.db import Db
from app.core.enums import BodyMeasurementKind
from app.core.errors import BadRequest, NotFound
from app.core.pagination import Keyset
from app.stats.models import (
    DEFAULT_BODY_DAYS,
    MAX_VOLUME_DAYS,
    ONE_REP_MAX_FORMULA,
    BodySeries,
    BodyStats,
    Bucket,
    ExerciseRecords,
    HistoryEntry,
    HistoryPage,
    NewRecord,
    Records,
    Summary,
    VolumeBucket,
    VolumeReport,
)


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


def checked_length(from_date: date, to_date: date) -> None:
    """400 when `from` is after `to`, or the range spans more than MAX_VOLUME_DAYS days."""
    checked_range(from_date, to_date)
    if (to_date - from_date).days + 1 > MAX_VOLUME_DAYS:
        raise BadRequest(
            "range_too_large",
            f"`from` to `to` may span at most {MAX_VOLUME_DAYS} days",
            details=[{"field": "to", "source": "query", "message": "range too large"}],
        )


def _default_from(to_date: date, bucket: Bucket) -> date:
    """The start of the 12 buckets that end with the one holding `to_date`."""
    if bucket is Bucket.WEEK:
        return to_date - timedelta(days=to_date.weekday(), weeks=11)
    months = to_date.year * 12 + to_date.month - 1 - 11
    return date(months // 12, months % 12 + 1, 1)


def _exercise_not_found() -> NotFound:
    return NotFound("exercise_not_found", "No such exercise")


async def exercise_visible(db: Db, *, user_id: UUID, exercise_id: UUID) -> bool:
    return bool(await db.scalar("stats/exercise_visible", user_id=user_id, exercise_id=exercise_id))


async def personal_records(db: Db, *, user_id: UUID, exercise_id: UUID | None = None) -> Records:
    """The user's records per exercise (or only `exercise_id`: 404 if they cannot see it)."""
    items = await db.many(
        "stats/records", ExerciseRecords, user_id=user_id, exercise_id=exercise_id
    )
    if (
        exercise_id is not None
        and not items
        and not await exercise_visible(db, user_id=user_id, exercise_id=exercise_id)
    ):
        raise _exercise_not_found()
    return Records(one_rep_max_formula=ONE_REP_MAX_FORMULA, items=items)


# the order of an exercise's history: its latest session first
BY_SESSION = Keyset.of(HistoryEntry, "performed_at", "session_id")


async def exercise_history(
    db: Db,
    *,
    user_id: UUID,
    exercise_id: UUID,
    limit: int,
    cursor: str | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
    tz: str = "UTC",
) -> HistoryPage:
    """One page of the sessions in which the user trained the exercise, newest first."""
    checked_time_zone(tz)
    checked_range(from_date, to_date)
    after = BY_SESSION.after(cursor)
    with time_zone_errors():
        rows = await db.many(
            "stats/exercise_history",
            HistoryEntry,
            user_id=user_id,
            exercise_id=exercise_id,
            from_date=from_date,
            to_date=to_date,
            tz=tz,
            after_performed_at=after[0],
            after_session_id=after[1],
            limit=limit + 1,
        )
    if (
        not rows
        and cursor is None
        and not await exercise_visible(db, user_id=user_id, exercise_id=exercise_id)
    ):
        raise _exercise_not_found()
    items, next_cursor = BY_SESSION.page(rows, limit)
    return HistoryPage(
        one_rep_max_formula=ONE_REP_MAX_FORMULA, items=items, next_cursor=next_cursor
    )


async def training_volume(
    db: Db,
    *,
    user_id: UUID,
    bucket: Bucket = Bucket.WEEK,
    from_date: date | None = None,
    to_date: date | None = None,
    tz: str = "UTC",
) -> VolumeReport:
    """Volume per bucket and muscle group; by default the 12 buckets up to today."""
    checked_time_zone(tz)
    if to_date is None:
        to_date = datetime.now(zoneinfo.ZoneInfo(tz)).date()
    if from_date is None:
        from_date = _default_from(to_date, bucket)
    checked_length(from_date, to_date)
    with time_zone_errors():
        buckets = await db.many(
            "stats/volume",
            VolumeBucket,
            user_id=user_id,
            bucket=bucket,
            from_date=from_date,
            to_date=to_date,
            tz=tz,
        )
    return VolumeReport(bucket=bucket, tz=tz, from_date=from_date, to_date=to_date, buckets=buckets)


async def training_summary(db: Db, *, user_id: UUID, tz: str = "UTC") -> Summary:
    checked_time_zone(tz)
    with time_zone_errors():
        summary = await db.one("stats/summary", Summary, user_id=user_id, tz=tz)
    assert summary is not None  # aggregates: always one row
    return summary


async def new_records(db: Db, *, user_id: UUID, set_ids: Sequence[UUID]) -> list[NewRecord]:
    """The personal records that the sets `set_ids` (just logged by `user_id`, in the current
    transaction) set, compared with the user's other sets of the same exercises and the new
    sets logged before them. Run it inside the transaction that inserted the sets."""
    if not set_ids:
        return []
    return await db.many("stats/records_set_by", NewRecord, user_id=user_id, set_ids=list(set_ids))


async def body_statistics(
    db: Db,
    *,
    user_id: UUID,
    kinds: list[BodyMeasurementKind] | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
    tz: str = "UTC",
) -> BodyStats:
    """Each kind's measurements and 7-day moving average; by default the 90 days up to
    today."""
    checked_time_zone(tz)
    if to_date is None:
        to_date = datetime.now(zoneinfo.ZoneInfo(tz)).date()
    if from_date is None:
        from_date = to_date - timedelta(days=DEFAULT_BODY_DAYS - 1)
    checked_length(from_date, to_date)
    with time_zone_errors():
        series = await db.many(
            "stats/body",
            BodySeries,
            user_id=user_id,
            kinds=[k.value for k in kinds] if kinds else None,
            from_date=from_date,
            to_date=to_date,
            tz=tz,
        )
    return BodyStats(tz=tz, from_date=from_date, to_date=to_date, series=series)
