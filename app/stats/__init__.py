"""Progress statistics: personal records, the history of an exercise, training volume per
muscle group, and a summary with the current weekly streak.

Routes: `GET /v1/stats/records`, `GET /v1/exercises/{exercise_id}/history`,
`GET /v1/stats/volume`, `GET /v1/stats/summary`, `GET /v1/stats/body` (body measurements).
Plus `operations.new_records()`, which the set-logging endpoint calls inside its transaction
to tell the client which records the new sets just set.

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

from datetime import date
from typing import Annotated
from uuid import UUID

from litestar import Router
from litestar.params import QueryParameter

from app.core.resource import PAGING, KindFilter, reading
from app.ratelimit import rate_limited
from app.stats.models import Bucket
from app.stats.operations import (
    body_statistics,
    exercise_history,
    personal_records,
    training_summary,
    training_volume,
)

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


_NOT_FOUND = {404: "exercise_not_found"}


_DAYS = {"from_date": (FromDate, None), "to_date": (ToDate, None), "tz": (TimeZone, "UTC")}

records = reading(
    "/stats/records",
    personal_records,
    query={
        "exercise_id": (
            Annotated[
                UUID | None,
                QueryParameter(description="Only this exercise (404 if you cannot see it)"),
            ],
            None,
        )
    },
    operation_id="getPersonalRecords",
    summary="Personal records",
    description="For each exercise you have logged (or only `exercise_id`), by name: the "
    "heaviest weight, the most reps, the best estimated one-rep max (Epley, named in "
    "`one_rep_max_formula`) and the best single-set volume (weight x reps), each with the "
    "set, session and time that achieved it (the earliest on a tie). Warmup sets do not "
    "count; a set with 0 reps holds no record. Weights in kilograms.",
    codes=_NOT_FOUND,
)
history = reading(
    "/exercises/{exercise_id:uuid}/history",
    exercise_history,
    path_ids=["exercise_id"],
    query={**PAGING, **_DAYS},
    operation_id="getExerciseHistory",
    summary="History of an exercise",
    description="One item per session in which you trained the exercise, newest first: the "
    "working sets' count, reps and volume (weight x reps), the best estimated one-rep max "
    "(Epley), the heaviest weight and the best set (highest estimated 1RM, then heaviest, "
    "then most reps). Warmup sets do not count. `from`/`to` are local dates in `tz`, "
    "inclusive. Cursor pagination. An exercise you cannot see is 404; one you never "
    "logged has no items.",
    codes={400: "invalid_cursor, invalid_range, unknown_time_zone", **_NOT_FOUND},
)
volume = reading(
    "/stats/volume",
    training_volume,
    query={
        "bucket": (
            Annotated[Bucket, QueryParameter(description="Bucket length")],
            Bucket.WEEK,
        ),
        **_DAYS,
    },
    operation_id="getTrainingVolume",
    summary="Training volume per muscle group",
    description="Volume (weight x reps, kilograms) and working-set count per week (Monday to "
    "Sunday) or month of local time in `tz`, split by the primary muscle group of each "
    "exercise. `from`/`to` are local dates, inclusive, at most 731 days apart (two years); "
    "by default the 12 weeks or months up to today. Every bucket of the range is listed, "
    "empty ones too. Warmup sets do not count.",
    codes={400: "invalid_range, range_too_large, unknown_time_zone"},
)
summary = reading(
    "/stats/summary",
    training_summary,
    query={"tz": (TimeZone, "UTC")},
    operation_id="getTrainingSummary",
    summary="Training summary",
    description="Totals (completed sessions; working sets and their volume in kilograms), "
    "completed sessions this week (from Monday) and this month, and the current streak: "
    "the number of consecutive weeks, ending with this week (or with last week while this "
    "week has no completed session yet), each with at least one completed session. Weeks "
    "and months are local to `tz`; a session counts in the week it started.",
    codes={400: "unknown_time_zone"},
)
body = reading(
    "/stats/body",
    body_statistics,
    query={
        "kind": (KindFilter, None),
        **_DAYS,
    },
    passed_as={"kind": "kinds"},
    operation_id="getBodyStatistics",
    summary="Body measurement series",
    description="For each kind of body measurement you recorded in the range (or only "
    "`kind`, repeatable), in kind order: every measurement, oldest first, and the 7-day "
    "moving average of each local day: the mean of the daily means of the 7 days ending "
    "that day (the 6 days before `from` count), with how many of them hold a measurement. "
    "Values are kilograms, centimetres or percent (`unit`), whatever unit they were "
    "entered in. `from`/`to` are local dates in `tz`, inclusive, at most 731 days apart; "
    "by default the 90 days up to today.",
    codes={400: "invalid_range, range_too_large, unknown_time_zone"},
)

# under /v1: the history of an exercise is also read from the exercise
router = Router(
    "/v1",
    route_handlers=[records, history, volume, summary, body],
    tags=["statistics"],
    opt=rate_limited("stats"),  # expensive reads: a per-user limit of their own
)
