"""Statistics: personal records, exercise history, volume per muscle group, summary and streak,
and the records a just-logged set sets. Sessions and sets are inserted straight into the
database, so each test states exactly what was trained when."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from app.core.db import Db
from app.core.errors import BadRequest
from app.stats.models import NewRecord, RecordKind
from app.stats.operations import new_records, time_zone_errors
from tests.api import Client, UserWithToken, all_pages, assert_error
from tests.catalogue import BACK_SQUAT, BENCH_PRESS, PULL_UP

BERLIN = ZoneInfo("Europe/Berlin")


class Log:
    """Sessions and sets of one user, written straight to the database."""

    def __init__(self, db_url: str, user_id: uuid.UUID) -> None:
        self.db_url = db_url
        self.user_id = user_id
        self.positions: dict[uuid.UUID, int] = {}

    def session(
        self, started_at: datetime, *, status: str = "completed", tz: str = "UTC"
    ) -> uuid.UUID:
        session_id = uuid.uuid4()
        ended_at = None if status == "in_progress" else started_at + timedelta(hours=1)
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO sessions (id, user_id, status, started_at, ended_at, timezone)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (session_id, self.user_id, status, started_at, ended_at, tz),
            )
        self.positions[session_id] = 0
        return session_id

    def set(
        self,
        session_id: uuid.UUID,
        exercise_id: uuid.UUID | str,
        *,
        reps: int | None,
        weight_kg: float | str | None,
        performed_at: datetime,
        set_type: str = "normal",
    ) -> uuid.UUID:
        set_id = uuid.uuid4()
        position = self.positions[session_id]
        self.positions[session_id] = position + 1
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO set_records (id, session_id, user_id, exercise_id, position,"
                " set_type, reps, weight_kg, performed_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s::numeric, %s)",
                (
                    set_id,
                    session_id,
                    self.user_id,
                    exercise_id,
                    position,
                    set_type,
                    reps,
                    None if weight_kg is None else str(weight_kg),
                    performed_at,
                ),
            )
        return set_id


@pytest.fixture
def log_for(db_url: str) -> Callable[[UserWithToken], Log]:
    return lambda user: Log(db_url, user.id)


def custom_exercise(db_url: str, user: UserWithToken, name: str = "Landmine Press") -> uuid.UUID:
    exercise_id = uuid.uuid4()
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO exercises (id, user_id, name, category, primary_muscle)"
            " VALUES (%s, %s, %s, 'strength', 'shoulders')",
            (exercise_id, user.id, name),
        )
    return exercise_id


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- records ----------------------------------------------------------------------------------


def test_records_per_exercise_with_the_sets_that_hold_them(
    make_user: Callable[..., UserWithToken], log_for: Callable[[UserWithToken], Log]
) -> None:
    user = make_user()
    log = log_for(user)
    s1 = log.session(at("2026-03-02T10:00:00+00:00"))
    warmup = log.set(
        s1,
        BENCH_PRESS,
        reps=20,
        weight_kg=200,
        performed_at=at("2026-03-02T10:01:00+00:00"),
        set_type="warmup",
    )
    heavy = log.set(
        s1, BENCH_PRESS, reps=3, weight_kg=100, performed_at=at("2026-03-02T10:05:00+00:00")
    )
    log.set(s1, BENCH_PRESS, reps=0, weight_kg=120, performed_at=at("2026-03-02T10:10:00+00:00"))
    s2 = log.session(at("2026-03-09T10:00:00+00:00"))
    # the same heaviest weight later: the earlier set keeps the record
    log.set(s2, BENCH_PRESS, reps=2, weight_kg=100, performed_at=at("2026-03-09T10:05:00+00:00"))
    many = log.set(
        s2, BENCH_PRESS, reps=12, weight_kg=60, performed_at=at("2026-03-09T10:10:00+00:00")
    )
    volume = log.set(
        s2, BENCH_PRESS, reps=10, weight_kg="77.5", performed_at=at("2026-03-09T10:15:00+00:00")
    )
    single = log.set(
        s2, BACK_SQUAT, reps=1, weight_kg=140, performed_at=at("2026-03-09T10:30:00+00:00")
    )

    response = user.get("/v1/stats/records")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["one_rep_max_formula"] == "epley"
    by_name = {item["exercise_name"]: item for item in body["items"]}
    assert list(by_name) == ["Barbell Back Squat", "Barbell Bench Press"]  # by name

    bench = by_name["Barbell Bench Press"]
    assert bench["exercise_id"] == str(BENCH_PRESS)
    assert bench["primary_muscle"] == "chest"
    assert bench["sets"] == 5  # the warmup is not counted
    assert bench["last_performed_at"].startswith("2026-03-09T10:15:00")
    # 120 kg x 0 (a missed lift) and the 200 kg warmup hold nothing
    assert bench["heaviest_weight"]["set_id"] == str(heavy)
    assert bench["heaviest_weight"]["session_id"] == str(s1)
    assert bench["heaviest_weight"]["weight_kg"] == 100
    assert bench["heaviest_weight"]["reps"] == 3
    assert bench["heaviest_weight"]["performed_at"].startswith("2026-03-02T10:05:00")
    assert bench["most_reps"]["set_id"] == str(many)
    assert bench["most_reps"]["reps"] == 12
    # Epley: 100 x (1 + 3/30) = 110; 77.5 x (1 + 10/30) = 103.33; 60 x 1.4 = 84
    assert bench["best_one_rep_max"]["set_id"] == str(heavy)
    assert bench["best_one_rep_max"]["one_rep_max_kg"] == 110
    assert bench["best_volume"]["set_id"] == str(volume)
    assert bench["best_volume"]["volume_kg"] == 775
    assert bench["best_volume"]["one_rep_max_kg"] == 103.33
    assert str(warmup) not in response.text

    squat = by_name["Barbell Back Squat"]
    # a single: the estimate is the weight itself
    assert squat["best_one_rep_max"]["set_id"] == str(single)
    assert squat["best_one_rep_max"]["one_rep_max_kg"] == 140
    assert squat["heaviest_weight"]["weight_kg"] == 140


def test_a_tied_record_stays_with_the_earliest_set(
    make_user: Callable[..., UserWithToken], log_for: Callable[[UserWithToken], Log]
) -> None:
    user = make_user()
    log = log_for(user)
    s1 = log.session(at("2026-03-02T10:00:00+00:00"))
    single = log.set(
        s1, BENCH_PRESS, reps=1, weight_kg=110, performed_at=at("2026-03-02T10:05:00+00:00")
    )
    s2 = log.session(at("2026-03-09T10:00:00+00:00"))
    # 100 x (1 + 3/30) = 110 too, but later
    log.set(s2, BENCH_PRESS, reps=3, weight_kg=100, performed_at=at("2026-03-09T10:05:00+00:00"))
    # two sets logged in one request share their time: the lower id holds the record
    same_time = at("2026-03-09T10:10:00+00:00")
    twins = sorted(
        log.set(s2, BENCH_PRESS, reps=20, weight_kg=20, performed_at=same_time) for _ in range(2)
    )
    [item] = user.get("/v1/stats/records").json()["items"]
    assert item["best_one_rep_max"]["set_id"] == str(single)
    assert item["heaviest_weight"]["set_id"] == str(single)
    assert item["most_reps"]["set_id"] == str(twins[0])
    assert item["best_volume"]["set_id"] == str(twins[0])  # 20 x 20 = 400 > 330 > 110

    # estimates compare rounded to 0.01 kg: 110.83 x 1 first, then 95 x (1 + 5/30) =
    # 110.8333…, also 110.83: the single keeps the record
    squat_single = log.set(
        s1, BACK_SQUAT, reps=1, weight_kg="110.83", performed_at=at("2026-03-02T10:20:00+00:00")
    )
    log.set(s2, BACK_SQUAT, reps=5, weight_kg=95, performed_at=at("2026-03-09T10:20:00+00:00"))
    response = user.get(f"/v1/stats/records?exercise_id={BACK_SQUAT}")
    [squat] = response.json()["items"]
    assert squat["best_one_rep_max"]["set_id"] == str(squat_single)
    assert squat["best_one_rep_max"]["one_rep_max_kg"] == 110.83


def test_records_never_count_other_users_sets(
    make_user: Callable[..., UserWithToken], log_for: Callable[[UserWithToken], Log]
) -> None:
    me, other = make_user(), make_user()
    mine = log_for(me)
    s = mine.session(at("2026-03-02T10:00:00+00:00"))
    mine.set(s, BENCH_PRESS, reps=5, weight_kg=80, performed_at=at("2026-03-02T10:05:00+00:00"))
    theirs = log_for(other)
    t = theirs.session(at("2026-03-02T10:00:00+00:00"))
    theirs.set(t, BENCH_PRESS, reps=30, weight_kg=300, performed_at=at("2026-03-02T10:05:00+00:00"))
    theirs.set(t, BACK_SQUAT, reps=5, weight_kg=200, performed_at=at("2026-03-02T10:06:00+00:00"))

    items = me.get("/v1/stats/records").json()["items"]
    assert [item["exercise_id"] for item in items] == [str(BENCH_PRESS)]
    assert items[0]["sets"] == 1
    assert items[0]["heaviest_weight"]["weight_kg"] == 80
    assert items[0]["most_reps"]["reps"] == 5


def test_records_of_bodyweight_sets_have_reps_but_no_weight_records(
    make_user: Callable[..., UserWithToken], log_for: Callable[[UserWithToken], Log]
) -> None:
    user = make_user()
    log = log_for(user)
    s = log.session(at("2026-03-02T10:00:00+00:00"))
    best = log.set(
        s, PULL_UP, reps=12, weight_kg=None, performed_at=at("2026-03-02T10:05:00+00:00")
    )
    log.set(s, PULL_UP, reps=8, weight_kg=0, performed_at=at("2026-03-02T10:08:00+00:00"))
    [item] = user.get("/v1/stats/records").json()["items"]
    assert item["most_reps"]["set_id"] == str(best)
    assert item["most_reps"]["weight_kg"] is None
    assert item["heaviest_weight"] is None
    assert item["best_one_rep_max"] is None
    assert item["best_volume"] is None


def test_records_filtered_by_exercise(
    db_url: str,
    make_user: Callable[..., UserWithToken],
    log_for: Callable[[UserWithToken], Log],
) -> None:
    user, other = make_user(), make_user()
    log = log_for(user)
    s = log.session(at("2026-03-02T10:00:00+00:00"))
    log.set(s, BENCH_PRESS, reps=5, weight_kg=80, performed_at=at("2026-03-02T10:05:00+00:00"))
    log.set(s, BACK_SQUAT, reps=5, weight_kg=100, performed_at=at("2026-03-02T10:06:00+00:00"))

    response = user.get(f"/v1/stats/records?exercise_id={BACK_SQUAT}")
    assert [i["exercise_id"] for i in response.json()["items"]] == [str(BACK_SQUAT)]
    # an exercise the caller can see but never logged: no items
    response = user.get(f"/v1/stats/records?exercise_id={PULL_UP}")
    assert response.status_code == 200
    assert response.json() == {"one_rep_max_formula": "epley", "items": []}
    # another user's custom exercise, or no exercise at all: 404
    theirs = custom_exercise(db_url, other)
    for exercise_id in (theirs, uuid.uuid4()):
        response = user.get(f"/v1/stats/records?exercise_id={exercise_id}")
        assert_error(response, 404, "exercise_not_found")
    assert_error(
        user.get("/v1/stats/records?exercise_id=bench"),
        400,
        "validation_error",
    )


def test_an_empty_account_has_no_records(make_user: Callable[..., UserWithToken]) -> None:
    user = make_user()
    response = user.get("/v1/stats/records")
    assert response.json() == {"one_rep_max_formula": "epley", "items": []}


@pytest.mark.parametrize(
    "path",
    [
        "/v1/stats/records",
        "/v1/stats/summary",
        "/v1/stats/volume",
        f"/v1/exercises/{BENCH_PRESS}/history",
    ],
)
def test_statistics_need_a_token(client: Client, path: str) -> None:
    assert_error(client.get(path), 401, "missing_token")


# --- exercise history -------------------------------------------------------------------------


def test_history_per_session_newest_first_with_pages(
    make_user: Callable[..., UserWithToken], log_for: Callable[[UserWithToken], Log]
) -> None:
    user, other = make_user(), make_user()
    log = log_for(user)
    s1 = log.session(at("2026-03-02T10:00:00+00:00"))
    log.set(
        s1,
        BENCH_PRESS,
        reps=10,
        weight_kg=40,
        performed_at=at("2026-03-02T10:01:00+00:00"),
        set_type="warmup",
    )
    log.set(s1, BENCH_PRESS, reps=5, weight_kg=80, performed_at=at("2026-03-02T10:05:00+00:00"))
    best1 = log.set(
        s1, BENCH_PRESS, reps=3, weight_kg=90, performed_at=at("2026-03-02T10:08:00+00:00")
    )
    log.set(s1, BACK_SQUAT, reps=5, weight_kg=120, performed_at=at("2026-03-02T10:20:00+00:00"))
    s2 = log.session(at("2026-03-05T18:00:00+00:00"))
    best2 = log.set(
        s2, BENCH_PRESS, reps=8, weight_kg=75, performed_at=at("2026-03-05T18:05:00+00:00")
    )
    s3 = log.session(at("2026-03-09T07:00:00+00:00"), status="abandoned")
    best3 = log.set(
        s3, BENCH_PRESS, reps=1, weight_kg=100, performed_at=at("2026-03-09T07:05:00+00:00")
    )
    theirs = log_for(other)
    t = theirs.session(at("2026-03-07T10:00:00+00:00"))
    theirs.set(t, BENCH_PRESS, reps=5, weight_kg=150, performed_at=at("2026-03-07T10:05:00+00:00"))

    response = user.get(f"/v1/exercises/{BENCH_PRESS}/history")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["one_rep_max_formula"] == "epley"
    assert body["next_cursor"] is None
    items = body["items"]
    assert [i["session_id"] for i in items] == [str(s3), str(s2), str(s1)]
    first = items[2]
    assert first["performed_at"].startswith("2026-03-02T10:05:00")  # the warmup not counted
    assert first["sets"] == 2
    assert first["reps"] == 8
    assert first["volume_kg"] == 80 * 5 + 90 * 3
    assert first["heaviest_weight_kg"] == 90
    assert first["one_rep_max_kg"] == 99  # 90 x (1 + 3/30); 80 x (1 + 5/30) = 93.33
    assert first["best_set"] == {
        "set_id": str(best1),
        "performed_at": first["best_set"]["performed_at"],
        "weight_kg": 90,
        "reps": 3,
        "one_rep_max_kg": 99,
        "volume_kg": 270,
    }
    assert items[1]["best_set"]["set_id"] == str(best2)
    assert items[1]["one_rep_max_kg"] == 95  # 75 x (1 + 8/30)
    assert items[0]["best_set"]["set_id"] == str(best3)
    assert items[0]["one_rep_max_kg"] == 100  # a single

    # the same, one page at a time
    seen = [
        i["session_id"] for i in all_pages(user, f"/v1/exercises/{BENCH_PRESS}/history?limit=1")
    ]
    assert seen == [str(s3), str(s2), str(s1)]


def test_history_date_range_is_local_to_tz(
    make_user: Callable[..., UserWithToken], log_for: Callable[[UserWithToken], Log]
) -> None:
    user = make_user()
    log = log_for(user)
    # 2026-03-01 23:30 UTC is 2026-03-02 00:30 in Berlin
    late = log.session(at("2026-03-01T23:00:00+00:00"))
    log.set(late, BENCH_PRESS, reps=5, weight_kg=80, performed_at=at("2026-03-01T23:30:00+00:00"))
    url = f"/v1/exercises/{BENCH_PRESS}/history"
    utc = user.get(f"{url}?from=2026-03-02&to=2026-03-08").json()
    assert utc["items"] == []
    berlin = user.get(f"{url}?from=2026-03-02&to=2026-03-08&tz=Europe/Berlin").json()
    assert [i["session_id"] for i in berlin["items"]] == [str(late)]
    utc = user.get(f"{url}?from=2026-03-01&to=2026-03-01").json()
    assert [i["session_id"] for i in utc["items"]] == [str(late)]


def test_history_of_exercises_never_logged_or_not_visible(
    db_url: str, make_user: Callable[..., UserWithToken]
) -> None:
    user, other = make_user(), make_user()
    own = custom_exercise(db_url, user)
    for exercise_id in (BENCH_PRESS, own):
        response = user.get(f"/v1/exercises/{exercise_id}/history")
        assert response.status_code == 200
        assert response.json()["items"] == []
        assert response.json()["next_cursor"] is None
    theirs = custom_exercise(db_url, other)
    for exercise_id in (theirs, uuid.uuid4()):
        response = user.get(f"/v1/exercises/{exercise_id}/history")
        assert_error(response, 404, "exercise_not_found")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("limit=0", "validation_error"),
        ("limit=101", "validation_error"),
        ("limit=ten", "validation_error"),
        ("cursor=not-a-cursor", "invalid_cursor"),
        ("from=2026-03-09&to=2026-03-01", "invalid_range"),
        ("from=2026-02-30", "validation_error"),
        ("to=yesterday", "validation_error"),
        ("tz=Mars/Olympus_Mons", "unknown_time_zone"),
        ("tz=../../etc/passwd", "unknown_time_zone"),
        ("tz=", "unknown_time_zone"),
    ],
)
def test_history_refuses_bad_parameters(
    make_user: Callable[..., UserWithToken], query: str, code: str
) -> None:
    user = make_user()
    response = user.get(f"/v1/exercises/{BENCH_PRESS}/history?{query}")
    assert_error(response, 400, code)


# --- volume -----------------------------------------------------------------------------------


def test_volume_per_week_and_muscle_group_in_the_callers_time_zone(
    make_user: Callable[..., UserWithToken], log_for: Callable[[UserWithToken], Log]
) -> None:
    user, other = make_user(), make_user()
    log = log_for(user)
    # Sunday 2026-03-08 23:30 UTC is Monday 2026-03-09 00:30 in Berlin: the next week there
    s = log.session(at("2026-03-08T23:00:00+00:00"))
    log.set(s, BENCH_PRESS, reps=5, weight_kg=100, performed_at=at("2026-03-08T23:30:00+00:00"))
    log.set(
        s,
        BENCH_PRESS,
        reps=10,
        weight_kg=50,
        performed_at=at("2026-03-08T23:35:00+00:00"),
        set_type="warmup",
    )
    log.set(s, BACK_SQUAT, reps=5, weight_kg="102.5", performed_at=at("2026-03-08T23:40:00+00:00"))
    log.set(s, PULL_UP, reps=10, weight_kg=None, performed_at=at("2026-03-08T23:45:00+00:00"))
    theirs = log_for(other)
    t = theirs.session(at("2026-03-04T10:00:00+00:00"))
    theirs.set(t, BENCH_PRESS, reps=5, weight_kg=100, performed_at=at("2026-03-04T10:05:00+00:00"))

    query = "bucket=week&from=2026-03-02&to=2026-03-15"
    utc = user.get(f"/v1/stats/volume?{query}")
    assert utc.status_code == 200, utc.text
    body = utc.json()
    assert {k: body[k] for k in ("bucket", "tz", "from", "to")} == {
        "bucket": "week",
        "tz": "UTC",
        "from": "2026-03-02",
        "to": "2026-03-15",
    }
    assert body["buckets"] == [
        {
            "bucket_start": "2026-03-02",
            "sets": 3,
            "volume_kg": 1012.5,
            "muscles": [  # in muscle group order; bodyweight sets count, with no volume
                {"muscle_group": "chest", "sets": 1, "volume_kg": 500},
                {"muscle_group": "back", "sets": 1, "volume_kg": 0},
                {"muscle_group": "quadriceps", "sets": 1, "volume_kg": 512.5},
            ],
        },
        {"bucket_start": "2026-03-09", "sets": 0, "volume_kg": 0, "muscles": []},
    ]
    berlin = user.get(f"/v1/stats/volume?{query}&tz=Europe/Berlin")
    weeks = berlin.json()["buckets"]
    assert [(w["bucket_start"], w["sets"], w["volume_kg"]) for w in weeks] == [
        ("2026-03-02", 0, 0),
        ("2026-03-09", 3, 1012.5),
    ]


def test_volume_per_month_in_the_callers_time_zone(
    make_user: Callable[..., UserWithToken], log_for: Callable[[UserWithToken], Log]
) -> None:
    user = make_user()
    log = log_for(user)
    # 2026-01-31 23:30 UTC is 2026-02-01 00:30 in Berlin
    s = log.session(at("2026-01-31T23:00:00+00:00"))
    log.set(s, BENCH_PRESS, reps=5, weight_kg=100, performed_at=at("2026-01-31T23:30:00+00:00"))
    query = "bucket=month&from=2026-01-01&to=2026-03-31"
    utc = user.get(f"/v1/stats/volume?{query}").json()["buckets"]
    assert [(b["bucket_start"], b["volume_kg"]) for b in utc] == [
        ("2026-01-01", 500),
        ("2026-02-01", 0),
        ("2026-03-01", 0),
    ]
    berlin = user.get(f"/v1/stats/volume?{query}&tz=Europe/Berlin").json()["buckets"]
    assert [(b["bucket_start"], b["volume_kg"]) for b in berlin] == [
        ("2026-01-01", 0),
        ("2026-02-01", 500),
        ("2026-03-01", 0),
    ]
    # the range cuts the sets, not only the buckets: from the 2nd of February on, nothing
    later = user.get(
        "/v1/stats/volume?bucket=month&from=2026-02-02&to=2026-02-28&tz=Europe/Berlin"
    ).json()["buckets"]
    assert [(b["bucket_start"], b["sets"]) for b in later] == [("2026-02-01", 0)]


def test_volume_defaults_to_the_last_twelve_buckets(
    make_user: Callable[..., UserWithToken],
) -> None:
    user = make_user()
    today = datetime.now(BERLIN).date()
    weekly = user.get("/v1/stats/volume?tz=Europe/Berlin").json()
    assert weekly["bucket"] == "week"
    assert weekly["to"] == today.isoformat()
    starts = [b["bucket_start"] for b in weekly["buckets"]]
    assert len(starts) == 12
    assert starts[-1] == (today - timedelta(days=today.weekday())).isoformat()
    assert starts[0] == weekly["from"]
    monthly = user.get("/v1/stats/volume?bucket=month").json()
    assert len(monthly["buckets"]) == 12
    assert (
        monthly["buckets"][-1]["bucket_start"]
        == datetime.now(UTC).date().replace(day=1).isoformat()
    )


def test_volume_accepts_two_years_and_no_more(make_user: Callable[..., UserWithToken]) -> None:
    user = make_user()
    ok = user.get("/v1/stats/volume?from=2024-01-01&to=2025-12-31")
    assert ok.status_code == 200
    assert len(ok.json()["buckets"]) == 105  # weeks from Monday 2024-01-01 to 2025-12-29
    too_long = user.get("/v1/stats/volume?from=2024-01-01&to=2026-01-01")
    assert_error(too_long, 400, "range_too_large")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("bucket=day", "validation_error"),
        ("bucket=", "validation_error"),
        ("tz=Europe/Atlantis", "unknown_time_zone"),
        ("tz=europe/berlin", "unknown_time_zone"),
        ("tz=" + "A" * 65, "validation_error"),
        ("from=2026-03-09&to=2026-03-01", "invalid_range"),
        ("from=2999-01-01", "invalid_range"),  # after today, the default `to`
        ("from=2026-13-01", "validation_error"),
        ("from=1990-01-01&to=2026-01-01", "range_too_large"),
        ("to=2026-01-01", None),  # the default `from` is 12 weeks before: fine
    ],
)
def test_volume_refuses_bad_parameters(
    make_user: Callable[..., UserWithToken], query: str, code: str | None
) -> None:
    user = make_user()
    response = user.get(f"/v1/stats/volume?{query}")
    if code is None:
        assert response.status_code == 200
    else:
        assert_error(response, 400, code)


# --- summary and streak -----------------------------------------------------------------------


def week_start(tz: ZoneInfo, weeks_ago: int = 0) -> datetime:
    """Monday 00:00 local of the current week (or `weeks_ago` weeks before), as an instant."""
    today = datetime.now(tz).date()
    monday = today - timedelta(days=today.weekday(), weeks=weeks_ago)
    return datetime(monday.year, monday.month, monday.day, tzinfo=tz)


def summary(user: UserWithToken, tz: str = "UTC") -> dict[str, Any]:
    response = user.get(f"/v1/stats/summary?tz={tz}")
    assert response.status_code == 200, response.text
    return response.json()


def test_summary_of_an_empty_account(make_user: Callable[..., UserWithToken]) -> None:
    body = summary(make_user())
    today = datetime.now(UTC).date()
    assert body == {
        "tz": "UTC",
        "sessions": 0,
        "sets": 0,
        "volume_kg": 0,
        "sessions_this_week": 0,
        "sessions_this_month": 0,
        "current_streak_weeks": 0,
        "week_start": (today - timedelta(days=today.weekday())).isoformat(),
        "month_start": today.replace(day=1).isoformat(),
    }


def test_summary_totals_count_only_the_callers_completed_sessions_and_working_sets(
    make_user: Callable[..., UserWithToken], log_for: Callable[[UserWithToken], Log]
) -> None:
    user, other = make_user(), make_user()
    log = log_for(user)
    done = log.session(at("2025-06-02T10:00:00+00:00"))
    log.set(done, BENCH_PRESS, reps=5, weight_kg=100, performed_at=at("2025-06-02T10:05:00+00:00"))
    log.set(
        done,
        BENCH_PRESS,
        reps=10,
        weight_kg=40,
        performed_at=at("2025-06-02T10:01:00+00:00"),
        set_type="warmup",
    )
    log.set(done, PULL_UP, reps=10, weight_kg=None, performed_at=at("2025-06-02T10:10:00+00:00"))
    given_up = log.session(at("2025-06-04T10:00:00+00:00"), status="abandoned")
    log.set(
        given_up, BACK_SQUAT, reps=5, weight_kg=100, performed_at=at("2025-06-04T10:05:00+00:00")
    )
    running = log.session(datetime.now(UTC) - timedelta(minutes=5), status="in_progress")
    log.set(running, BACK_SQUAT, reps=3, weight_kg="102.5", performed_at=datetime.now(UTC))
    theirs = log_for(other)
    t = theirs.session(datetime.now(UTC) - timedelta(days=1))
    theirs.set(t, BENCH_PRESS, reps=5, weight_kg=100, performed_at=datetime.now(UTC))

    body = summary(user)
    assert body["sessions"] == 1  # completed only
    assert body["sets"] == 4  # every working set, whatever its session's status
    assert body["volume_kg"] == 500 + 500 + 307.5
    assert body["sessions_this_week"] == 0
    assert body["current_streak_weeks"] == 0


def test_streak_counts_consecutive_weeks_up_to_this_or_last_week(
    make_user: Callable[..., UserWithToken], log_for: Callable[[UserWithToken], Log]
) -> None:
    hour = timedelta(hours=1)
    # only last week: this week may still come, so the streak is 1
    user = make_user()
    log_for(user).session(week_start(UTC, 1) + hour)
    assert summary(user)["current_streak_weeks"] == 1

    # this week and the two before, twice in one of them, then a gap, then older weeks
    user = make_user()
    log = log_for(user)
    for weeks_ago in (0, 1, 1, 2, 4, 5, 6):
        log.session(week_start(UTC, weeks_ago) + hour)
    body = summary(user)
    assert body["current_streak_weeks"] == 3
    assert body["sessions_this_week"] == 1

    # last week missed: the streak is over, even with this week and older weeks
    user = make_user()
    log = log_for(user)
    for weeks_ago in (0, 2, 3):
        log.session(week_start(UTC, weeks_ago) + hour)
    assert summary(user)["current_streak_weeks"] == 1

    # neither this week nor last week: no streak
    user = make_user()
    log = log_for(user)
    for weeks_ago in (2, 3, 4):
        log.session(week_start(UTC, weeks_ago) + hour)
    assert summary(user)["current_streak_weeks"] == 0

    # abandoned and running sessions keep no streak alive
    user = make_user()
    log = log_for(user)
    log.session(week_start(UTC, 1) + hour, status="abandoned")
    log.session(week_start(UTC, 0) + hour, status="in_progress")
    log.session(week_start(UTC, 2) + hour)
    assert summary(user)["current_streak_weeks"] == 0


def test_streak_of_many_weeks_across_a_year_boundary_and_daylight_saving(
    make_user: Callable[..., UserWithToken], log_for: Callable[[UserWithToken], Log]
) -> None:
    user = make_user()
    log = log_for(user)
    for weeks_ago in range(60):  # more than a year: every week, whatever the DST changes
        log.session(week_start(BERLIN, weeks_ago) + timedelta(hours=7))
    assert summary(user, "Europe/Berlin")["current_streak_weeks"] == 60


def test_weeks_and_months_are_those_of_the_callers_time_zone(
    make_user: Callable[..., UserWithToken], log_for: Callable[[UserWithToken], Log]
) -> None:
    since_monday = datetime.now(UTC) - week_start(UTC)
    if since_monday < timedelta(hours=3) or since_monday > timedelta(days=7, hours=-3):
        pytest.skip("too close to the week boundary for 'this week' to be the same in both")
    user = make_user()
    log = log_for(user)
    # Sunday 23:30 UTC, last week in UTC, is Monday 00:30 or 01:30 this week in Berlin
    log.session(week_start(UTC) - timedelta(minutes=30))
    utc = summary(user)
    berlin = summary(user, "Europe/Berlin")
    assert (utc["sessions_this_week"], utc["current_streak_weeks"]) == (0, 1)
    assert (berlin["sessions_this_week"], berlin["current_streak_weeks"]) == (1, 1)
    assert berlin["tz"] == "Europe/Berlin"
    assert berlin["week_start"] == week_start(BERLIN).date().isoformat()


def test_a_zone_the_database_does_not_know_is_an_unknown_time_zone() -> None:
    # Python's and PostgreSQL's time zone data are updated separately
    with pytest.raises(BadRequest) as caught, time_zone_errors():
        raise psycopg.errors.InvalidParameterValue('time zone "Xx/Yy" not recognized')
    assert caught.value.error_code == "unknown_time_zone"


def test_summary_refuses_an_unknown_time_zone(make_user: Callable[..., UserWithToken]) -> None:
    user = make_user()
    for tz in ("Nowhere/Special", "+02:00", "CEST"):
        response = user.get(f"/v1/stats/summary?tz={tz}")
        assert_error(response, 400, "unknown_time_zone")


# --- the records a just-logged set sets --------------------------------------------------------


class Insert:
    """Rows for inserting sets inside a transaction of a Db."""

    def __init__(self, user_id: uuid.UUID, session_id: uuid.UUID, first_position: int) -> None:
        self.user_id = user_id
        self.session_id = session_id
        self.position = first_position

    async def sets(
        self, db: Db, *rows: tuple[uuid.UUID | str, int | None, Any, str]
    ) -> list[uuid.UUID]:
        ids: list[uuid.UUID] = []
        for exercise_id, reps, weight_kg, set_type in rows:
            set_id = uuid.uuid4()
            await db.conn.execute(
                "INSERT INTO set_records (id, session_id, user_id, exercise_id, position,"
                " set_type, reps, weight_kg) VALUES (%s, %s, %s, %s, %s, %s, %s, %s::numeric)",
                (
                    set_id,
                    self.session_id,
                    self.user_id,
                    exercise_id,
                    self.position,
                    set_type,
                    reps,
                    None if weight_kg is None else str(weight_kg),
                ),
            )
            self.position += 1
            ids.append(set_id)
        return ids


def kinds(records: list[NewRecord], set_id: uuid.UUID) -> dict[str, tuple[float, float | None]]:
    return {r.kind.value: (r.value, r.previous) for r in records if r.set_id == set_id}


def test_new_records_compare_with_earlier_sets_and_the_batch_so_far(
    make_user: Callable[..., UserWithToken],
    log_for: Callable[[UserWithToken], Log],
    run_db: Callable[[Callable[[Db], Any]], Any],
) -> None:
    user, other = make_user(), make_user()
    log = log_for(user)
    old = log.session(at("2026-03-02T10:00:00+00:00"))
    log.set(old, BENCH_PRESS, reps=5, weight_kg=100, performed_at=at("2026-03-02T10:05:00+00:00"))
    log.set(old, BENCH_PRESS, reps=12, weight_kg=50, performed_at=at("2026-03-02T10:10:00+00:00"))
    # another user's far heavier sets change nothing
    theirs = log_for(other)
    t = theirs.session(at("2026-03-02T10:00:00+00:00"))
    theirs.set(t, BENCH_PRESS, reps=20, weight_kg=250, performed_at=at("2026-03-02T10:05:00+00:00"))
    now = log.session(datetime.now(UTC), status="in_progress")
    insert = Insert(user.id, now, 0)

    async def body(db: Db) -> tuple[list[NewRecord], list[uuid.UUID]]:
        async with db.transaction():
            ids = await insert.sets(
                db,
                (BENCH_PRESS, 10, 130, "warmup"),  # warmups never set records
                (BENCH_PRESS, 3, 105, "normal"),  # heavier: 105 > 100; 1RM 115.5 > 116.67? no
                (BENCH_PRESS, 2, 110, "failure"),  # heavier again, beats 105 of this batch
                (BENCH_PRESS, 0, 140, "normal"),  # a missed lift: nothing
                (BENCH_PRESS, 13, 50, "dropset"),  # most reps: 13 > 12
                (BENCH_PRESS, 13, 50, "normal"),  # a tie is no record
                (BACK_SQUAT, 5, 100, "normal"),  # the first squat ever: previous None
            )
            found = await new_records(db, user_id=user.id, set_ids=ids)
            # and the function sees nothing of another user's sets, even given their ids
            assert await new_records(db, user_id=other.id, set_ids=ids) == []
            return found, ids

    found, ids = run_db(body)
    warmup, heavier, heaviest, missed, reps13, tie, squat = ids
    assert kinds(found, warmup) == {}
    # 100 x 5: 1RM 116.67, volume 500. 105 x 3: 1RM 115.5, volume 315
    assert kinds(found, heavier) == {"heaviest_weight": (105, 100)}
    # 110 x 2: 1RM 117.33 > 116.67
    assert kinds(found, heaviest) == {
        "heaviest_weight": (110, 105),
        "best_one_rep_max": (117.33, 116.67),
    }
    assert kinds(found, missed) == {}
    assert kinds(found, reps13) == {"most_reps": (13, 12), "best_volume": (650, 600)}
    assert kinds(found, tie) == {}
    assert kinds(found, squat) == {
        "heaviest_weight": (100, None),
        "most_reps": (5, None),
        "best_one_rep_max": (116.67, None),
        "best_volume": (500, None),
    }
    # in request order, record kinds in a fixed order
    assert [(r.set_id, r.kind) for r in found][:3] == [
        (heavier, RecordKind.HEAVIEST_WEIGHT),
        (heaviest, RecordKind.HEAVIEST_WEIGHT),
        (heaviest, RecordKind.BEST_ONE_REP_MAX),
    ]
    assert all(
        str(r.exercise_id) == (BACK_SQUAT if r.set_id == squat else BENCH_PRESS) for r in found
    )


def test_new_records_of_nothing(
    make_user: Callable[..., UserWithToken], run_db: Callable[[Callable[[Db], Any]], Any]
) -> None:
    user = make_user()

    async def body(db: Db) -> None:
        assert await new_records(db, user_id=user.id, set_ids=[]) == []
        assert await new_records(db, user_id=user.id, set_ids=[uuid.uuid4()]) == []

    run_db(body)


def test_logging_sets_tells_which_records_they_set(make_user: Callable[..., UserWithToken]) -> None:
    user = make_user()
    started = user.post("/v1/sessions", json={})
    assert started.status_code == 201, started.text
    url = f"/v1/sessions/{started.json()['id']}/sets"
    first = user.post(
        url,
        json=[
            {
                "exercise_id": str(BENCH_PRESS),
                "set_type": "warmup",
                "reps": 10,
                "weight": 40,
                "weight_unit": "kg",
            },
            {"exercise_id": str(BENCH_PRESS), "reps": 5, "weight": 80, "weight_unit": "kg"},
        ],
    )
    assert first.status_code == 201, first.text
    _warmup, working = first.json()["sets"]
    # the first working bench press ever holds every record; the warmup none
    assert first.json()["records"] == [
        {
            "set_id": working["id"],
            "exercise_id": str(BENCH_PRESS),
            "kind": kind,
            "value": value,
            "previous": None,
        }
        for kind, value in [
            ("heaviest_weight", 80),
            ("most_reps", 5),
            ("best_one_rep_max", 93.33),
            ("best_volume", 400),
        ]
    ]

    # 225 lb = 102.05828325 kg, 3 reps: heavier and a better 1RM, not more reps or volume
    heavier = user.post(
        url, json={"exercise_id": str(BENCH_PRESS), "reps": 3, "weight": 225, "weight_unit": "lb"}
    )
    assert heavier.status_code == 201, heavier.text
    [logged] = heavier.json()["sets"]
    assert heavier.json()["records"] == [
        {
            "set_id": logged["id"],
            "exercise_id": str(BENCH_PRESS),
            "kind": "heaviest_weight",
            "value": 102.05828325,
            "previous": 80,
        },
        {
            "set_id": logged["id"],
            "exercise_id": str(BENCH_PRESS),
            "kind": "best_one_rep_max",
            "value": 112.26,
            "previous": 93.33,
        },
    ]

    # replaying the same request logs nothing new and tells the same
    replay = user.post(
        url,
        json={
            "id": logged["id"],
            "exercise_id": str(BENCH_PRESS),
            "reps": 3,
            "weight": 225,
            "weight_unit": "lb",
        },
    )
    assert replay.status_code == 200, replay.text
    assert replay.json()["records"] == heavier.json()["records"]

    # a set that beats nothing: no records; and the records endpoint agrees
    nothing = user.post(url, json={"exercise_id": str(BENCH_PRESS), "reps": 2, "weight": 60})
    assert nothing.status_code == 201, nothing.text
    assert nothing.json()["records"] == []
    [item] = user.get("/v1/stats/records").json()["items"]
    assert item["heaviest_weight"]["set_id"] == logged["id"]
    assert item["best_volume"]["set_id"] == working["id"]
