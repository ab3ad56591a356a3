"""Supersets and circuits as a client sees them: exercises of a workout's plan and of a
session's plan grouped, ordered inside their group, copied when a session starts, kept
through edits and reordering, and refused when malformed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.api import UserWithToken, assert_error
from tests.catalogue import BACK_SQUAT, BENCH_PRESS, OVERHEAD_PRESS, PULL_UP
from tests.conftest import change_events


def new_workout(user: UserWithToken) -> dict[str, Any]:
    response = user.post("/v1/workouts", json={"name": "Upper superset day"})
    assert response.status_code == 201, response.text
    return response.json()


def put_plan(user: UserWithToken, path: str, items: list[dict], **headers: str) -> Any:
    return user.put(f"{path}/exercises", json=items, headers=headers)


def groups(document: dict[str, Any]) -> list[tuple[str, Any]]:
    """(exercise id, group) of each planned exercise, in plan order."""
    return [(item["exercise_id"], item["group"]) for item in document["exercises"]]


SUPERSET_PLAN = [
    {"exercise_id": BACK_SQUAT, "target_sets": 5},
    {"exercise_id": BENCH_PRESS, "group": {"key": "A", "kind": "superset"}},
    {"exercise_id": PULL_UP, "group": {"key": "A"}},  # kind defaults to superset
    {"exercise_id": OVERHEAD_PRESS, "group": {"key": "circ", "kind": "circuit"}},
    {"exercise_id": BACK_SQUAT, "group": {"key": "circ", "kind": "circuit"}},
]


def test_a_workout_plan_with_a_superset_and_a_circuit(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    workout = new_workout(ann)
    path = f"/v1/workouts/{workout['id']}"
    response = put_plan(ann, path, SUPERSET_PLAN)
    assert response.status_code == 200, response.text
    assert groups(response.json()) == [
        (BACK_SQUAT, None),
        (BENCH_PRESS, {"key": "A", "kind": "superset", "position": 0}),
        (PULL_UP, {"key": "A", "kind": "superset", "position": 1}),
        (OVERHEAD_PRESS, {"key": "circ", "kind": "circuit", "position": 0}),
        (BACK_SQUAT, {"key": "circ", "kind": "circuit", "position": 1}),
    ]
    assert ann.get(path).json() == response.json()
    listed = ann.get("/v1/workouts").json()["items"][0]
    assert listed["exercises"] == response.json()["exercises"]
    # stored as three columns a DBA can read
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT position, group_key, group_kind::text, group_position FROM workout_exercises"
            " WHERE workout_id = %s ORDER BY position",
            (workout["id"],),
        ).fetchall()
    assert rows == [
        (0, None, None, None),
        (1, "A", "superset", 0),
        (2, "A", "superset", 1),
        (3, "circ", "circuit", 0),
        (4, "circ", "circuit", 1),
    ]
    # the change is in the change log, with the document as served
    last = change_events(db_url, entity_id=workout["id"])[-1]
    assert (last["event_type"], last["version"]) == ("workout.updated", response.json()["version"])
    assert last["document"]["exercises"] == response.json()["exercises"]


def test_order_inside_a_group_follows_given_positions_then_the_array(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann = make_user()
    path = f"/v1/workouts/{new_workout(ann)['id']}"
    response = put_plan(
        ann,
        path,
        [
            {"exercise_id": BENCH_PRESS, "group": {"key": "A", "position": 7}},
            {"exercise_id": PULL_UP, "group": {"key": "A", "position": 2}},
            {"exercise_id": OVERHEAD_PRESS, "group": {"key": "A"}},  # no position: last
        ],
    )
    assert response.status_code == 200, response.text
    assert [item["group"]["position"] for item in response.json()["exercises"]] == [1, 0, 2]


def test_groups_survive_reordering_and_edits_and_a_read_document_can_be_sent_back(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann = make_user()
    workout = new_workout(ann)
    path = f"/v1/workouts/{workout['id']}"
    first = put_plan(ann, path, SUPERSET_PLAN).json()
    # send back what GET showed, reversed: the groups stay, their order follows `position`
    items = [
        {k: v for k, v in item.items() if k not in ("position", "exercise_name")}
        for item in reversed(first["exercises"])
    ]
    again = put_plan(ann, path, items, **{"If-Match": '"2"'})
    assert again.status_code == 200, again.text
    assert groups(again.json()) == list(reversed(groups(first)))
    # renaming and activating the workout leaves the plan (and its groups) as it is
    patched = ann.patch(path, json={"name": "Renamed", "status": "active"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["exercises"] == again.json()["exercises"]
    # ungrouping: an exercise without `group` (or with null) stands alone
    plain = put_plan(
        ann, path, [{"exercise_id": BENCH_PRESS}, {"exercise_id": PULL_UP, "group": None}]
    )
    assert groups(plain.json()) == [(BENCH_PRESS, None), (PULL_UP, None)]


def test_a_session_copies_the_groups_of_its_workout(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann = make_user()
    workout = new_workout(ann)
    planned = put_plan(ann, f"/v1/workouts/{workout['id']}", SUPERSET_PLAN).json()
    session = ann.post("/v1/sessions", json={"workout_id": workout["id"]}).json()
    assert session["exercises"] == planned["exercises"]
    # editing the workout afterwards leaves the session's copy as it was
    put_plan(ann, f"/v1/workouts/{workout['id']}", [{"exercise_id": BENCH_PRESS}])
    assert ann.get(f"/v1/sessions/{session['id']}").json()["exercises"] == planned["exercises"]


def test_a_session_plan_can_be_grouped_and_replaced(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    session = ann.post("/v1/sessions", json={"name": "Ad hoc"}).json()
    path = f"/v1/sessions/{session['id']}"
    assert session["exercises"] == []
    logged = ann.post(f"{path}/sets", json={"exercise_id": BENCH_PRESS, "reps": 5}).json()
    replaced = put_plan(
        ann,
        path,
        [
            {"exercise_id": BENCH_PRESS, "group": {"key": "s1"}},
            {"exercise_id": PULL_UP, "group": {"key": "s1"}},
        ],
        **{"If-Match": f'"{logged["session_version"]}"'},
    )
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert replaced.headers["etag"] == f'"{body["version"]}"'
    assert body["version"] == logged["session_version"] + 1
    assert groups(body) == [
        (BENCH_PRESS, {"key": "s1", "kind": "superset", "position": 0}),
        (PULL_UP, {"key": "s1", "kind": "superset", "position": 1}),
    ]
    assert [s["id"] for s in body["sets"]] == [logged["sets"][0]["id"]]  # sets untouched
    # a stale ETag is 412 and changes nothing
    stale = put_plan(ann, path, [], **{"If-Match": f'"{logged["session_version"]}"'})
    assert_error(stale, 412, "etag_mismatch")
    assert ann.get(path).json()["exercises"] == body["exercises"]
    # a finished session still takes a corrected plan; an empty array clears it
    assert ann.post(f"{path}/finish").status_code == 200
    cleared = put_plan(ann, path, [])
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["exercises"] == []
    last = change_events(db_url, entity_id=session["id"])[-1]
    assert (last["event_type"], last["version"]) == ("session.updated", cleared.json()["version"])
    assert last["document"]["exercises"] == []


def test_an_abandoned_session_plan_is_frozen(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    session = ann.post("/v1/sessions", json={}).json()
    assert ann.post(f"/v1/sessions/{session['id']}/abandon").status_code == 200
    response = put_plan(ann, f"/v1/sessions/{session['id']}", [{"exercise_id": BENCH_PRESS}])
    assert_error(response, 409, "session_abandoned")


@pytest.mark.parametrize("resource", ["workouts", "sessions"])
@pytest.mark.parametrize(
    ("items", "field"),
    [
        # a group of one exercise
        (
            [{"exercise_id": BENCH_PRESS, "group": {"key": "A"}}, {"exercise_id": PULL_UP}],
            "[0].group.key",
        ),
        # two kinds under one key
        (
            [
                {"exercise_id": BENCH_PRESS, "group": {"key": "A", "kind": "superset"}},
                {"exercise_id": PULL_UP, "group": {"key": "A", "kind": "circuit"}},
            ],
            "[1].group.kind",
        ),
    ],
)
def test_malformed_groups_are_422(
    make_user: Callable[..., UserWithToken], resource: str, items: list[dict], field: str
) -> None:
    ann = make_user()
    if resource == "workouts":
        path = f"/v1/workouts/{new_workout(ann)['id']}"
    else:
        path = f"/v1/sessions/{ann.post('/v1/sessions', json={}).json()['id']}"
    before = ann.get(path).json()
    body = assert_error(put_plan(ann, path, items), 422, "invalid_group")
    assert [d["field"] for d in body["details"]] == [field]
    assert ann.get(path).json() == before  # nothing written, version unchanged


@pytest.mark.parametrize("resource", ["workouts", "sessions"])
@pytest.mark.parametrize(
    ("group", "field"),
    [
        ({"kind": "superset"}, "[0].group.key"),  # no key
        ({"key": ""}, "[0].group.key"),
        ({"key": "x" * 41}, "[0].group.key"),
        ({"key": "A B"}, "[0].group.key"),  # outside the allowed characters
        ({"key": 1}, "[0].group.key"),
        ({"key": "A", "kind": "giant_set"}, "[0].group.kind"),
        ({"key": "A", "position": -1}, "[0].group.position"),
        ({"key": "A", "position": 100}, "[0].group.position"),
        ({"key": "A", "position": "1"}, "[0].group.position"),
        ({"key": "A", "colour": "red"}, "[0].group.colour"),  # unknown field
        ("A", "[0].group"),
    ],
)
def test_bad_group_fields_are_400(
    make_user: Callable[..., UserWithToken], resource: str, group: Any, field: str
) -> None:
    ann = make_user()
    if resource == "workouts":
        path = f"/v1/workouts/{new_workout(ann)['id']}"
    else:
        path = f"/v1/sessions/{ann.post('/v1/sessions', json={}).json()['id']}"
    items = [{"exercise_id": BENCH_PRESS, "group": group}, {"exercise_id": PULL_UP}]
    body = assert_error(put_plan(ann, path, items), 400, "validation_error")
    assert body["details"][0]["field"] == field, body


def test_a_session_plan_is_checked_like_a_workouts(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann, bob = make_user(), make_user()
    bobs = bob.post(
        "/v1/exercises",
        json={"name": "Bob's Row", "category": "strength", "primary_muscle": "back"},
    ).json()
    path = f"/v1/sessions/{ann.post('/v1/sessions', json={}).json()['id']}"
    response = put_plan(ann, path, [{"exercise_id": BENCH_PRESS}, {"exercise_id": bobs["id"]}])
    body = assert_error(response, 422, "unknown_exercise")
    assert body["details"][0]["field"] == "[1].exercise_id"
    too_many = put_plan(ann, path, [{"exercise_id": BENCH_PRESS}] * 101)
    assert_error(too_many, 400, "validation_error")
    assert_error(
        ann.put(f"{path}/exercises", json={"exercise_id": BENCH_PRESS}), 400, "validation_error"
    )
    # another user's session is not found, whatever the body
    assert_error(bob.put(f"{path}/exercises", json=[]), 404, "session_not_found")
