"""The exercise catalogue as a client sees it: the system exercises plus your own, search,
filters, pages, custom exercises with ETags and idempotent creates, and every way of
getting a request wrong."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import UserWithToken

Client = TestClient[Litestar]

BENCH_PRESS = "98deeb59-ce8c-54d5-9c3d-d332bd13d955"  # a system exercise


def new_exercise(client: Client, user: UserWithToken, **fields: Any) -> dict[str, Any]:
    body = {"name": "Zercher Squat", "category": "strength", "primary_muscle": "quadriceps"}
    body.update(fields)
    response = client.post("/v1/exercises", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    return response.json()


def all_pages(client: Client, user: UserWithToken, query: str = "", limit: int = 25) -> list[dict]:
    items: list[dict] = []
    url = f"/v1/exercises?limit={limit}{query}"
    cursor = None
    while True:
        response = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=user.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def audit_rows(db_url: str, entity_id: str) -> list[tuple[str, str, dict]]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT action::text, entity_type, metadata FROM audit_log"
            " WHERE entity_id = %s ORDER BY id",
            (entity_id,),
        ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


# --- the catalogue -------------------------------------------------------------------------


def test_catalogue_lists_system_exercises_and_only_your_own(
    client: Client, make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann, bob = make_user(), make_user()
    mine = new_exercise(client, ann, name="Ann's Press")
    new_exercise(client, bob, name="Bob's Press")

    items = all_pages(client, ann)
    names = [item["name"] for item in items]
    assert "Barbell Bench Press" in names
    assert "Ann's Press" in names
    assert "Bob's Press" not in names
    assert len(items) > 100  # the whole system catalogue
    with psycopg.connect(db_url, autocommit=True) as conn:  # by name, in the database's collation
        expected = conn.execute(
            "SELECT id::text FROM exercises WHERE user_id IS NULL OR user_id = %s"
            " ORDER BY name, id",
            (ann.id,),
        ).fetchall()
    assert [item["id"] for item in items] == [row[0] for row in expected]
    by_name = {item["name"]: item for item in items}
    assert by_name["Ann's Press"]["custom"] is True
    assert by_name["Barbell Bench Press"]["custom"] is False

    only_mine = all_pages(client, ann, "&mine=true")
    assert [item["id"] for item in only_mine] == [mine["id"]]


def test_search_ignores_case_and_accents(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    made = new_exercise(client, ann, name="Développé Couché")
    for q in ("developpe", "DÉVELOPPÉ", "pé cou", "couche"):
        found = all_pages(client, ann, f"&q={q}")
        assert [item["id"] for item in found] == [made["id"]], q
    assert {item["name"] for item in all_pages(client, ann, "&q=BENCH press")} >= {
        "Barbell Bench Press",
        "Dumbbell Bench Press",
    }


def test_search_wildcards_are_literal(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    new_exercise(client, ann, name="100% Effort Row")
    assert [i["name"] for i in all_pages(client, ann, "&q=100%25")] == ["100% Effort Row"]
    assert all_pages(client, ann, "&q=%25%25%25") == []
    assert all_pages(client, ann, "&q=___") == []
    assert all_pages(client, ann, "&q=%5C") == []  # a backslash


def test_filters_by_category_and_primary_muscle(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    cardio = all_pages(client, ann, "&category=cardio")
    assert cardio
    assert all(item["category"] == "cardio" for item in cardio)
    chest = all_pages(client, ann, "&muscle_group=chest")
    assert chest
    assert all(item["primary_muscle"] == "chest" for item in chest)
    both = all_pages(client, ann, "&muscle_group=chest&category=strength&q=bench")
    assert {item["name"] for item in both} >= {"Barbell Bench Press"}
    assert all(item["category"] == "strength" for item in both)


def test_bad_list_parameters_are_400(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    for query in (
        "limit=0",
        "limit=101",
        "limit=ten",
        "category=yoga",
        "muscle_group=wings",
        "mine=perhaps",
        "cursor=not-a-cursor",
        "q=" + "x" * 101,
    ):
        response = client.get(f"/v1/exercises?{query}", headers=ann.headers)
        assert response.status_code == 400, (query, response.text)
        body = response.json()
        assert body["error_code"] in ("validation_error", "invalid_cursor")
        assert body["request_id"]


def test_pages_neither_skip_nor_repeat_while_exercises_are_added(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    before = {item["id"] for item in all_pages(client, ann)}
    seen: list[str] = []
    cursor = None
    added = 0
    while True:
        url = "/v1/exercises?limit=10" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=ann.headers).json()
        seen += [item["id"] for item in page["items"]]
        # between two pages, add one exercise sorting before and one after the cursor
        new_exercise(client, ann, name=f"AAA inserted {added}")
        new_exercise(client, ann, name=f"zzz inserted {added}")
        added += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), "an exercise was repeated"
    assert before <= set(seen), "an exercise present all along was skipped"


# --- custom exercises ------------------------------------------------------------------------


def test_create_read_update_delete(
    client: Client, make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    response = client.post(
        "/v1/exercises",
        json={
            "name": "  Landmine   Press ",
            "category": "strength",
            "primary_muscle": "shoulders",
            "secondary_muscles": ["triceps", "chest"],
            "description": "One end of a bar in a corner.",
        },
        headers=ann.headers,
    )
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["name"] == "Landmine Press"  # whitespace tidied
    assert made["secondary_muscles"] == ["triceps", "chest"]
    assert made["custom"] is True
    assert made["version"] == 1
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/v1/exercises/{made['id']}"
    assert uuid.UUID(made["id"]).version == 7  # server-made ids are time-ordered

    fetched = client.get(f"/v1/exercises/{made['id']}", headers=ann.headers)
    assert fetched.status_code == 200
    assert fetched.json() == made

    changed = client.patch(
        f"/v1/exercises/{made['id']}",
        json={"name": "Landmine Press (kneeling)", "secondary_muscles": []},
        headers={**ann.headers, "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    body = changed.json()
    assert body["name"] == "Landmine Press (kneeling)"
    assert body["secondary_muscles"] == []
    assert body["description"] == "One end of a bar in a corner."  # untouched
    assert body["version"] == 2

    deleted = client.delete(
        f"/v1/exercises/{made['id']}", headers={**ann.headers, "If-Match": '"2"'}
    )
    assert deleted.status_code == 204
    gone = client.get(f"/v1/exercises/{made['id']}", headers=ann.headers)
    assert gone.status_code == 404
    assert gone.json()["error_code"] == "exercise_not_found"

    actions = [(action, entity) for action, entity, _ in audit_rows(db_url, made["id"])]
    assert actions == [
        ("create", "exercises"),
        ("update", "exercises"),
        ("delete", "exercises"),
    ]


def test_etags_give_304_and_412(client: Client, make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    made = new_exercise(client, ann)
    url = f"/v1/exercises/{made['id']}"
    for header in ('"1"', 'W/"1"', '"7", "1"', "*"):
        not_modified = client.get(url, headers={**ann.headers, "If-None-Match": header})
        assert not_modified.status_code == 304, header
        assert not_modified.content == b""
        assert not_modified.headers["etag"] == '"1"'
    assert client.get(url, headers={**ann.headers, "If-None-Match": '"2"'}).status_code == 200

    for header in ('"7"', 'W/"1"', "garbage", '"99999999999999999999"', b'"\xb2"', '""'):
        stale = client.patch(url, json={"name": "X"}, headers={**ann.headers, "If-Match": header})
        assert stale.status_code == 412, header
        assert stale.json()["error_code"] == "etag_mismatch"
        assert stale.headers["etag"] == '"1"'
    stale_delete = client.delete(url, headers={**ann.headers, "If-Match": '"9"'})
    assert stale_delete.status_code == 412
    assert client.get(url, headers=ann.headers).json()["name"] == "Zercher Squat"
    assert (
        client.patch(url, json={"name": "X"}, headers={**ann.headers, "If-Match": "*"}).status_code
        == 200
    )


def test_system_exercises_are_read_only(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    url = f"/v1/exercises/{BENCH_PRESS}"
    assert client.get(url, headers=ann.headers).json()["name"] == "Barbell Bench Press"
    for response in (
        client.patch(url, json={"name": "Mine now"}, headers=ann.headers),
        client.delete(url, headers=ann.headers),
    ):
        assert response.status_code == 403
        assert response.json()["error_code"] == "exercise_read_only"
    assert client.get(url, headers=ann.headers).json()["version"] == 1


def test_names_are_unique_per_user_ignoring_case(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann, bob = make_user(), make_user()
    new_exercise(client, ann, name="Sled Push")
    again = client.post(
        "/v1/exercises",
        json={"name": "SLED push", "category": "strength", "primary_muscle": "quadriceps"},
        headers=ann.headers,
    )
    assert again.status_code == 409
    assert again.json()["error_code"] == "exercise_name_taken"
    new_exercise(client, bob, name="Sled Push")  # another user's namesake is fine
    new_exercise(client, ann, name="Barbell Bench Press")  # so is a system exercise's name

    other = new_exercise(client, ann, name="Sled Pull")
    rename = client.patch(
        f"/v1/exercises/{other['id']}", json={"name": "sled push"}, headers=ann.headers
    )
    assert rename.status_code == 409
    assert rename.json()["error_code"] == "exercise_name_taken"


def test_replayed_create_returns_the_stored_exercise(
    client: Client, make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann, bob = make_user(), make_user()
    exercise_id = str(uuid.uuid4())
    body = {
        "id": exercise_id,
        "name": "Copenhagen Plank",
        "category": "bodyweight",
        "primary_muscle": "adductors",
        "secondary_muscles": ["obliques"],
    }
    first = client.post("/v1/exercises", json=body, headers=ann.headers)
    assert first.status_code == 201
    replay = client.post("/v1/exercises", json=body, headers=ann.headers)
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert replay.headers["etag"] == '"1"'
    assert len(audit_rows(db_url, exercise_id)) == 1  # created once

    different = client.post(
        "/v1/exercises", json={**body, "primary_muscle": "abs"}, headers=ann.headers
    )
    assert different.status_code == 409
    assert different.json()["error_code"] == "id_conflict"
    assert different.json()["details"][0]["field"] == "primary_muscle"

    # the same id from another user, or a system exercise's id, is taken
    for user, exercise in ((bob, exercise_id), (ann, BENCH_PRESS)):
        clash = client.post("/v1/exercises", json={**body, "id": exercise}, headers=user.headers)
        assert clash.status_code == 409
        assert clash.json()["error_code"] == "id_conflict"


def test_deleting_an_exercise_in_use_is_409(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    planned = new_exercise(client, ann, name="In a plan")
    logged = new_exercise(client, ann, name="In a set")
    workout = client.post("/v1/workouts", json={"name": "Plan"}, headers=ann.headers).json()
    put = client.put(
        f"/v1/workouts/{workout['id']}/exercises",
        json=[{"exercise_id": planned["id"]}],
        headers=ann.headers,
    )
    assert put.status_code == 200
    session = client.post("/v1/sessions", json={}, headers=ann.headers).json()
    logged_set = client.post(
        f"/v1/sessions/{session['id']}/sets",
        json={"exercise_id": logged["id"], "reps": 5},
        headers=ann.headers,
    )
    assert logged_set.status_code == 201

    for exercise in (planned, logged):
        response = client.delete(f"/v1/exercises/{exercise['id']}", headers=ann.headers)
        assert response.status_code == 409
        assert response.json()["error_code"] == "exercise_in_use"
        assert client.get(f"/v1/exercises/{exercise['id']}", headers=ann.headers).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "strength", "primary_muscle": "chest"}, "name"),
        ({"name": "X", "primary_muscle": "chest"}, "category"),
        ({"name": "X", "category": "strength"}, "primary_muscle"),
        ({"name": 7, "category": "strength", "primary_muscle": "chest"}, "name"),
        ({"name": "X", "category": "yoga", "primary_muscle": "chest"}, "category"),
        ({"name": "X", "category": "strength", "primary_muscle": "wings"}, "primary_muscle"),
        ({"name": "", "category": "strength", "primary_muscle": "chest"}, "name"),
        ({"name": "x" * 101, "category": "strength", "primary_muscle": "chest"}, "name"),
        (
            {"name": "X", "category": "strength", "primary_muscle": "chest", "description": 5},
            "description",
        ),
        (
            {"name": "X", "category": "strength", "primary_muscle": "chest", "id": "nope"},
            "id",
        ),
        (
            {
                "name": "X",
                "category": "strength",
                "primary_muscle": "chest",
                "secondary_muscles": "back",
            },
            "secondary_muscles",
        ),
    ],
)
def test_bad_create_bodies_are_400_naming_the_field(
    client: Client, make_user: Callable[..., UserWithToken], body: dict[str, Any], field: str
) -> None:
    ann = make_user()
    response = client.post("/v1/exercises", json=body, headers=ann.headers)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["error_code"] == "validation_error"
    assert error["details"][0]["field"] == field
    assert field in error["details"][0]["message"] or error["details"][0]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "category": "strength", "primary_muscle": "chest", "owner": "me"},
        {"name": "   ", "category": "strength", "primary_muscle": "chest"},
        {
            "name": "X",
            "category": "strength",
            "primary_muscle": "chest",
            "secondary_muscles": ["chest"],
        },
        {
            "name": "X",
            "category": "strength",
            "primary_muscle": "chest",
            "secondary_muscles": ["back", "back"],
        },
    ],
)
def test_unknown_fields_and_inconsistent_muscles_are_400(
    client: Client, make_user: Callable[..., UserWithToken], body: dict[str, Any]
) -> None:
    ann = make_user()
    response = client.post("/v1/exercises", json=body, headers=ann.headers)
    assert response.status_code == 400, response.text
    assert response.json()["details"]
    assert all_pages(client, ann, "&mine=true") == []


def test_bad_patches(client: Client, make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    made = new_exercise(client, ann, secondary_muscles=["glutes"])
    url = f"/v1/exercises/{made['id']}"
    for body in ({"name": None}, {"category": "yoga"}, {"custom": False}, {"version": 5}):
        response = client.patch(url, json=body, headers=ann.headers)
        assert response.status_code == 400, body
    # a primary muscle that is already a secondary one is refused by the database rule
    clash = client.patch(url, json={"primary_muscle": "glutes"}, headers=ann.headers)
    assert clash.status_code == 422
    assert clash.json()["error_code"] == "invalid_muscles"
    assert client.get(url, headers=ann.headers).json()["version"] == 1
