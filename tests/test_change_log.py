"""The change log is written in the transaction of the change: a write that fails leaves no
event, and every write that commits has its event, at the next position of its user."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import psycopg

from tests.api import UserWithToken
from tests.catalogue import BENCH_PRESS


def user_events(db_url: str, user_id: uuid.UUID) -> list[dict[str, Any]]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        cursor = conn.execute(
            "SELECT position, event_type::text AS event_type, entity_id::text AS entity_id,"
            " version, document FROM change_events WHERE user_id = %s ORDER BY position",
            (user_id,),
        )
        names = [column.name for column in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def assert_gap_free(events: list[dict[str, Any]]) -> None:
    positions = [e["position"] for e in events]
    assert positions == list(range(positions[0], positions[0] + len(positions))), positions


def test_a_batch_that_fails_half_way_records_no_event(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    session = ann.post("/v1/sessions", json={})
    assert session.status_code == 201, session.text
    session_id = session.json()["id"]
    before = user_events(db_url, ann.id)
    assert [e["event_type"] for e in before][-1] == "session.created"
    batch = [
        {"exercise_id": BENCH_PRESS, "reps": 5, "weight": 100},
        {"exercise_id": BENCH_PRESS, "reps": 5, "weight": 100},
        {"exercise_id": str(uuid.uuid4()), "reps": 5},
        {"exercise_id": BENCH_PRESS, "reps": 5, "weight": 100},
    ]
    refused = ann.post(f"/v1/sessions/{session_id}/sets", json=batch)
    assert refused.status_code == 422, refused.text
    # no set event, no session.updated, and no position taken
    assert user_events(db_url, ann.id) == before
    logged = ann.post(f"/v1/sessions/{session_id}/sets", json=batch[:2])
    assert logged.status_code == 201, logged.text
    after = user_events(db_url, ann.id)
    assert after[: len(before)] == before
    assert_gap_free(after)
    assert after[len(before)]["position"] == before[-1]["position"] + 1
    assert sorted(e["event_type"] for e in after[len(before) :]) == [
        "session.updated",
        "set.created",
        "set.created",
    ]


def test_every_committed_write_has_its_event(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    session_id = ann.post("/v1/sessions", json={}).json()["id"]
    writes: list[tuple[str, Callable[[], Any]]] = [
        (
            "exercise.created",
            lambda: ann.post(
                "/v1/exercises",
                json={"name": "Ann's curl", "category": "strength", "primary_muscle": "biceps"},
            ),
        ),
        (
            "workout.created",
            lambda: ann.post("/v1/workouts", json={"name": "Push"}),
        ),
        (
            "body_measurement.created",
            lambda: ann.post(
                "/v1/body-measurements", json={"kind": "body_weight", "value": 80, "unit": "kg"}
            ),
        ),
        ("profile.updated", lambda: ann.patch("/v1/me", json={"display_name": "Ann"})),
        (
            "session.completed",
            lambda: ann.post(f"/v1/sessions/{session_id}/finish", json={}),
        ),
    ]
    for event_type, write in writes:
        before = user_events(db_url, ann.id)
        response = write()
        assert response.status_code in (200, 201), (event_type, response.text)
        body = response.json()
        after = user_events(db_url, ann.id)
        assert len(after) == len(before) + 1, event_type
        [event] = after[len(before) :]
        assert event["event_type"] == event_type
        assert event["entity_id"] == body["id"]
        assert event["version"] == body["version"]
        expected = {k: v for k, v in body.items() if k != "sets"}
        assert event["document"] == expected, event_type
    assert_gap_free(user_events(db_url, ann.id))
