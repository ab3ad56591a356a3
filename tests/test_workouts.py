"""Workouts as a client sees them: plans with ordered exercises and targets, status moves,
atomic replacement of the exercise list, ETags, idempotent creates, pages, and bad input."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.core.db import Db
from tests.conftest import UserWithToken

Client = TestClient[Litestar]

BENCH_PRESS = "98deeb59-ce8c-54d5-9c3d-d332bd13d955"
OVERHEAD_PRESS = "fa453b63-1cf1-54fe-afe4-c1180fccfbb5"
BACK_SQUAT = "3024a13d-f340-53e8-9493-a2077054e049"


def new_workout(client: Client, user: UserWithToken, name: str = "Push day", **fields: Any) -> dict:
    response = client.post("/v1/workouts", json={"name": name, **fields}, headers=user.headers)
    assert response.status_code == 201, response.text
    return response.json()


def put_exercises(
    client: Client, user: UserWithToken, workout_id: str, items: list[dict], **headers: str
) -> Any:
    return client.put(
        f"/v1/workouts/{workout_id}/exercises", json=items, headers={**user.headers, **headers}
    )


def list_all(client: Client, user: UserWithToken, query: str = "") -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        url = f"/v1/workouts?limit=2{query}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, headers=user.headers)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL files run, in order, by the requests made while the fixture is active."""
    ran: list[str] = []
    original = Db._run

    async def counting(self: Db, name: str, params: Any) -> Any:
        ran.append(name)
        return await original(self, name, params)

    monkeypatch.setattr(Db, "_run", counting)
    return ran


def test_create_then_plan_then_read(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    created = client.post(
        "/v1/workouts",
        json={"name": " Upper  A ", "description": "Heavy pressing."},
        headers=ann.headers,
    )
    assert created.status_code == 201, created.text
    workout = created.json()
    assert workout["name"] == "Upper A"
    assert workout["status"] == "draft"
    assert workout["exercises"] == []
    assert created.headers["etag"] == '"1"'
    assert created.headers["location"] == f"/v1/workouts/{workout['id']}"

    planned = put_exercises(
        client,
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
        },
    ]
    fetched = client.get(f"/v1/workouts/{workout['id']}", headers=ann.headers)
    assert fetched.status_code == 200
    assert fetched.json() == body
    assert fetched.headers["etag"] == '"2"'


def test_reading_a_workout_is_one_round_trip(
    client: Client, make_user: Callable[..., UserWithToken], statements: list[str]
) -> None:
    ann = make_user()
    workout = new_workout(client, ann)
    put_exercises(client, ann, workout["id"], [{"exercise_id": BENCH_PRESS}] * 3)
    statements.clear()
    assert client.get(f"/v1/workouts/{workout['id']}", headers=ann.headers).status_code == 200
    assert statements == ["workouts/get"]


def test_replacing_the_list_is_atomic_and_ordered(
    client: Client, make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann, bob = make_user(), make_user()
    workout = new_workout(client, ann)
    put_exercises(client, ann, workout["id"], [{"exercise_id": BENCH_PRESS, "target_sets": 3}])

    reordered = put_exercises(
        client,
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
    bobs = client.post(
        "/v1/exercises",
        json={"name": "Bob's lift", "category": "strength", "primary_muscle": "back"},
        headers=bob.headers,
    ).json()
    for bad in (str(uuid.uuid4()), bobs["id"]):
        refused = put_exercises(
            client, ann, workout["id"], [{"exercise_id": BENCH_PRESS}, {"exercise_id": bad}]
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
    current = client.get(f"/v1/workouts/{workout['id']}", headers=ann.headers).json()
    assert current["version"] == reordered.json()["version"]
    assert len(current["exercises"]) == 3

    cleared = put_exercises(client, ann, workout["id"], [])
    assert cleared.status_code == 200
    assert cleared.json()["exercises"] == []


def test_put_honours_if_match(client: Client, make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    workout = new_workout(client, ann)
    items = [{"exercise_id": BENCH_PRESS}]
    stale = put_exercises(client, ann, workout["id"], items, **{"If-Match": '"5"'})
    assert stale.status_code == 412
    assert stale.json()["error_code"] == "etag_mismatch"
    fresh = put_exercises(client, ann, workout["id"], items, **{"If-Match": '"1"'})
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
def test_bad_exercise_lists_are_400(
    client: Client, make_user: Callable[..., UserWithToken], items: Any
) -> None:
    ann = make_user()
    workout = new_workout(client, ann)
    response = put_exercises(client, ann, workout["id"], items)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "validation_error"
    assert response.json()["details"]
    assert client.get(f"/v1/workouts/{workout['id']}", headers=ann.headers).json()["version"] == 1


def test_bad_field_is_located_in_the_array(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    workout = new_workout(client, ann)
    response = put_exercises(
        client,
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
    client: Client, make_user: Callable[..., UserWithToken], path: list[str], allowed: bool
) -> None:
    ann = make_user()
    workout = new_workout(client, ann)
    url = f"/v1/workouts/{workout['id']}"
    responses = [client.patch(url, json={"status": s}, headers=ann.headers) for s in path]
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
        assert client.get(url, headers=ann.headers).json()["status"] == (
            path[-2] if len(path) > 1 else "draft"
        )


def test_patch_changes_only_what_is_sent(
    client: Client, make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    workout = new_workout(client, ann, description="keep me")
    url = f"/v1/workouts/{workout['id']}"
    response = client.patch(
        url, json={"name": "Renamed"}, headers={**ann.headers, "If-Match": '"1"'}
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert response.json()["description"] == "keep me"
    assert response.headers["etag"] == '"2"'
    stale = client.patch(url, json={"name": "Again"}, headers={**ann.headers, "If-Match": '"1"'})
    assert stale.status_code == 412
    # a stale ETag wins over an illegal move: the client must re-read first
    stale_move = client.patch(
        url, json={"status": "archived"}, headers={**ann.headers, "If-Match": '"1"'}
    )
    assert stale_move.status_code == 412
    for body in ({"name": ""}, {"name": None}, {"status": "deleted"}, {"exercises": []}):
        assert client.patch(url, json=body, headers=ann.headers).status_code == 400, body
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT action::text, metadata FROM audit_log WHERE entity_id = %s ORDER BY id",
            (workout["id"],),
        ).fetchall()
    assert [r[0] for r in rows] == ["create", "update"]
    assert rows[1][1] == {"fields": ["name"]}


def test_list_hides_archived_by_default_and_filters(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann, bob = make_user(), make_user()
    draft = new_workout(client, ann, "Draft")
    active = new_workout(client, ann, "Active")
    archived = new_workout(client, ann, "Archived")
    new_workout(client, bob, "Bob's")
    client.patch(f"/v1/workouts/{active['id']}", json={"status": "active"}, headers=ann.headers)
    for status in ("active", "archived"):
        client.patch(f"/v1/workouts/{archived['id']}", json={"status": status}, headers=ann.headers)

    assert [w["name"] for w in list_all(client, ann)] == ["Active", "Draft"]  # newest first
    assert [w["name"] for w in list_all(client, ann, "&status=archived")] == ["Archived"]
    both = list_all(client, ann, "&status=archived&status=draft")
    assert {w["id"] for w in both} == {archived["id"], draft["id"]}
    bad = client.get("/v1/workouts?status=deleted", headers=ann.headers)
    assert bad.status_code == 400


def test_pages_are_stable_while_workouts_are_added(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    existing = [new_workout(client, ann, f"W{i}")["id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        url = "/v1/workouts?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=ann.headers).json()
        seen += [w["id"] for w in page["items"]]
        new_workout(client, ann, "added meanwhile")  # newer than every cursor
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(existing))


def test_replayed_create(
    client: Client, make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann, bob = make_user(), make_user()
    body = {"id": str(uuid.uuid4()), "name": "Legs", "description": "squat day"}
    first = client.post("/v1/workouts", json=body, headers=ann.headers)
    assert first.status_code == 201
    again = client.post("/v1/workouts", json=body, headers=ann.headers)
    assert again.status_code == 200
    assert again.json() == first.json()
    differs = client.post(
        "/v1/workouts", json={**body, "description": "deadlift day"}, headers=ann.headers
    )
    assert differs.status_code == 409
    assert differs.json()["error_code"] == "id_conflict"
    assert differs.json()["details"] == [
        {"field": "description", "message": "differs from the stored value"}
    ]
    taken = client.post("/v1/workouts", json=body, headers=bob.headers)
    assert taken.status_code == 409
    assert taken.json()["error_code"] == "id_conflict"
    assert list_all(client, bob) == []
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
def test_bad_create_bodies_are_400(
    client: Client, make_user: Callable[..., UserWithToken], body: dict
) -> None:
    ann = make_user()
    response = client.post("/v1/workouts", json=body, headers=ann.headers)
    assert response.status_code == 400, response.text
    assert response.json()["details"][0]["field"]
    assert list_all(client, ann) == []


def test_delete_keeps_the_sessions_started_from_it(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    workout = new_workout(client, ann)
    put_exercises(client, ann, workout["id"], [{"exercise_id": BENCH_PRESS, "target_sets": 4}])
    session = client.post(
        "/v1/sessions", json={"workout_id": workout["id"]}, headers=ann.headers
    ).json()
    url = f"/v1/workouts/{workout['id']}"
    assert client.delete(url, headers={**ann.headers, "If-Match": '"1"'}).status_code == 412
    assert client.delete(url, headers=ann.headers).status_code == 204
    assert client.get(url, headers=ann.headers).status_code == 404
    assert client.delete(url, headers=ann.headers).status_code == 404
    kept = client.get(f"/v1/sessions/{session['id']}", headers=ann.headers).json()
    assert kept["workout_id"] is None
    assert kept["exercises"][0]["target_sets"] == 4  # its copy of the plan stays


def test_if_none_match(client: Client, make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    workout = new_workout(client, ann)
    url = f"/v1/workouts/{workout['id']}"
    assert client.get(url, headers={**ann.headers, "If-None-Match": '"1"'}).status_code == 304
    put_exercises(client, ann, workout["id"], [{"exercise_id": BENCH_PRESS}])
    changed = client.get(url, headers={**ann.headers, "If-None-Match": '"1"'})
    assert changed.status_code == 200
    assert len(changed.json()["exercises"]) == 1
