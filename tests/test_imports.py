"""Imports and exports as a user sees them: Strong's and Hevy's CSV exports bring their
sessions, sets, supersets and exercises along (matched to the catalogue, the rest made the
user's own); a second import of the same file creates nothing; a dry run writes nothing;
what cannot be read is named by line and column; the JSON export imported into a fresh
account gives back the same training, and the CSV export reads back as Hevy's."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from app.core.security import issue_access_token
from app.imports.csv_readers import strong_duration
from app.imports.matching import CatalogueName, Matcher
from app.main import create_app
from tests.api import UserWithToken, all_pages, assert_error
from tests.conftest import audit_rows, make_settings

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
URL = "/v1/imports"


def upload(
    user: UserWithToken, name: str, file_format: str, *, status: int = 201, **params: Any
) -> dict[str, Any]:
    body = (FIXTURES / name).read_bytes()
    response = user.post(
        URL,
        params={"format": file_format, **params},
        content=body,
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == status, response.text
    return response.json()


def sessions_of(user: UserWithToken) -> list[dict[str, Any]]:
    summaries = all_pages(user, "/v1/sessions?limit=100")
    full = [user.get(f"/v1/sessions/{s['id']}").json() for s in summaries]
    return sorted(full, key=lambda s: s["started_at"])


def test_a_strong_file_imports_with_its_counts_and_twice_creates_nothing(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    result = upload(ann, "strong.csv", "strong_csv", timezone="Europe/Paris", weight_unit="kg")
    assert (result["rows"], result["sessions_created"], result["sets_created"]) == (12, 2, 9)
    assert {s["reason"]: s["rows"] for s in result["skipped"]} == {
        "rest_timer": 1,
        "empty_set": 1,
        "no_exercise": 1,
    }
    assert result["unmatched_names"] == ["Landmine Press"]
    assert (
        len(
            [
                r
                for r in audit_rows(db_url, "create")
                if r["entity_type"] == "imports" and r["user_id"] == ann.id
            ]
        )
        == 1
    )

    again = upload(ann, "strong.csv", "strong_csv", status=200, timezone="Europe/Paris")
    assert (again["sessions_created"], again["sets_created"], again["exercises_created"]) == (
        0,
        0,
        [],
    )
    assert again["sessions_in_file"] == 2
    assert len(sessions_of(ann)) == 2
    custom = ann.get("/v1/exercises", params={"mine": "true", "limit": 100}).json()["items"]
    assert [e["name"] for e in custom if e["custom"]] == ["Landmine Press"]


def test_strong_fields_are_read_as_written(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    upload(ann, "strong.csv", "strong_csv", timezone="Europe/Paris", weight_unit="kg")
    push, cardio = sessions_of(ann)
    assert push["name"] == "Push Day"
    assert push["status"] == "completed"
    assert push["started_at"].startswith("2024-01-05T17:02:11")  # 18:02 in Paris
    assert push["ended_at"].startswith("2024-01-05T18:07:11")  # 1h 5m later
    assert push["timezone"] == "Europe/Paris"
    assert push["notes"] == "Felt strong;\nslept well"
    sets = push["sets"]
    assert [s["exercise_name"] for s in sets] == [
        "Barbell Bench Press",
        "Barbell Bench Press",
        "Barbell Bench Press",
        "Overhead Press",
        "Parallel Bar Dip",
        "Parallel Bar Dip",
        "Landmine Press",
    ]
    assert [s["set_type"] for s in sets] == [
        "warmup",
        "normal",
        "normal",
        "normal",
        "normal",
        "dropset",
        "normal",
    ]
    assert (sets[2]["weight"], sets[2]["rpe"]) == (82.5, 8.5)  # decimal commas
    assert sets[1]["notes"] == "Paused, 1 s"
    assert sets[4]["weight"] is None
    assert sets[4]["reps"] == 12
    assert [e["exercise_name"] for e in push["exercises"]] == [
        "Barbell Bench Press",
        "Overhead Press",
        "Parallel Bar Dip",
        "Landmine Press",
    ]
    run, plank = cardio["sets"]
    assert (run["distance_m"], run["duration_s"], run["reps"]) == (5200.0, 1800, None)
    assert (plank["duration_s"], plank["exercise_name"]) == (90, "Plank")


def test_an_older_strong_file_in_pounds(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    result = upload(ann, "strong_old.csv", "strong_csv", timezone="America/New_York")
    assert (result["sessions_created"], result["sets_created"], result["unmatched_names"]) == (
        1,
        3,
        [],
    )
    (legs,) = sessions_of(ann)
    assert legs["started_at"].startswith("2021-03-02T11:15:00")
    assert legs["ended_at"].startswith("2021-03-02T12:07:00")
    squat = legs["sets"][0]
    assert (squat["exercise_name"], squat["weight"], squat["weight_unit"]) == (
        "Barbell Back Squat",
        225.0,
        "lb",
    )


def test_a_hevy_file_brings_its_supersets(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    result = upload(ann, "hevy.csv", "hevy_csv", timezone="Europe/Berlin")
    assert (result["rows"], result["sessions_created"], result["sets_created"]) == (12, 2, 11)
    assert result["unmatched_names"] == ["Sled Push"]
    assert result["skipped"] == [{"reason": "empty_set", "rows": 1}]
    upper, conditioning = sessions_of(ann)
    assert upper["name"] == "Upper, heavy"
    assert upper["notes"] == "Good day, new PR"
    plan = upper["exercises"]
    assert [(e["exercise_name"], e["group"]) for e in plan] == [
        ("Barbell Bench Press", None),
        ("Dumbbell Curl", {"key": "0", "kind": "superset", "position": 0}),
        ("Triceps Pushdown", {"key": "0", "kind": "superset", "position": 1}),
        ("Pull-Up", None),
    ]
    assert plan[0]["notes"] == "Grip: medium\nelbows in"
    assert [s["set_type"] for s in upper["sets"]][:3] == ["warmup", "normal", "failure"]
    assert upper["sets"][1]["rpe"] == 9.0
    assert upper["sets"][-1]["weight"] is None
    assert upper["sets"][-1]["reps"] == 10
    # an overnight session: 23:40 to 00:25 in Berlin
    assert conditioning["started_at"].startswith("2024-01-06T22:40")
    assert conditioning["ended_at"].startswith("2024-01-06T23:25")
    row = conditioning["sets"][1]
    assert (row["exercise_name"], row["distance_m"], row["duration_s"]) == (
        "Rowing Machine",
        2500.0,
        600,
    )
    upload(ann, "hevy.csv", "hevy_csv", status=200, timezone="Europe/Berlin")
    assert len(sessions_of(ann)) == 2


def test_a_dry_run_answers_the_counts_and_writes_nothing(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    result = upload(ann, "hevy.csv", "hevy_csv", status=200, dry_run="true")
    assert result["dry_run"] is True
    assert (result["sessions_created"], result["sets_created"]) == (2, 11)
    assert [e["name"] for e in result["exercises_created"]] == ["Sled Push"]
    assert sessions_of(ann) == []
    assert [
        r
        for r in audit_rows(db_url, "create")
        if r["entity_type"] == "imports" and r["user_id"] == ann.id
    ] == []
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM exercises WHERE user_id = %s", (ann.id,))
        assert row.fetchone() == (0,)


def _send(user: UserWithToken, body: bytes, file_format: str = "hevy_csv", **params: Any) -> Any:
    return user.post(URL, params={"format": file_format, **params}, content=body)


HEVY_HEADER = b"title,start_time,end_time,exercise_title,set_index,set_type,weight_kg,reps\n"


def test_errors_name_the_line_and_the_column(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    body = HEVY_HEADER + (
        b'A,"5 Jan 2024, 18:02","5 Jan 2024, 19:00",Squat,0,normal,100,5\n'
        b'A,"5 Jan 2024, 18:02","5 Jan 2024, 19:00",Squat,1,normal,heavy,5\n'
    )
    error = assert_error(_send(ann, body), 422, "invalid_file")
    assert error["details"][0]["line"] == 3
    assert error["details"][0]["column"] == "weight_kg"
    assert "line 3, column weight_kg" in error["message"]

    bad_date = HEVY_HEADER + b"A,yesterday,,Squat,0,normal,100,5\n"
    error = assert_error(_send(ann, bad_date), 422, "invalid_file")
    assert error["details"][0]["column"] == "start_time"
    bad_rpe = b"title,start_time,exercise_title,reps,rpe\nA,2024-01-05 10:00,Squat,5,11\n"
    assert assert_error(_send(ann, bad_rpe), 422, "invalid_file")["details"][0]["column"] == "rpe"
    heavy = HEVY_HEADER + b'A,"5 Jan 2024, 18:02",,Squat,0,normal,1600,1\n'
    assert_error(_send(ann, heavy), 422, "invalid_file")
    kind = HEVY_HEADER + b'A,"5 Jan 2024, 18:02",,Squat,0,superslow,100,1\n'
    assert assert_error(_send(ann, kind), 422, "invalid_file")["details"][0]["column"] == "set_type"
    missing = b"title,exercise_title\nA,Squat\n"
    error = assert_error(_send(ann, missing), 422, "invalid_file")
    assert (error["details"][0]["line"], error["details"][0]["column"]) == (1, "start_time")
    assert_error(_send(ann, b"\xff\xfe not text"), 422, "invalid_file")
    bad_order = (
        b"Date,Workout Name,Exercise Name,Set Order,Weight,Reps\n2024-01-05 10:00,A,Squat,X,1,1\n"
    )
    error = assert_error(_send(ann, bad_order, "strong_csv"), 422, "invalid_file")
    assert error["details"][0]["column"] == "Set Order"
    assert_error(_send(ann, b"{", "kinetria_json"), 422, "invalid_file")
    wrong = b'{"format": "kinetria_export", "version": "one"}'
    assert_error(_send(ann, wrong, "kinetria_json"), 422, "invalid_file")
    # nothing was written by any of them
    assert sessions_of(ann) == []


def test_bad_parameters(make_user: Callable[..., UserWithToken], client: Any) -> None:
    ann = make_user()
    body = (FIXTURES / "hevy.csv").read_bytes()
    assert_error(_send(ann, body, timezone="Mars/Olympus"), 422, "invalid_timezone")
    assert ann.post(URL, params={"format": "fitbod_csv"}, content=body).status_code == 400
    assert ann.post(URL, content=body).status_code == 400  # format is required
    assert _send(ann, body, weight_unit="stone").status_code == 400
    assert client.post(URL, params={"format": "hevy_csv"}, content=body).status_code == 401


def test_a_file_above_import_max_bytes_is_refused(db_url: str) -> None:
    settings = make_settings(db_url, import_max_bytes=1024)
    with TestClient(create_app(settings)) as client:
        with psycopg.connect(db_url, autocommit=True) as conn:
            user_id = conn.execute(
                "INSERT INTO users (id, email, password_hash, display_name)"
                " VALUES (gen_random_uuid(), 'big@example.com', 'x', 'Big') RETURNING id"
            ).fetchone()[0]  # type: ignore[index]
        token = issue_access_token(settings, user_id)
        headers = {"Authorization": f"Bearer {token}"}
        big = HEVY_HEADER + b"x" * 2000
        response = client.post(URL, params={"format": "hevy_csv"}, content=big, headers=headers)
        assert_error(response, 413, "payload_too_large")
        # a body larger than MAX_BODY_BYTES is still fine for an import up to its own limit
        small = (FIXTURES / "strong_old.csv").read_bytes()
        response = client.post(URL, params={"format": "strong_csv"}, content=small, headers=headers)
        assert response.status_code == 201, response.text


def test_another_users_import_is_theirs_alone(make_user: Callable[..., UserWithToken]) -> None:
    ann, bob = make_user(), make_user()
    upload(ann, "hevy.csv", "hevy_csv")
    assert upload(bob, "hevy.csv", "hevy_csv")["sessions_created"] == 2  # ids differ per user
    ann_ids = {s["id"] for s in sessions_of(ann)}
    for session_id in ann_ids:
        assert_error(bob.get(f"/v1/sessions/{session_id}"), 404, "session_not_found")


def _training(user: UserWithToken) -> dict[str, Any]:
    """What an account holds, without its ids and timestamps of writing."""

    def plan(entries: list[dict[str, Any]]) -> list[Any]:
        return [{k: v for k, v in e.items() if k != "exercise_id"} for e in entries]

    sessions = [
        {
            "name": s["name"],
            "status": s["status"],
            "started_at": s["started_at"],
            "ended_at": s["ended_at"],
            "timezone": s["timezone"],
            "notes": s["notes"],
            "from_workout": s["workout_id"] is not None,
            "exercises": plan(s["exercises"]),
            "sets": [
                {
                    k: v
                    for k, v in r.items()
                    if k
                    not in (
                        "id",
                        "session_id",
                        "exercise_id",
                        "version",
                        "created_at",
                        "updated_at",
                    )
                }
                for r in s["sets"]
            ],
        }
        for s in sessions_of(user)
    ]
    workouts = sorted(
        (
            {
                "name": w["name"],
                "description": w["description"],
                "status": w["status"],
                "exercises": plan(user.get(f"/v1/workouts/{w['id']}").json()["exercises"]),
            }
            for w in all_pages(user, "/v1/workouts?limit=100")
        ),
        key=lambda w: w["name"],
    )
    measurements = sorted(
        (
            {k: m[k] for k in ("kind", "value", "unit", "measured_at", "timezone", "notes")}
            for m in all_pages(user, "/v1/body-measurements?limit=100")
        ),
        key=lambda m: m["measured_at"],
    )
    custom = sorted(
        (e["name"], e["category"], e["primary_muscle"], e["description"])
        for e in all_pages(user, "/v1/exercises?mine=true&limit=100")
        if e["custom"]
    )
    return {
        "sessions": sessions,
        "workouts": workouts,
        "measurements": measurements,
        "custom": custom,
    }


def _fill(ann: UserWithToken) -> None:
    upload(ann, "hevy.csv", "hevy_csv", timezone="Europe/Berlin")
    upload(ann, "strong.csv", "strong_csv", timezone="Europe/Paris")
    catalogue = ann.get("/v1/exercises", params={"q": "squat", "limit": 5}).json()["items"]
    custom = ann.post(
        "/v1/exercises",
        json={"name": "Zercher Carry", "category": "strength", "primary_muscle": "full_body"},
    )
    assert custom.status_code == 201, custom.text
    workout = ann.post("/v1/workouts", json={"name": "Legs", "description": "Heavy"}).json()
    put = ann.put(
        f"/v1/workouts/{workout['id']}/exercises",
        json=[
            {
                "exercise_id": catalogue[0]["id"],
                "target_sets": 5,
                "target_reps": 5,
                "group": {"key": "A", "kind": "superset"},
            },
            {
                "exercise_id": custom.json()["id"],
                "target_sets": 3,
                "group": {"key": "A", "kind": "superset"},
            },
        ],
        headers={"If-Match": f'"{workout["version"]}"'},
    )
    assert put.status_code == 200, put.text
    started = ann.post(
        "/v1/sessions",
        json={
            "workout_id": workout["id"],
            "timezone": "Asia/Tokyo",
            "started_at": "2024-02-01T09:00:00+09:00",
        },
    ).json()
    logged = ann.post(
        f"/v1/sessions/{started['id']}/sets",
        json=[
            {
                "exercise_id": catalogue[0]["id"],
                "reps": 5,
                "weight": 225.5,
                "weight_unit": "lb",
                "performed_at": "2024-02-01T09:10:00+09:00",
            }
        ],
    )
    assert logged.status_code == 201, logged.text
    assert ann.post(f"/v1/sessions/{started['id']}/finish").status_code == 200
    for body in (
        {
            "kind": "body_weight",
            "value": 180.5,
            "unit": "lb",
            "measured_at": "2024-02-01T07:00:00Z",
        },
        {
            "kind": "waist",
            "value": 84.2,
            "measured_at": "2024-02-02T07:00:00Z",
            "timezone": "Europe/Paris",
        },
    ):
        assert ann.post("/v1/body-measurements", json=body).status_code == 201


def test_the_json_export_imported_into_a_fresh_account_gives_the_same_training(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann, fresh = make_user(), make_user()
    _fill(ann)
    response = ann.get("/v1/me/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "attachment" in response.headers["content-disposition"]
    document = response.json()
    assert (document["format"], document["version"]) == ("kinetria_export", 1)
    assert document["profile"]["email"] == ann.email
    assert len(document["sessions"]) == 5
    assert len(document["body_measurements"]) == 2

    result = fresh.post(URL, params={"format": "kinetria_json"}, content=response.content)
    assert result.status_code == 201, result.text
    assert (result.json()["workouts_created"], result.json()["body_measurements_created"]) == (1, 2)
    assert _training(fresh) == _training(ann)
    again = fresh.post(URL, params={"format": "kinetria_json"}, content=response.content)
    assert again.status_code == 200
    assert again.json()["sets_created"] == 0
    assert _training(fresh) == _training(ann)


def test_the_csv_export_has_one_row_per_set_and_reads_back_as_hevy(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann, fresh = make_user(), make_user()
    upload(ann, "hevy.csv", "hevy_csv", timezone="Europe/Berlin")
    upload(ann, "strong_old.csv", "strong_csv", timezone="America/New_York")
    response = ann.get("/v1/me/export", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    assert len(rows) == 14
    squat = next(r for r in rows if r["exercise_title"] == "Barbell Back Squat")
    assert (squat["weight"], squat["weight_unit"], squat["start_time"]) == (
        "225",
        "lb",
        "2021-03-02T06:15:00-05:00",
    )
    assert squat["weight_kg"].startswith("102.0582")
    curl = next(r for r in rows if r["exercise_title"] == "Dumbbell Curl")
    assert curl["superset_id"] == "0"
    notes = next(r for r in rows if r["exercise_title"] == "Barbell Bench Press")
    assert notes["exercise_notes"] == "Grip: medium\nelbows in"

    result = fresh.post(URL, params={"format": "hevy_csv"}, content=response.content)
    assert result.status_code == 201, result.text
    assert (result.json()["sessions_created"], result.json()["sets_created"]) == (3, 14)
    mine, theirs = _training(ann)["sessions"], _training(fresh)["sessions"]
    assert [s["sets"] for s in theirs] == [
        [{**r, "performed_at": t["sets"][0]["performed_at"]} for r in s["sets"]]
        for s, t in zip(mine, theirs, strict=True)
    ]


def test_an_empty_account_exports(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    document = ann.get("/v1/me/export").json()
    assert (document["sessions"], document["workouts"], document["exercises"]) == ([], [], [])
    assert ann.get("/v1/me/export", params={"format": "csv"}).text.startswith("title,start_time")
    assert ann.get("/v1/me/export", params={"format": "xml"}).status_code == 400


NAMES = [
    CatalogueName(exercise_id=uuid.UUID(int=i), name=n, source=s)
    for i, (n, s) in enumerate(
        [
            ("Barbell Bench Press", "system"),
            ("Leg Press", "system"),
            ("Push-Up", "system"),
            ("Bench Press", "alias"),
            ("My Crazy Lift", "custom"),
        ]
    )
]


@pytest.mark.parametrize(
    ("written", "found"),
    [
        ("barbell bench press", 0),
        ("BARBELL  BENCH-PRESS", 0),
        ("Bench Press (Barbell)", 0),  # the suffix in front
        ("Bench Press", 3),  # an alias
        ("Leg Press (Machine)", 1),  # the suffix dropped, a system name
        ("Bench Press (Smith Machine)", None),  # dropped, only an alias: not matched
        ("push up", 2),
        ("Push\u2013Up", 2),  # an en dash
        ("my crazy lift", 4),
        ("Pùsh Up", 2),  # accents
        ("Squat", None),
    ],
)
def test_catalogue_matching_rules(written: str, found: int | None) -> None:
    match = Matcher(NAMES).find(written)
    assert match == (None if found is None else NAMES[found].exercise_id)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1h 5m", 3900), ("45m", 2700), ("30s", 30), ("1:05:00", 3900), ("3900", 3900), ("", 0)],
)
def test_strong_durations(text: str, seconds: int) -> None:
    assert strong_duration(text, 2, "Duration") == seconds


def test_json_is_what_the_export_writes(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    text = ann.get("/v1/me/export").text
    assert json.loads(text)["exported_at"]
