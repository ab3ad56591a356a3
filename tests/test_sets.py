"""Logging sets as a phone on a flaky connection does: one set or a batch, all or nothing,
retries that never duplicate, weights that round-trip in the unit entered, corrections
after the fact, and every way of getting a set wrong."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.api import TokenClient, UserWithToken
from tests.catalogue import BENCH_PRESS
from tests.conftest import change_events


def start(user: TokenClient) -> str:
    response = user.post("/v1/sessions", json={})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def log(user: TokenClient, session_id: str, body: Any) -> Any:
    return user.post(f"/v1/sessions/{session_id}/sets", json=body)


def session_doc(user: TokenClient, session_id: str) -> dict[str, Any]:
    response = user.get(f"/v1/sessions/{session_id}")
    assert response.status_code == 200
    return response.json()


def stored_sets(db_url: str, session_id: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute(
            "SELECT position, weight_kg, weight_unit::text FROM set_records"
            " WHERE session_id = %s ORDER BY position",
            (session_id,),
        ).fetchall()


def test_one_set_as_an_object(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    session_id = start(ann)
    response = log(
        ann,
        session_id,
        {
            "exercise_id": BENCH_PRESS,
            "set_type": "warmup",
            "reps": 8,
            "weight": 60,
            "weight_unit": "kg",
            "rpe": 6.5,
            "notes": "easy",
            "performed_at": "2026-06-01T18:05:00+02:00",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["session_version"] == 2
    (logged,) = body["sets"]
    assert logged["session_id"] == session_id
    assert logged["exercise_name"] == "Barbell Bench Press"
    assert (logged["position"], logged["set_type"], logged["reps"]) == (0, "warmup", 8)
    assert (logged["weight"], logged["weight_unit"], logged["rpe"]) == (60, "kg", 6.5)
    assert logged["performed_at"] == "2026-06-01T16:05:00Z"
    assert logged["notes"] == "easy"
    assert logged["version"] == 1

    doc = session_doc(ann, session_id)
    assert doc["sets"] == [logged]
    assert doc["version"] == 2


def test_a_batch_keeps_its_order_after_earlier_sets(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann = make_user()
    session_id = start(ann)
    log(ann, session_id, {"exercise_id": BENCH_PRESS, "reps": 10})
    batch = [{"exercise_id": BENCH_PRESS, "reps": reps, "weight": 80} for reps in (5, 4, 3)]
    response = log(ann, session_id, batch)
    assert response.status_code == 201
    assert [(s["position"], s["reps"]) for s in response.json()["sets"]] == [
        (1, 5),
        (2, 4),
        (3, 3),
    ]
    assert [s["reps"] for s in session_doc(ann, session_id)["sets"]] == [10, 5, 4, 3]


def test_logging_ten_sets_is_one_statement_with_the_records_they_set(
    make_user: Callable[..., UserWithToken], statements: list[str]
) -> None:
    ann = make_user()
    session_id = start(ann)
    statements.clear()
    response = log(ann, session_id, [{"exercise_id": BENCH_PRESS, "reps": 5}] * 10)
    assert response.status_code == 201
    assert [r["kind"] for r in response.json()["records"]] == ["most_reps"]
    # the user's write limit counts the request (autocommit, before the handler), then the
    # sets, the records they set (against personal_bests) and the bests they update, in one
    # statement
    assert statements == ["ratelimit/hit", "sets/log"]


def test_weights_round_trip_in_the_unit_entered(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    session_id = start(ann)
    weights = [
        (225, "lb"),
        (135.5, "lb"),
        (0.001, "lb"),
        (3306.9, "lb"),
        (102.5, "kg"),
        (0.1, "kg"),
        (1500, "kg"),
        (0, "kg"),
    ]
    response = log(
        ann,
        session_id,
        [
            {"exercise_id": BENCH_PRESS, "reps": 1, "weight": w, "weight_unit": u}
            for w, u in weights
        ],
    )
    assert response.status_code == 201, response.text
    shown = [(s["weight"], s["weight_unit"]) for s in response.json()["sets"]]
    assert shown == weights
    again = [(s["weight"], s["weight_unit"]) for s in session_doc(ann, session_id)["sets"]]
    assert again == weights
    kilograms = [row[1] for row in stored_sets(db_url, session_id)]
    assert kilograms[0] == Decimal("102.05828325")  # 225 lb, exactly, in kg
    assert kilograms[4] == Decimal("102.5")


def test_weight_without_unit_is_in_the_preferred_unit(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("UPDATE users SET preferred_weight_unit = 'lb' WHERE id = %s", (ann.id,))
    session_id = start(ann)
    response = log(ann, session_id, {"exercise_id": BENCH_PRESS, "reps": 5, "weight": 95})
    (logged,) = response.json()["sets"]
    assert (logged["weight"], logged["weight_unit"]) == (95, "lb")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"reps": -1}, "[1].reps"),
        ({"reps": 1001}, "[1].reps"),
        ({"reps": "many"}, "[1].reps"),
        ({"reps": "5"}, "[1].reps"),  # a number in a string is a wrong type too
        ({"weight": "100"}, "[1].weight"),
        ({"reps": True}, "[1].reps"),
        ({"weight": -5}, "[1].weight"),
        ({"weight": 3307}, "[1].weight"),
        ({"weight": 1500.5, "weight_unit": "kg"}, "[1]"),
        ({"weight": 100.0005}, "[1]"),
        ({"weight_unit": "stone", "weight": 10}, "[1].weight_unit"),
        ({"rpe": 10.5}, "[1].rpe"),
        ({"rpe": 0}, "[1].rpe"),
        ({"rpe": 7.3}, "[1].rpe"),
        ({"duration_s": 86401}, "[1].duration_s"),
        ({"distance_m": -1}, "[1].distance_m"),
        ({"set_type": "superset"}, "[1].set_type"),
        ({"performed_at": "2026-01-01T10:00:00"}, "[1].performed_at"),
        ({"notes": "x" * 10_001}, "[1].notes"),
        ({"exercise_id": "bench"}, "[1].exercise_id"),
        ({"exercise_id": None}, "[1].exercise_id"),
        ({"position": 3}, "[1].position"),
        ({"id": "abc"}, "[1].id"),
    ],
)
def test_one_bad_set_refuses_the_whole_batch(
    make_user: Callable[..., UserWithToken],
    db_url: str,
    fields: dict[str, Any],
    field: str,
) -> None:
    ann = make_user()
    session_id = start(ann)
    good = {"exercise_id": BENCH_PRESS, "reps": 5, "weight": 100}
    response = log(ann, session_id, [good, {**good, **fields}, good])
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["error_code"] == "validation_error"
    assert error["details"][0]["field"] == field
    assert error["details"][0]["source"] == "body"
    assert stored_sets(db_url, session_id) == []
    assert session_doc(ann, session_id)["version"] == 1


def test_a_set_needs_a_measurement(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    session_id = start(ann)
    response = log(ann, session_id, {"exercise_id": BENCH_PRESS, "notes": "did stuff"})
    assert response.status_code == 400
    assert "at least one of" in response.json()["details"][0]["message"]
    response = log(ann, session_id, {"exercise_id": BENCH_PRESS})
    assert response.status_code == 400


@pytest.mark.parametrize("body", [[], [{"exercise_id": BENCH_PRESS, "reps": 1}] * 501, "five"])
def test_batch_size_and_shape(
    make_user: Callable[..., UserWithToken], db_url: str, body: Any
) -> None:
    ann = make_user()
    session_id = start(ann)
    response = log(ann, session_id, body)
    assert response.status_code == 400, response.text
    assert stored_sets(db_url, session_id) == []


def test_five_hundred_sets_at_once(make_user: Callable[..., UserWithToken], db_url: str) -> None:
    ann = make_user()
    session_id = start(ann)
    batch = [{"exercise_id": BENCH_PRESS, "reps": i % 20, "weight": i / 4} for i in range(500)]
    response = log(ann, session_id, batch)
    assert response.status_code == 201
    assert [s["reps"] for s in response.json()["sets"]] == [i % 20 for i in range(500)]
    assert len(stored_sets(db_url, session_id)) == 500
    with psycopg.connect(db_url, autocommit=True) as conn:
        audited = conn.execute(
            "SELECT count(*) FROM change_events WHERE event_type = 'set.created'"
            " AND document->>'session_id' = %s",
            (session_id,),
        ).fetchone()
    assert audited == (500,)


def test_oversized_body_is_413(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    session_id = start(ann)
    big = [{"exercise_id": BENCH_PRESS, "reps": 1, "notes": "x" * 9000}] * 200
    response = log(ann, session_id, big)
    assert response.status_code == 413
    assert response.json()["error_code"] == "payload_too_large"


def test_exercises_you_cannot_use_refuse_the_batch(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann, bob = make_user(), make_user()
    bobs = bob.post(
        "/v1/exercises",
        json={"name": "Bob's curl", "category": "strength", "primary_muscle": "biceps"},
    ).json()
    anns = ann.post(
        "/v1/exercises",
        json={"name": "Ann's curl", "category": "strength", "primary_muscle": "biceps"},
    ).json()
    session_id = start(ann)
    batch = [
        {"exercise_id": anns["id"], "reps": 10},
        {"exercise_id": bobs["id"], "reps": 10},
        {"exercise_id": BENCH_PRESS, "reps": 10},
        {"exercise_id": str(uuid.uuid4()), "reps": 10},
    ]
    response = log(ann, session_id, batch)
    assert response.status_code == 422
    error = response.json()
    assert error["error_code"] == "unknown_exercise"
    assert [d["field"] for d in error["details"]] == ["[1].exercise_id", "[3].exercise_id"]
    assert stored_sets(db_url, session_id) == []
    with psycopg.connect(db_url, autocommit=True) as conn:  # nor any audit row
        audited = conn.execute(
            "SELECT count(*) FROM change_events WHERE user_id = %s AND entity_type = 'set'",
            (ann.id,),
        ).fetchone()
    assert audited == (0,)
    assert session_doc(ann, session_id)["version"] == 1
    single = log(ann, session_id, {"exercise_id": bobs["id"], "reps": 1})
    assert single.json()["details"][0]["field"] == "exercise_id"
    ok = log(ann, session_id, batch[0])  # your own custom exercise is fine
    assert ok.status_code == 201


def test_replays_never_duplicate(make_user: Callable[..., UserWithToken], db_url: str) -> None:
    ann = make_user()
    session_id = start(ann)
    first = [
        {
            "id": str(uuid.uuid4()),
            "exercise_id": BENCH_PRESS,
            "reps": 5,
            "weight": 225,
            "weight_unit": "lb",
        },
        {"id": str(uuid.uuid4()), "exercise_id": BENCH_PRESS, "reps": 5, "weight": 100.5, "rpe": 9},
    ]
    created = log(ann, session_id, first)
    assert created.status_code == 201
    replay = log(ann, session_id, first)
    assert replay.status_code == 200
    assert replay.json() == created.json()

    # a later batch that repeats an unacknowledged set and adds a new one
    new = {"id": str(uuid.uuid4()), "exercise_id": BENCH_PRESS, "reps": 3, "weight": 110}
    mixed = log(ann, session_id, [first[1], new])
    assert mixed.status_code == 201
    assert [s["id"] for s in mixed.json()["sets"]] == [first[1]["id"], new["id"]]
    assert [s["position"] for s in mixed.json()["sets"]] == [1, 2]
    assert len(stored_sets(db_url, session_id)) == 3

    # the same id with other content is a conflict, and nothing of the batch is written
    changed = {**first[0], "reps": 6}
    conflict = log(ann, session_id, [{"exercise_id": BENCH_PRESS, "reps": 1}, changed])
    assert conflict.status_code == 409
    assert conflict.json()["error_code"] == "id_conflict"
    assert conflict.json()["details"] == [{"field": "[1].id", "source": "body"}]
    assert len(stored_sets(db_url, session_id)) == 3

    # a set id used in another session, or by another user, is taken
    other_session = {**first[0]}
    ann.post(f"/v1/sessions/{session_id}/finish")
    assert log(ann, start(ann), other_session).status_code == 409
    bob = make_user()
    assert log(bob, start(bob), other_session).status_code == 409

    # a retry that arrives after the session was finished is still a replay
    late = log(ann, session_id, first)
    assert late.status_code == 200
    assert late.json()["sets"] == created.json()["sets"]


def test_duplicate_ids_in_one_batch_are_400(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    session_id = start(ann)
    same = str(uuid.uuid4())
    response = log(
        ann,
        session_id,
        [{"id": same, "exercise_id": BENCH_PRESS, "reps": 1}] * 2,
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "duplicate_id"
    assert response.json()["details"][0]["field"] == "[1].id"


def test_only_a_session_in_progress_takes_new_sets(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    for end in ("finish", "abandon"):
        session_id = start(ann)
        ann.post(f"/v1/sessions/{session_id}/{end}")
        response = log(ann, session_id, {"exercise_id": BENCH_PRESS, "reps": 1})
        assert response.status_code == 409
        assert response.json()["error_code"] == "session_not_in_progress"
        assert session_doc(ann, session_id)["sets"] == []
    missing = log(ann, str(uuid.uuid4()), {"exercise_id": BENCH_PRESS, "reps": 1})
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "session_not_found"


def test_batches_sent_at_once_get_distinct_positions(
    settings: Settings, make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        session_id = start(ann.on(one))
        batch = [{"exercise_id": BENCH_PRESS, "reps": 5}] * 10

        def send(caller: TokenClient) -> int:
            return log(caller, session_id, batch).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(send, [ann.on(one), ann.on(two)] * 6))
    assert codes == [201] * 12
    positions = [row[0] for row in stored_sets(db_url, session_id)]
    assert positions == list(range(120))


# --- corrections -------------------------------------------------------------------------------


def logged_set(user: TokenClient, session_id: str, **fields: Any) -> dict:
    body = {"exercise_id": BENCH_PRESS, "reps": 5, "weight": 100, "rpe": 8, **fields}
    response = log(user, session_id, body)
    assert response.status_code == 201, response.text
    return response.json()["sets"][0]


def test_correcting_a_set(make_user: Callable[..., UserWithToken], db_url: str) -> None:
    ann = make_user()
    session_id = start(ann)
    made = logged_set(ann, session_id)
    url = f"/v1/sessions/{session_id}/sets/{made['id']}"

    got = ann.get(url)
    assert got.status_code == 200
    assert got.json() == made
    assert ann.get(url, headers={"If-None-Match": '"1"'}).status_code == 304

    fixed = ann.patch(url, json={"reps": 6, "rpe": None}, headers={"If-Match": '"1"'})
    assert fixed.status_code == 200, fixed.text
    body = fixed.json()
    assert (body["reps"], body["rpe"], body["weight"], body["version"]) == (6, None, 100, 2)
    assert fixed.headers["etag"] == '"2"'
    assert session_doc(ann, session_id)["version"] == 3  # the session moved too

    # only the unit was wrong: the number stays, read in the new unit
    unit = ann.patch(url, json={"weight_unit": "lb"}).json()
    assert (unit["weight"], unit["weight_unit"]) == (100, "lb")
    assert stored_sets(db_url, session_id)[0][1] == Decimal("45.359237")
    both = ann.patch(url, json={"weight": 102.5, "weight_unit": "kg"})
    assert (both.json()["weight"], both.json()["weight_unit"]) == (102.5, "kg")

    stale = ann.patch(url, json={"reps": 7}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["error_code"] == "etag_mismatch"

    rows = [(r["event_type"], r["version"]) for r in change_events(db_url, entity_id=made["id"])]
    assert rows[0] == ("set.created", 1)
    assert rows[1] == ("set.updated", 2)


def test_bad_corrections(make_user: Callable[..., UserWithToken]) -> None:
    ann, bob = make_user(), make_user()
    session_id = start(ann)
    made = logged_set(ann, session_id)
    url = f"/v1/sessions/{session_id}/sets/{made['id']}"
    for body in (
        {"reps": -1},
        {"reps": "six"},
        {"weight": 1600, "weight_unit": "kg"},
        {"set_type": None},
        {"position": 0},
        {"session_id": str(uuid.uuid4())},
        {"rpe": 11},
    ):
        assert ann.patch(url, json=body).status_code == 400, body
    bobs = bob.post(
        "/v1/exercises", json={"name": "Bob's", "category": "strength", "primary_muscle": "back"}
    ).json()
    other = ann.patch(url, json={"exercise_id": bobs["id"]})
    assert other.status_code == 422
    assert other.json()["error_code"] == "unknown_exercise"
    assert ann.get(url).json() == made
    # 3000 lb is fine; read as kg it would pass 1500 kg, which the database refuses
    heavy = logged_set(ann, session_id, weight=3000, weight_unit="lb")
    heavy_url = f"/v1/sessions/{session_id}/sets/{heavy['id']}"
    too_heavy = ann.patch(heavy_url, json={"weight_unit": "kg"})
    assert too_heavy.status_code == 422
    assert too_heavy.json()["error_code"] == "out_of_range"
    assert too_heavy.json()["details"][0]["field"] == "weight"
    assert ann.get(heavy_url).json() == heavy


def test_completed_sessions_take_corrections_abandoned_ones_do_not(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann = make_user()
    done = start(ann)
    first = logged_set(ann, done)
    second = logged_set(ann, done)
    ann.post(f"/v1/sessions/{done}/finish")
    fixed = ann.patch(f"/v1/sessions/{done}/sets/{first['id']}", json={"reps": 4})
    assert fixed.status_code == 200
    removed = ann.delete(f"/v1/sessions/{done}/sets/{second['id']}")
    assert removed.status_code == 204

    gave_up = start(ann)
    kept = logged_set(ann, gave_up)
    ann.post(f"/v1/sessions/{gave_up}/abandon")
    url = f"/v1/sessions/{gave_up}/sets/{kept['id']}"
    for response in (
        ann.patch(url, json={"reps": 1}),
        ann.delete(url),
    ):
        assert response.status_code == 409
        assert response.json()["error_code"] == "session_abandoned"
    assert ann.get(url).json() == kept


def test_deleting_a_set(make_user: Callable[..., UserWithToken], db_url: str) -> None:
    ann = make_user()
    session_id = start(ann)
    sets = [logged_set(ann, session_id, reps=r) for r in (1, 2, 3)]
    url = f"/v1/sessions/{session_id}/sets/{sets[1]['id']}"
    assert ann.delete(url, headers={"If-Match": '"2"'}).status_code == 412
    version_before = session_doc(ann, session_id)["version"]
    assert ann.delete(url, headers={"If-Match": '"1"'}).status_code == 204
    doc = session_doc(ann, session_id)
    assert [(s["position"], s["reps"]) for s in doc["sets"]] == [(0, 1), (2, 3)]
    assert doc["version"] == version_before + 1
    assert ann.delete(url).status_code == 404
    assert ann.get(url).json()["error_code"] == "set_not_found"
    # new sets still go after the last position ever used
    assert logged_set(ann, session_id)["position"] == 3
    # the set's path must name its own session
    ann.post(f"/v1/sessions/{session_id}/finish")
    start_other = start(ann)
    other = f"/v1/sessions/{start_other}/sets/{sets[0]['id']}"
    assert ann.get(other).status_code == 404
    assert ann.delete(other).status_code == 404
    assert len(stored_sets(db_url, session_id)) == 3
