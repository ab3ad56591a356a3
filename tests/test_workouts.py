"""Workouts as a client sees them: plans with ordered exercises and targets, status moves,
atomic replacement of the exercise list, ETags, idempotent creates, pages, and bad input."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.api import UserWithToken, all_pages, pages
from tests.catalogue import BACK_SQUAT, BENCH_PRESS, OVERHEAD_PRESS
from tests.conftest import change_events


def new_workout(user: UserWithToken, name: str = "Push day", **fields: Any) -> dict:
    response = user.post("/v1/workouts", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def put_exercises(user: UserWithToken, workout_id: str, items: list[dict], **headers: str) -> Any:
    return user.put(f"/v1/workouts/{workout_id}/exercises", json=items, headers=headers)


def list_all(user: UserWithToken, query: str = "") -> list[dict]:
    """Every workout of `user`'s list with `query`, read two a page."""
    return all_pages(user, f"/v1/workouts?limit=2{query}")


def test_create_then_plan_then_read(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    created = ann.post(
        "/v1/workouts", json={"name": " Upper  A ", "description": "Heavy pressing."}
    )
    assert created.status_code == 201, created.text
    workout = created.json()
    assert workout["name"] == "Upper A"
    assert workout["status"] == "draft"
    assert workout["exercises"] == []
    assert created.headers["etag"] == '"1"'
    assert created.headers["location"] == f"/v1/workouts/{workout['id']}"

    planned = put_exercises(
        ann,
        workout["id"],
        [
            {
                "exercise_id": BENCH_PRESS,
                "target_sets": 5,
                "target_reps": 5,
                "target_weight_kg": 102.5,
                "target_rest_s": 180,
                "notes": "pause the first rep",
            },
            {"exercise_id": OVERHEAD_PRESS, "target_sets": 3, "target_reps": 8},
        ],
    )
    assert planned.status_code == 200, planned.text
    assert planned.headers["etag"] == '"2"'
    body = planned.json()
    assert body["version"] == 2
    assert body["exercises"] == [
        {
            "position": 0,
            "exercise_id": BENCH_PRESS,
            "exercise_name": "Barbell Bench Press",
            "target_sets": 5,
            "target_reps": 5,
            "target_weight_kg": 102.5,
            "target_rest_s": 180,
            "notes": "pause the first rep",
            "group": None,
        },
        {
            "position": 1,
            "exercise_id": OVERHEAD_PRESS,
            "exercise_name": "Overhead Press",
            "target_sets": 3,
            "target_reps": 8,
            "target_weight_kg": None,
            "target_rest_s": None,
            "notes": "",
            "group": None,
        },
    ]
    fetched = ann.get(f"/v1/workouts/{workout['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == body
    assert fetched.headers["etag"] == '"2"'


def test_reading_a_workout_is_one_round_trip(
    make_user: Callable[..., UserWithToken], statements: list[str]
) -> None:
    ann = make_user()
    workout = new_workout(ann)
    put_exercises(ann, workout["id"], [{"exercise_id": BENCH_PRESS}] * 3)
    statements.clear()
    assert ann.get(f"/v1/workouts/{workout['id']}").status_code == 200
    assert statements == ["workouts/get"]


def test_replacing_the_list_is_atomic_and_ordered(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann, bob = make_user(), make_user()
    workout = new_workout(ann)
    put_exercises(ann, workout["id"], [{"exercise_id": BENCH_PRESS, "target_sets": 3}])

    reordered = put_exercises(
        ann,
        workout["id"],
        [{"exercise_id": BACK_SQUAT}, {"exercise_id": BENCH_PRESS}, {"exercise_id": BACK_SQUAT}],
    )
    assert [e["exercise_id"] for e in reordered.json()["exercises"]] == [
        BACK_SQUAT,
        BENCH_PRESS,
        BACK_SQUAT,
    ]
    assert [e["position"] for e in reordered.json()["exercises"]] == [0, 1, 2]

    # an exercise you cannot use (unknown, or another user's custom one) changes nothing
    bobs = bob.post(
        "/v1/exercises",
        json={"name": "Bob's lift", "category": "strength", "primary_muscle": "back"},
    ).json()
    for bad in (str(uuid.uuid4()), bobs["id"]):
        refused = put_exercises(
            ann, workout["id"], [{"exercise_id": BENCH_PRESS}, {"exercise_id": bad}]
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["error_code"] == "unknown_exercise"
        assert refused.json()["details"] == [{"field": "[1].exercise_id", "exercise_id": bad}]
    # nothing of a refused list was written
    with psycopg.connect(db_url, autocommit=True) as conn:
        before = conn.execute(
            "SELECT count(*) FROM workout_exercises WHERE workout_id = %s", (workout["id"],)
        ).fetchone()
    assert before == (3,)
    current = ann.get(f"/v1/workouts/{workout['id']}").json()
    assert current["version"] == reordered.json()["version"]
    assert len(current["exercises"]) == 3

    cleared = put_exercises(ann, workout["id"], [])
    assert cleared.status_code == 200
    assert cleared.json()["exercises"] == []


def test_put_honours_if_match(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    workout = new_workout(ann)
    items = [{"exercise_id": BENCH_PRESS}]
    stale = put_exercises(ann, workout["id"], items, **{"If-Match": '"5"'})
    assert stale.status_code == 412
    assert stale.json()["error_code"] == "etag_mismatch"
    fresh = put_exercises(ann, workout["id"], items, **{"If-Match": '"1"'})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] == '"2"'


@pytest.mark.parametrize(
    "items",
    [
        [{"exercise_id": BENCH_PRESS, "target_sets": 0}],
        [{"exercise_id": BENCH_PRESS, "target_sets": 101}],
        [{"exercise_id": BENCH_PRESS, "target_reps": -1}],
        [{"exercise_id": BENCH_PRESS, "target_weight_kg": 1000.5}],
        [{"exercise_id": BENCH_PRESS, "target_weight_kg": 20.0001}],
        [{"exercise_id": BENCH_PRESS, "target_rest_s": 3601}],
        [{"exercise_id": BENCH_PRESS, "target_sets": "three"}],
        [{"exercise_id": BENCH_PRESS, "target_sets": "3"}],
        [{"exercise_id": "bench"}],
        [{"target_sets": 3}],
        [{"exercise_id": BENCH_PRESS, "position": 4}],
        {"exercises": []},
        [{"exercise_id": BENCH_PRESS}] * 101,
    ],
)
def test_bad_exercise_lists_are_400(make_user: Callable[..., UserWithToken], items: Any) -> None:
    ann = make_user()
    workout = new_workout(ann)
    response = put_exercises(ann, workout["id"], items)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "validation_error"
    assert response.json()["details"]
    assert ann.get(f"/v1/workouts/{workout['id']}").json()["version"] == 1


def test_bad_field_is_located_in_the_array(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    workout = new_workout(ann)
    response = put_exercises(
        ann,
        workout["id"],
        [{"exercise_id": BENCH_PRESS}, {"exercise_id": BENCH_PRESS, "target_reps": 1001}],
    )
    assert response.json()["details"] == [
        {"message": "Expected `int` <= 1000", "field": "[1].target_reps", "source": "body"}
    ]


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (["active"], True),
        (["archived"], False),
        (["draft"], True),
        (["active", "archived"], True),
        (["active", "draft"], False),
        (["active", "archived", "active"], True),
        (["active", "archived", "draft"], False),
        (["active", "archived", "archived"], True),
    ],
)
def test_status_moves(
    make_user: Callable[..., UserWithToken], path: list[str], allowed: bool
) -> None:
    ann = make_user()
    workout = new_workout(ann)
    url = f"/v1/workouts/{workout['id']}"
    responses = [ann.patch(url, json={"status": s}) for s in path]
    *before, last = responses
    assert all(r.status_code == 200 for r in before)
    if allowed:
        assert last.status_code == 200, last.text
        assert last.json()["status"] == path[-1]
    else:
        assert last.status_code == 409
        error = last.json()
        assert error["error_code"] == "illegal_transition"
        assert error["details"][0]["to"] == path[-1]
        assert ann.get(url).json()["status"] == (path[-2] if len(path) > 1 else "draft")


def test_patch_changes_only_what_is_sent(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    workout = new_workout(ann, description="keep me")
    url = f"/v1/workouts/{workout['id']}"
    response = ann.patch(url, json={"name": "Renamed"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert response.json()["description"] == "keep me"
    assert response.headers["etag"] == '"2"'
    stale = ann.patch(url, json={"name": "Again"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    # a stale ETag wins over an illegal move: the client must re-read first
    stale_move = ann.patch(url, json={"status": "archived"}, headers={"If-Match": '"1"'})
    assert stale_move.status_code == 412
    for body in ({"name": ""}, {"name": None}, {"status": "deleted"}, {"exercises": []}):
        assert ann.patch(url, json=body).status_code == 400, body
    # only the two writes that succeeded are in the change log, the rename as it was served
    events = change_events(db_url, entity_id=workout["id"])
    assert [(e["event_type"], e["version"]) for e in events] == [
        ("workout.created", 1),
        ("workout.updated", 2),
    ]
    assert events[1]["document"] == response.json()


def test_list_hides_archived_by_default_and_filters(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann, bob = make_user(), make_user()
    draft = new_workout(ann, "Draft")
    active = new_workout(ann, "Active")
    archived = new_workout(ann, "Archived")
    new_workout(bob, "Bob's")
    ann.patch(f"/v1/workouts/{active['id']}", json={"status": "active"})
    for status in ("active", "archived"):
        ann.patch(f"/v1/workouts/{archived['id']}", json={"status": status})

    assert [w["name"] for w in list_all(ann)] == ["Active", "Draft"]  # newest first
    assert [w["name"] for w in list_all(ann, "&status=archived")] == ["Archived"]
    both = list_all(ann, "&status=archived&status=draft")
    assert {w["id"] for w in both} == {archived["id"], draft["id"]}
    bad = ann.get("/v1/workouts?status=deleted")
    assert bad.status_code == 400


def test_pages_are_stable_while_workouts_are_added(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    existing = [new_workout(ann, f"W{i}")["id"] for i in range(7)]
    seen: list[str] = []
    for page in pages(ann, "/v1/workouts?limit=3"):
        seen += [w["id"] for w in page["items"]]
        new_workout(ann, "added meanwhile")  # newer than every cursor
    assert seen == list(reversed(existing))


def test_replayed_create(make_user: Callable[..., UserWithToken], db_url: str) -> None:
    ann, bob = make_user(), make_user()
    body = {"id": str(uuid.uuid4()), "name": "Legs", "description": "squat day"}
    first = ann.post("/v1/workouts", json=body)
    assert first.status_code == 201
    again = ann.post("/v1/workouts", json=body)
    assert again.status_code == 200
    assert again.json() == first.json()
    differs = ann.post("/v1/workouts", json={**body, "description": "deadlift day"})
    assert differs.status_code == 409
    assert differs.json()["error_code"] == "id_conflict"
    assert differs.json()["details"] == [
        {"field": "description", "message": "differs from the stored value"}
    ]
    taken = bob.post("/v1/workouts", json=body)
    assert taken.status_code == 409
    assert taken.json()["error_code"] == "id_conflict"
    assert list_all(bob) == []
    with psycopg.connect(db_url, autocommit=True) as conn:
        count = conn.execute("SELECT count(*) FROM workouts WHERE id = %s", (body["id"],))
        assert count.fetchone() == (1,)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": 3},
        {"name": "A", "description": "x" * 10_001},
        {"name": "A", "status": "active"},
        {"name": "A", "id": "123"},
        {"name": "A", "exercises": []},
    ],
)
def test_bad_create_bodies_are_400(make_user: Callable[..., UserWithToken], body: dict) -> None:
    ann = make_user()
    response = ann.post("/v1/workouts", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["details"][0]["field"]
    assert list_all(ann) == []


def test_delete_keeps_the_sessions_started_from_it(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    workout = new_workout(ann)
    put_exercises(ann, workout["id"], [{"exercise_id": BENCH_PRESS, "target_sets": 4}])
    session = ann.post("/v1/sessions", json={"workout_id": workout["id"]}).json()
    url = f"/v1/workouts/{workout['id']}"
    assert ann.delete(url, headers={"If-Match": '"1"'}).status_code == 412
    assert ann.delete(url).status_code == 204
    assert ann.get(url).status_code == 404
    assert ann.delete(url).status_code == 404
    kept = ann.get(f"/v1/sessions/{session['id']}").json()
    assert kept["workout_id"] is None
    assert kept["exercises"][0]["target_sets"] == 4  # its copy of the plan stays


def test_if_none_match(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    workout = new_workout(ann)
    url = f"/v1/workouts/{workout['id']}"
    assert ann.get(url, headers={"If-None-Match": '"1"'}).status_code == 304
    put_exercises(ann, workout["id"], [{"exercise_id": BENCH_PRESS}])
    changed = ann.get(url, headers={"If-None-Match": '"1"'})
    assert changed.status_code == 200
    assert len(changed.json()["exercises"]) == 1
