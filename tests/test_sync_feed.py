"""The sync feed and the snapshot: what a device reads to keep its copy of the user's data.

GET /v1/sync/changes serves the change log after a cursor, oldest first; GET
/v1/sync/snapshot serves everything current, paged, exact at the feed cursor it returns.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from app.core.db import Db
from app.sync.operations import prune
from tests.api import Client, UserWithToken
from tests.catalogue import BACK_SQUAT, BENCH_PRESS
from tests.test_cli import kinetria

CHANGES = "/v1/sync/changes"
SNAPSHOT = "/v1/sync/snapshot"


def feed(user: UserWithToken, cursor: str | None = None, limit: int = 1000) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if cursor is not None:
        params["cursor"] = cursor
    response = user.get(CHANGES, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def all_events(user: UserWithToken, cursor: str | None = None) -> tuple[list[dict[str, Any]], str]:
    """Every event after `cursor`, following pages; and the cursor to poll next."""
    events: list[dict[str, Any]] = []
    while True:
        page = feed(user, cursor, limit=7)
        events += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return events, cursor


def snapshot(user: UserWithToken, limit: int = 1000) -> tuple[list[dict[str, Any]], str]:
    """Every item of a new snapshot, following its pages; and its changes_cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    changes_cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = user.get(SNAPSHOT, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        assert changes_cursor in (None, page["changes_cursor"])  # the same on every page
        changes_cursor = page["changes_cursor"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items, changes_cursor


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status_code"] == status
    assert body["error_code"] == code
    assert body["message"]
    assert "request_id" in body


def without_sets(session: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in session.items() if k != "sets"}


def cursor_of(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).rstrip(b"=").decode()


def some_data(ann: UserWithToken) -> dict[str, Any]:
    """One of each kind of entity, changed a few times; the ids."""
    exercise = ann.post(
        "/v1/exercises",
        json={"name": "Zercher Squat", "category": "strength", "primary_muscle": "quadriceps"},
    )
    assert exercise.status_code == 201, exercise.text
    workout = ann.post("/v1/workouts", json={"name": "Legs"})
    assert workout.status_code == 201, workout.text
    planned = ann.put(
        f"/v1/workouts/{workout.json()['id']}/exercises",
        json=[{"exercise_id": BACK_SQUAT, "target_sets": 5}],
        headers={"If-Match": '"1"'},
    )
    assert planned.status_code == 200, planned.text
    session = ann.post("/v1/sessions", json={"workout_id": workout.json()["id"]})
    assert session.status_code == 201, session.text
    session_id = session.json()["id"]
    sets = ann.post(
        f"/v1/sessions/{session_id}/sets",
        json=[
            {"exercise_id": BACK_SQUAT, "reps": 5, "weight": 100},
            {"exercise_id": BENCH_PRESS, "reps": 8, "weight": 60},
        ],
    )
    assert sets.status_code == 201, sets.text
    set_ids = [s["id"] for s in sets.json()["sets"]]
    deleted = ann.delete(f"/v1/sessions/{session_id}/sets/{set_ids[1]}")
    assert deleted.status_code == 204, deleted.text
    finished = ann.post(f"/v1/sessions/{session_id}/finish", json={})
    assert finished.status_code == 200, finished.text
    measurement = ann.post("/v1/body-measurements", json={"kind": "body_weight", "value": 80.5})
    assert measurement.status_code == 201, measurement.text
    profile = ann.patch("/v1/me", json={"display_name": "Ann"})
    assert profile.status_code == 200, profile.text
    return {
        "exercise": exercise.json()["id"],
        "workout": workout.json()["id"],
        "session": session_id,
        "sets": set_ids,
        "measurement": measurement.json()["id"],
    }


def test_the_feed_serves_every_change_in_order_with_the_documents_served(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann = make_user()
    ids = some_data(ann)
    events, _ = all_events(ann)
    assert [e["event_type"] for e in events] == [
        "exercise.created",
        "workout.created",
        "workout.updated",
        "session.created",
        "set.created",
        "set.created",
        "session.updated",
        "set.deleted",
        "session.updated",
        "session.completed",
        "body_measurement.created",
        "profile.updated",
    ]
    assert [e["position"] for e in events] == list(range(1, 13))
    for event in events:
        assert event["entity_type"] == event["event_type"].split(".")[0]
        assert set(event) == {
            "position",
            "event_type",
            "entity_type",
            "entity_id",
            "version",
            "document",
            "created_at",
        }
    # the last event of each entity carries what its GET route answers
    latest = {e["entity_id"]: e for e in events}
    assert latest[ids["exercise"]]["document"] == ann.get(f"/v1/exercises/{ids['exercise']}").json()
    assert latest[ids["workout"]]["document"] == ann.get(f"/v1/workouts/{ids['workout']}").json()
    session = ann.get(f"/v1/sessions/{ids['session']}").json()
    assert latest[ids["session"]]["document"] == without_sets(session)
    assert latest[ids["session"]]["version"] == session["version"]
    kept = ann.get(f"/v1/sessions/{ids['session']}/sets/{ids['sets'][0]}").json()
    assert latest[ids["sets"][0]]["document"] == kept
    tombstone = latest[ids["sets"][1]]
    assert (tombstone["document"], tombstone["version"]) == (None, None)
    measurement = ann.get(f"/v1/body-measurements/{ids['measurement']}").json()
    assert latest[ids["measurement"]]["document"] == measurement
    assert latest[str(ann.id)]["document"] == ann.get("/v1/me").json()


def test_pages_continue_where_the_last_ended_and_an_empty_poll_keeps_the_cursor(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann = make_user()
    for value in range(5):
        created = ann.post("/v1/body-measurements", json={"kind": "body_fat", "value": 20 + value})
        assert created.status_code == 201, created.text
    first = feed(ann, limit=2)
    assert [e["position"] for e in first["items"]] == [1, 2]
    assert first["has_more"] is True
    second = feed(ann, first["next_cursor"], limit=2)
    assert [e["position"] for e in second["items"]] == [3, 4]
    third = feed(ann, second["next_cursor"], limit=2)
    assert [e["position"] for e in third["items"]] == [5]
    assert third["has_more"] is False
    idle = feed(ann, third["next_cursor"])
    assert idle == {"items": [], "next_cursor": third["next_cursor"], "has_more": False}
    # a change made since shows up at the cursor kept
    ann.post("/v1/body-measurements", json={"kind": "body_fat", "value": 30})
    assert [e["position"] for e in feed(ann, idle["next_cursor"])["items"]] == [6]


def test_a_user_with_no_changes_has_an_empty_feed(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    page = feed(ann)
    assert page["items"] == []
    assert page["has_more"] is False
    assert feed(ann, page["next_cursor"])["items"] == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"cursor": "not base64 !"}, "invalid_cursor"),
        ({"cursor": "e30"}, "invalid_cursor"),  # {} as JSON
        ({"cursor": cursor_of(-1)}, "invalid_cursor"),
        ({"cursor": cursor_of(99)}, "invalid_cursor"),  # beyond the feed's end
        ({"cursor": cursor_of("00000000-0000-0000-0000-000000000000", 0)}, "invalid_cursor"),
        ({"limit": 0}, "validation_error"),
        ({"limit": 1001}, "validation_error"),
        ({"limit": "many"}, "validation_error"),
    ],
)
def test_bad_cursors_and_limits_are_400(
    make_user: Callable[..., UserWithToken], params: dict[str, Any], code: str
) -> None:
    ann = make_user()
    ann.post("/v1/body-measurements", json={"kind": "body_fat", "value": 20})
    assert_error(ann.get(CHANGES, params=params), 400, code)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"cursor": "not base64 !"}, "invalid_cursor"),
        ({"cursor": cursor_of(3)}, "invalid_cursor"),  # a feed cursor
        ({"cursor": cursor_of(str(uuid.uuid4()), -1)}, "invalid_cursor"),
        ({"limit": 0}, "validation_error"),
        ({"limit": 1001}, "validation_error"),
    ],
)
def test_bad_snapshot_cursors_and_limits_are_400(
    make_user: Callable[..., UserWithToken], params: dict[str, Any], code: str
) -> None:
    assert_error(make_user().get(SNAPSHOT, params=params), 400, code)


def test_the_routes_need_a_token(client: Client) -> None:
    assert_error(client.get(CHANGES), 401, "missing_token")
    assert_error(client.get(SNAPSHOT), 401, "missing_token")


def run_prune(db_url: str, *, days: int, now: datetime) -> tuple[int, int]:
    async def main() -> tuple[int, int]:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            from app.core.db import configure_connection, load_queries

            await configure_connection(conn)
            return await prune(Db(conn, load_queries(), 1000), retention_days=days, now=now)

    return asyncio.run(main())


def test_a_cursor_older_than_the_retention_is_410_and_a_snapshot_resumes(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    bob = make_user()
    ann.post("/v1/body-measurements", json={"kind": "body_fat", "value": 20})
    old = feed(ann)["next_cursor"]  # seen through position 1
    start = feed(ann, limit=1)
    assert start["items"][0]["position"] == 1
    bob.post("/v1/body-measurements", json={"kind": "body_fat", "value": 25})
    with psycopg.connect(db_url, autocommit=True) as conn:  # ann's first event is 100 days old
        conn.execute(
            "UPDATE change_events SET created_at = now() - interval '100 days' WHERE user_id = %s",
            (ann.id,),
        )
    ann.post("/v1/body-measurements", json={"kind": "body_fat", "value": 21})
    assert run_prune(db_url, days=90, now=datetime.now(UTC)) == (1, 0)
    # the beginning of the feed is gone: 410, with or without a cursor before it
    assert_error(ann.get(CHANGES), 410, "cursor_expired")
    # a device that had seen position 1 still continues
    assert [e["position"] for e in feed(ann, old)["items"]] == [2]
    # a snapshot gives the current data and the cursor to continue from
    items, changes_cursor = snapshot(ann)
    assert sorted(
        i["document"]["value"] for i in items if i["entity_type"] == "body_measurement"
    ) == [
        20,
        21,
    ]
    assert feed(ann, changes_cursor)["items"] == []
    # another user's events were kept
    assert [e["position"] for e in feed(bob)["items"]] == [1]
    # pruning again finds nothing
    assert run_prune(db_url, days=90, now=datetime.now(UTC)) == (0, 0)
    # every event older than the retention goes, the user's feed resumes after them
    assert run_prune(db_url, days=1, now=datetime.now(UTC) + timedelta(days=2)) == (2, 0)
    assert_error(ann.get(CHANGES, params={"cursor": old}), 410, "cursor_expired")
    assert feed(ann, changes_cursor)["items"] == []


def test_nobody_sees_another_users_events_or_snapshots(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann = make_user()
    bob = make_user()
    some_data(ann)
    assert feed(bob)["items"] == []
    items, _ = snapshot(bob)
    assert items == [
        {
            "entity_type": "profile",
            "entity_id": str(bob.id),
            "version": 1,
            "document": bob.get("/v1/me").json(),
        }
    ]
    page = ann.get(SNAPSHOT, params={"limit": 2}).json()
    assert page["next_cursor"] is not None
    # ann's snapshot cursor is nothing to bob
    assert_error(bob.get(SNAPSHOT, params={"cursor": page["next_cursor"]}), 410, "snapshot_expired")
    # nor is ann's feed cursor beyond bob's feed
    assert_error(
        bob.get(CHANGES, params={"cursor": feed(ann)["next_cursor"]}), 400, "invalid_cursor"
    )


def test_account_deletion_removes_the_events_and_snapshots(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    some_data(ann)
    ann.get(SNAPSHOT, params={"limit": 1})
    assert ann.delete("/v1/me").status_code == 204
    with psycopg.connect(db_url, autocommit=True) as conn:
        for table in ("change_events", "sync_counters", "sync_snapshots", "sync_snapshot_items"):
            query = sql.SQL("SELECT count(*) FROM {} WHERE user_id = %s").format(
                sql.Identifier(table)
            )
            count = conn.execute(query, (ann.id,)).fetchone()
            assert count == (0,), table


def state_of(ann: UserWithToken, ids: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """What the API's own GET routes answer for the user's entities, keyed as snapshot items."""
    state: dict[tuple[str, str], dict[str, Any]] = {}
    for exercise in ann.get("/v1/exercises", params={"limit": 100, "mine": "true"}).json()["items"]:
        if exercise["custom"]:
            state["exercise", exercise["id"]] = exercise
    for workout in ann.get("/v1/workouts", params={"limit": 100}).json()["items"]:
        state["workout", workout["id"]] = ann.get(f"/v1/workouts/{workout['id']}").json()
    for summary in ann.get("/v1/sessions", params={"limit": 100}).json()["items"]:
        session = ann.get(f"/v1/sessions/{summary['id']}").json()
        state["session", session["id"]] = without_sets(session)
        for set_ in session["sets"]:
            state["set", set_["id"]] = set_
    me = ann.get("/v1/me").json()
    state["profile", me["id"]] = me
    for m in ann.get("/v1/body-measurements", params={"limit": 100}).json()["items"]:
        state["body_measurement", m["id"]] = m
    return state


def test_a_snapshot_is_the_state_at_its_cursor_while_changes_go_on(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann = make_user()
    ids = some_data(ann)
    before = state_of(ann, ids)
    first = ann.get(SNAPSHOT, params={"limit": 3})
    assert first.status_code == 200, first.text
    page = first.json()
    changes_cursor = page["changes_cursor"]
    items = page["items"]
    # changes made while the device pages the snapshot
    ann.patch(
        f"/v1/workouts/{ids['workout']}", json={"name": "Legs again"}, headers={"If-Match": '"2"'}
    )
    ann.delete(f"/v1/body-measurements/{ids['measurement']}")
    ann.post("/v1/body-measurements", json={"kind": "body_fat", "value": 15})
    cursor = page["next_cursor"]
    while cursor is not None:
        page = ann.get(SNAPSHOT, params={"limit": 3, "cursor": cursor}).json()
        assert page["changes_cursor"] == changes_cursor
        items += page["items"]
        cursor = page["next_cursor"]
    # every page shows the data as it was when the snapshot was taken
    assert {(i["entity_type"], i["entity_id"]): i["document"] for i in items} == before
    for item in items:
        assert item["version"] == item["document"]["version"]
    order = [
        ("exercise", "workout", "session", "set", "profile", "body_measurement").index(
            i["entity_type"]
        )
        for i in items
    ]
    assert order == sorted(order)
    # and the feed from its cursor brings exactly the changes made since
    events, _ = all_events(ann, changes_cursor)
    assert [e["event_type"] for e in events] == [
        "workout.updated",
        "body_measurement.deleted",
        "body_measurement.created",
    ]


def test_a_user_keeps_five_snapshots_and_an_expired_one_is_410(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    for value in range(3):
        ann.post("/v1/body-measurements", json={"kind": "body_fat", "value": 20 + value})
    cursors = [ann.get(SNAPSHOT, params={"limit": 1}).json()["next_cursor"] for _ in range(6)]
    assert_error(ann.get(SNAPSHOT, params={"cursor": cursors[0]}), 410, "snapshot_expired")
    for cursor in cursors[1:]:
        assert ann.get(SNAPSHOT, params={"cursor": cursor}).status_code == 200
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE sync_snapshots SET created_at = now() - interval '2 hours',"
            " expires_at = now() - interval '1 hour' WHERE user_id = %s",
            (ann.id,),
        )
    assert_error(ann.get(SNAPSHOT, params={"cursor": cursors[5]}), 410, "snapshot_expired")
    assert run_prune(db_url, days=90, now=datetime.now(UTC)) == (0, 5)


def test_db_prune_prunes_with_the_configured_retention(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    for value in range(3):
        ann.post("/v1/body-measurements", json={"kind": "body_fat", "value": 20 + value})
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE change_events SET created_at = now() - interval '10 days'"
            " WHERE user_id = %s AND position <= 2",
            (ann.id,),
        )
    kept = kinetria("db", "prune", env={"DATABASE_URL": db_url, "SYNC_RETENTION_DAYS": "30"})
    assert kept.returncode == 0, kept.stderr
    assert "pruned 0 sync events older than 30 days and 0 expired snapshots" in kept.stdout
    assert [e["position"] for e in feed(ann)["items"]] == [1, 2, 3]
    pruned = kinetria("db", "prune", env={"DATABASE_URL": db_url, "SYNC_RETENTION_DAYS": "7"})
    assert pruned.returncode == 0, pruned.stderr
    assert "pruned 2 sync events older than 7 days" in pruned.stdout
    assert_error(ann.get(CHANGES), 410, "cursor_expired")
    assert [e["position"] for e in feed(ann, cursor_of(2))["items"]] == [3]


def test_the_worker_prunes_daily() -> None:
    from app import worker
    from app.sync import jobs  # what every worker imports at start

    assert jobs.__name__ in worker.TASK_MODULES
    task = worker.app.tasks["sync.prune"]
    assert task.queue == "maintenance"
    registry = worker.app.periodic_registry.periodic_tasks.values()
    periodic = [p for p in registry if p.task is task]
    assert [p.cron for p in periodic] == ["41 3 * * *"]
