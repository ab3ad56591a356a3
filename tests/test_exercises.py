"""The exercise catalogue as a client sees it: the system exercises plus your own, search,
filters, pages, custom exercises with ETags and idempotent creates, and every way of
getting a request wrong."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.api import UserWithToken, all_pages, pages
from tests.catalogue import BENCH_PRESS
from tests.conftest import change_events


def new_exercise(user: UserWithToken, **fields: Any) -> dict[str, Any]:
    body = {"name": "Zercher Squat", "category": "strength", "primary_muscle": "quadriceps"}
    body.update(fields)
    response = user.post("/v1/exercises", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def catalogue(user: UserWithToken, query: str = "") -> list[dict]:
    """Every exercise `user` sees in the list with `query`, read 25 a page."""
    return all_pages(user, f"/v1/exercises?limit=25{query}")


# --- the catalogue -------------------------------------------------------------------------


def test_catalogue_lists_system_exercises_and_only_your_own(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann, bob = make_user(), make_user()
    mine = new_exercise(ann, name="Ann's Press")
    new_exercise(bob, name="Bob's Press")

    items = catalogue(ann)
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

    only_mine = catalogue(ann, "&mine=true")
    assert [item["id"] for item in only_mine] == [mine["id"]]


def test_search_ignores_case_and_accents(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    made = new_exercise(ann, name="Développé Couché")
    for q in ("developpe", "DÉVELOPPÉ", "pé cou", "couche"):
        found = catalogue(ann, f"&q={q}")
        assert [item["id"] for item in found] == [made["id"]], q
    assert {item["name"] for item in catalogue(ann, "&q=BENCH press")} >= {
        "Barbell Bench Press",
        "Dumbbell Bench Press",
    }


def test_search_wildcards_are_literal(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    new_exercise(ann, name="100% Effort Row")
    assert [i["name"] for i in catalogue(ann, "&q=100%25")] == ["100% Effort Row"]
    assert catalogue(ann, "&q=%25%25%25") == []
    assert catalogue(ann, "&q=___") == []
    assert catalogue(ann, "&q=%5C") == []  # a backslash


def test_filters_by_category_and_primary_muscle(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    cardio = catalogue(ann, "&category=cardio")
    assert cardio
    assert all(item["category"] == "cardio" for item in cardio)
    chest = catalogue(ann, "&muscle_group=chest")
    assert chest
    assert all(item["primary_muscle"] == "chest" for item in chest)
    both = catalogue(ann, "&muscle_group=chest&category=strength&q=bench")
    assert {item["name"] for item in both} >= {"Barbell Bench Press"}
    assert all(item["category"] == "strength" for item in both)


def test_bad_list_parameters_are_400(make_user: Callable[..., UserWithToken]) -> None:
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
        response = ann.get(f"/v1/exercises?{query}")
        assert response.status_code == 400, (query, response.text)
        body = response.json()
        assert body["error_code"] in ("validation_error", "invalid_cursor")
        assert body["request_id"]


def test_pages_neither_skip_nor_repeat_while_exercises_are_added(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann = make_user()
    before = {item["id"] for item in catalogue(ann)}
    seen: list[str] = []
    for added, page in enumerate(pages(ann, "/v1/exercises?limit=10")):
        seen += [item["id"] for item in page["items"]]
        # between two pages, add one exercise sorting before and one after the cursor
        new_exercise(ann, name=f"AAA inserted {added}")
        new_exercise(ann, name=f"zzz inserted {added}")
    assert len(seen) == len(set(seen)), "an exercise was repeated"
    assert before <= set(seen), "an exercise present all along was skipped"


# --- custom exercises ------------------------------------------------------------------------


def test_create_read_update_delete(make_user: Callable[..., UserWithToken], db_url: str) -> None:
    ann = make_user()
    response = ann.post(
        "/v1/exercises",
        json={
            "name": "  Landmine   Press ",
            "category": "strength",
            "primary_muscle": "shoulders",
            "secondary_muscles": ["triceps", "chest"],
            "description": "One end of a bar in a corner.",
        },
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

    fetched = ann.get(f"/v1/exercises/{made['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == made

    changed = ann.patch(
        f"/v1/exercises/{made['id']}",
        json={"name": "Landmine Press (kneeling)", "secondary_muscles": []},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    body = changed.json()
    assert body["name"] == "Landmine Press (kneeling)"
    assert body["secondary_muscles"] == []
    assert body["description"] == "One end of a bar in a corner."  # untouched
    assert body["version"] == 2

    deleted = ann.delete(f"/v1/exercises/{made['id']}", headers={"If-Match": '"2"'})
    assert deleted.status_code == 204
    gone = ann.get(f"/v1/exercises/{made['id']}")
    assert gone.status_code == 404
    assert gone.json()["error_code"] == "exercise_not_found"

    events = [(r["event_type"], r["version"]) for r in change_events(db_url, entity_id=made["id"])]
    assert events == [
        ("exercise.created", 1),
        ("exercise.updated", 2),
        ("exercise.deleted", None),
    ]


def test_etags_give_304_and_412(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    made = new_exercise(ann)
    url = f"/v1/exercises/{made['id']}"
    for header in ('"1"', 'W/"1"', '"7", "1"', "*"):
        not_modified = ann.get(url, headers={"If-None-Match": header})
        assert not_modified.status_code == 304, header
        assert not_modified.content == b""
        assert not_modified.headers["etag"] == '"1"'
    assert ann.get(url, headers={"If-None-Match": '"2"'}).status_code == 200

    for header in ('"7"', 'W/"1"', "garbage", '"99999999999999999999"', b'"\xb2"', '""'):
        stale = ann.patch(url, json={"name": "X"}, headers={"If-Match": header})
        assert stale.status_code == 412, header
        assert stale.json()["error_code"] == "etag_mismatch"
        assert stale.headers["etag"] == '"1"'
    stale_delete = ann.delete(url, headers={"If-Match": '"9"'})
    assert stale_delete.status_code == 412
    assert ann.get(url).json()["name"] == "Zercher Squat"
    assert ann.patch(url, json={"name": "X"}, headers={"If-Match": "*"}).status_code == 200


def test_system_exercises_are_read_only(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    url = f"/v1/exercises/{BENCH_PRESS}"
    assert ann.get(url).json()["name"] == "Barbell Bench Press"
    for response in (
        ann.patch(url, json={"name": "Mine now"}),
        ann.delete(url),
    ):
        assert response.status_code == 403
        assert response.json()["error_code"] == "exercise_read_only"
    assert ann.get(url).json()["version"] == 1


def test_names_are_unique_per_user_ignoring_case(make_user: Callable[..., UserWithToken]) -> None:
    ann, bob = make_user(), make_user()
    new_exercise(ann, name="Sled Push")
    again = ann.post(
        "/v1/exercises",
        json={"name": "SLED push", "category": "strength", "primary_muscle": "quadriceps"},
    )
    assert again.status_code == 409
    assert again.json()["error_code"] == "exercise_name_taken"
    new_exercise(bob, name="Sled Push")  # another user's namesake is fine
    new_exercise(ann, name="Barbell Bench Press")  # so is a system exercise's name

    other = new_exercise(ann, name="Sled Pull")
    rename = ann.patch(f"/v1/exercises/{other['id']}", json={"name": "sled push"})
    assert rename.status_code == 409
    assert rename.json()["error_code"] == "exercise_name_taken"


def test_replayed_create_returns_the_stored_exercise(
    make_user: Callable[..., UserWithToken], db_url: str
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
    first = ann.post("/v1/exercises", json=body)
    assert first.status_code == 201
    replay = ann.post("/v1/exercises", json=body)
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert replay.headers["etag"] == '"1"'
    assert len(change_events(db_url, entity_id=exercise_id)) == 1  # created once

    different = ann.post("/v1/exercises", json={**body, "primary_muscle": "abs"})
    assert different.status_code == 409
    assert different.json()["error_code"] == "id_conflict"
    assert different.json()["details"][0]["field"] == "primary_muscle"

    # the same id from another user, or a system exercise's id, is taken
    for user, exercise in ((bob, exercise_id), (ann, BENCH_PRESS)):
        clash = user.post("/v1/exercises", json={**body, "id": exercise})
        assert clash.status_code == 409
        assert clash.json()["error_code"] == "id_conflict"


def test_deleting_an_exercise_in_use_is_409(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    planned = new_exercise(ann, name="In a plan")
    logged = new_exercise(ann, name="In a set")
    workout = ann.post("/v1/workouts", json={"name": "Plan"}).json()
    put = ann.put(f"/v1/workouts/{workout['id']}/exercises", json=[{"exercise_id": planned["id"]}])
    assert put.status_code == 200
    session = ann.post("/v1/sessions", json={}).json()
    logged_set = ann.post(
        f"/v1/sessions/{session['id']}/sets", json={"exercise_id": logged["id"], "reps": 5}
    )
    assert logged_set.status_code == 201

    for exercise in (planned, logged):
        response = ann.delete(f"/v1/exercises/{exercise['id']}")
        assert response.status_code == 409
        assert response.json()["error_code"] == "exercise_in_use"
        assert ann.get(f"/v1/exercises/{exercise['id']}").status_code == 200


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
    make_user: Callable[..., UserWithToken], body: dict[str, Any], field: str
) -> None:
    ann = make_user()
    response = ann.post("/v1/exercises", json=body)
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
    make_user: Callable[..., UserWithToken], body: dict[str, Any]
) -> None:
    ann = make_user()
    response = ann.post("/v1/exercises", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["details"]
    assert catalogue(ann, "&mine=true") == []


def test_bad_patches(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    made = new_exercise(ann, secondary_muscles=["glutes"])
    url = f"/v1/exercises/{made['id']}"
    for body in ({"name": None}, {"category": "yoga"}, {"custom": False}, {"version": 5}):
        response = ann.patch(url, json=body)
        assert response.status_code == 400, body
    # a primary muscle that is already a secondary one is refused by the database rule
    clash = ann.patch(url, json={"primary_muscle": "glutes"})
    assert clash.status_code == 422
    assert clash.json()["error_code"] == "invalid_muscles"
    assert ann.get(url).json()["version"] == 1
