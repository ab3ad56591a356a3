"""What an import creates reaches the change log like the API's own creates: one event per
custom exercise, workout, session, set and body measurement, carrying the document the GET
routes show, in the import's transaction: a second import of the same file, a dry run and a
refused file record none."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from tests.api import UserWithToken, all_pages, assert_error
from tests.conftest import change_events

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
URL = "/v1/imports"


def events_of(db_url: str, user_id: str) -> list[dict[str, Any]]:
    """The user's change log, in position order."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        cursor = conn.execute(
            "SELECT position, event_type::text AS event_type, entity_id::text AS entity_id,"
            " version, document, request_id FROM change_events WHERE user_id = %s"
            " ORDER BY position",
            (user_id,),
        )
        names = [column.name for column in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def upload(user: UserWithToken, name: str, file_format: str, **params: Any) -> Any:
    return user.post(
        URL,
        params={"format": file_format, **params},
        content=(FIXTURES / name).read_bytes(),
        headers={"X-Request-ID": f"import-{name}"},
    )


def test_an_import_records_an_event_for_each_session_set_and_new_exercise(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    response = upload(ann, "hevy.csv", "hevy_csv", timezone="Europe/Berlin")
    assert response.status_code == 201, response.text
    result = response.json()
    events = events_of(db_url, ann.id)
    # gap-free positions, one per entity created, each with the import's request id
    assert [e["position"] for e in events] == list(range(1, len(events) + 1))
    assert len(events) == (
        len(result["exercises_created"]) + result["sessions_created"] + result["sets_created"]
    )
    assert {e["request_id"] for e in events} == {"import-hevy.csv"}

    (exercise,) = result["exercises_created"]
    (created,) = change_events(db_url, entity_id=exercise["id"])
    shown = ann.get(f"/v1/exercises/{exercise['id']}").json()
    assert created["event_type"] == "exercise.created"
    assert created["version"] == shown["version"]
    assert {k: created["document"][k] for k in ("id", "name", "category", "custom")} == {
        k: shown[k] for k in ("id", "name", "category", "custom")
    }

    sessions = all_pages(ann, "/v1/sessions?limit=100")
    assert len(sessions) == result["sessions_created"]
    for summary in sessions:
        session = ann.get(f"/v1/sessions/{summary['id']}").json()
        (event,) = change_events(db_url, entity_id=session["id"])
        assert (event["event_type"], event["version"]) == ("session.created", session["version"])
        document = event["document"]
        assert "sets" not in document
        for field in ("id", "name", "status", "timezone", "notes"):
            assert document[field] == session[field], field
        assert [e["exercise_id"] for e in document["exercises"]] == [
            e["exercise_id"] for e in session["exercises"]
        ]
        assert [e.get("group") for e in document["exercises"]] == [
            e.get("group") for e in session["exercises"]
        ]
        session_position = event["position"]
        for logged in session["sets"]:
            (set_event,) = change_events(db_url, entity_id=logged["id"])
            assert set_event["event_type"] == "set.created"
            assert set_event["position"] > session_position  # after its session's event
            for field in ("id", "exercise_id", "set_type", "reps", "weight", "weight_unit"):
                assert set_event["document"][field] == logged[field], field

    # the same file again, and a dry run, record nothing
    again = upload(ann, "hevy.csv", "hevy_csv", timezone="Europe/Berlin")
    assert again.status_code == 200, again.text
    dry = upload(ann, "strong.csv", "strong_csv", dry_run="true")
    assert dry.status_code == 200, dry.text
    assert dry.json()["sessions_created"] == 2
    assert len(events_of(db_url, ann.id)) == len(events)


def test_a_refused_file_records_no_event(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    body = (
        b"title,start_time,end_time,exercise_title,set_index,set_type,weight_kg,reps\n"
        b'A,"5 Jan 2024, 18:02","5 Jan 2024, 19:00",Sled Drag,0,normal,100,5\n'
        b'A,"5 Jan 2024, 18:02","5 Jan 2024, 19:00",Squat,1,normal,heavy,5\n'
    )
    response = ann.post(URL, params={"format": "hevy_csv"}, content=body)
    assert_error(response, 422, "invalid_file")
    assert events_of(db_url, ann.id) == []


def test_a_kinetria_export_brings_events_for_its_workouts_and_body_measurements(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann, fresh = make_user(), make_user()
    workout = ann.post("/v1/workouts", json={"name": "Legs", "description": "Heavy"}).json()
    squat = ann.get("/v1/exercises", params={"q": "squat", "limit": 1}).json()["items"][0]
    put = ann.put(
        f"/v1/workouts/{workout['id']}/exercises",
        json=[{"exercise_id": squat["id"], "target_sets": 5, "target_reps": 5}],
        headers={"If-Match": f'"{workout["version"]}"'},
    )
    assert put.status_code == 200, put.text
    measured = ann.post(
        "/v1/body-measurements",
        json={"kind": "body_weight", "value": 180.5, "unit": "lb"},
    )
    assert measured.status_code == 201, measured.text
    export = ann.get("/v1/me/export")
    assert export.status_code == 200

    response = fresh.post(URL, params={"format": "kinetria_json"}, content=export.content)
    assert response.status_code == 201, response.text
    events = events_of(db_url, fresh.id)
    assert [e["event_type"] for e in events] == ["workout.created", "body_measurement.created"]

    (imported_workout,) = fresh.get("/v1/workouts").json()["items"]
    shown = fresh.get(f"/v1/workouts/{imported_workout['id']}").json()
    (event,) = change_events(db_url, entity_id=shown["id"])
    assert event["version"] == shown["version"]
    assert (event["document"]["name"], event["document"]["description"]) == ("Legs", "Heavy")
    assert [
        (e["exercise_id"], e["target_sets"], e["target_reps"])
        for e in event["document"]["exercises"]
    ] == [(e["exercise_id"], e["target_sets"], e["target_reps"]) for e in shown["exercises"]]

    (measurement,) = fresh.get("/v1/body-measurements").json()["items"]
    (event,) = change_events(db_url, entity_id=measurement["id"])
    assert event["event_type"] == "body_measurement.created"
    assert (event["document"]["value"], event["document"]["unit"]) == (180.5, "lb")
    assert event["version"] == measurement["version"]
