"""Sessions as a client sees them: starting (empty or from a workout), one in progress at a
time, the state machine, times and time zones, local-day filters, pages, ETags, replays."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.api import UserWithToken, all_pages, pages
from tests.catalogue import BENCH_PRESS, OVERHEAD_PRESS
from tests.conftest import change_events


def start(user: UserWithToken, **body: Any) -> dict[str, Any]:
    response = user.post("/v1/sessions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def finish(user: UserWithToken, session_id: str, **body: Any) -> Any:
    return user.post(f"/v1/sessions/{session_id}/finish", json=body)


def log_session(user: UserWithToken, started_at: str, tz: str = "UTC") -> dict:
    """A finished session that started at `started_at`."""
    session = start(user, started_at=started_at, timezone=tz)
    assert finish(user, session["id"]).status_code == 200
    return session


def all_sessions(user: UserWithToken, query: str = "") -> list[dict]:
    """Every session of `user`'s list with `query`, read two a page."""
    return all_pages(user, f"/v1/sessions?limit=2{query}")


def test_start_empty_log_finish_read_back(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    response = ann.post(
        "/v1/sessions",
        json={"name": "Evening lift", "timezone": "Europe/Paris", "notes": "felt good"},
    )
    assert response.status_code == 201, response.text
    session = response.json()
    assert session["status"] == "in_progress"
    assert session["ended_at"] is None
    assert session["workout_id"] is None
    assert session["exercises"] == []
    assert session["sets"] == []
    assert session["timezone"] == "Europe/Paris"
    assert response.headers["location"] == f"/v1/sessions/{session['id']}"
    assert response.headers["etag"] == '"1"'

    logged = ann.post(
        f"/v1/sessions/{session['id']}/sets",
        json=[{"exercise_id": BENCH_PRESS, "reps": 5, "weight": 100}] * 2,
    )
    assert logged.status_code == 201

    done = finish(ann, session["id"])
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "completed"
    assert body["ended_at"] >= body["started_at"]
    assert [s["position"] for s in body["sets"]] == [0, 1]
    assert done.headers["etag"] == f'"{body["version"]}"'

    read = ann.get(f"/v1/sessions/{session['id']}")
    assert read.json() == body
    events = change_events(db_url, entity_id=session["id"])
    assert [e["event_type"] for e in events] == [
        "session.created",
        "session.updated",
        "session.completed",
    ]
    assert events[0]["document"]["status"] == "in_progress"
    # the session's document without its sets (they have their own events)
    assert events[-1]["version"] == body["version"]
    assert events[-1]["document"] == {k: v for k, v in body.items() if k != "sets"}


def test_reading_sessions_is_one_round_trip(
    make_user: Callable[..., UserWithToken], statements: list[str]
) -> None:
    ann = make_user()
    session = start(ann)
    ann.post(
        f"/v1/sessions/{session['id']}/sets", json=[{"exercise_id": BENCH_PRESS, "reps": 5}] * 3
    )
    statements.clear()
    assert ann.get(f"/v1/sessions/{session['id']}").status_code == 200
    assert ann.get("/v1/sessions?limit=20").status_code == 200
    assert statements == ["sessions/get", "sessions/list"]


def test_start_from_a_workout_copies_its_plan(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    workout = ann.post("/v1/workouts", json={"name": "Push A"}).json()
    plan = [
        {"exercise_id": BENCH_PRESS, "target_sets": 5, "target_reps": 5, "target_weight_kg": 80},
        {"exercise_id": OVERHEAD_PRESS, "target_sets": 3, "target_rest_s": 90},
    ]
    ann.put(f"/v1/workouts/{workout['id']}/exercises", json=plan)

    session = start(ann, workout_id=workout["id"])
    assert session["workout_id"] == workout["id"]
    assert session["name"] == "Push A"  # the workout's, unless named
    assert [(e["exercise_name"], e["target_sets"]) for e in session["exercises"]] == [
        ("Barbell Bench Press", 5),
        ("Overhead Press", 3),
    ]
    assert session["exercises"][0]["target_weight_kg"] == 80

    # editing the workout afterwards leaves the session's plan as it was
    ann.put(f"/v1/workouts/{workout['id']}/exercises", json=[])
    again = ann.get(f"/v1/sessions/{session['id']}").json()
    assert len(again["exercises"]) == 2

    finish(ann, session["id"])
    named = start(ann, workout_id=workout["id"], name="Push A (light)")
    assert named["name"] == "Push A (light)"
    assert named["exercises"] == []


def test_only_one_session_in_progress(make_user: Callable[..., UserWithToken]) -> None:
    ann, bob = make_user(), make_user()
    first = start(ann)
    second = ann.post("/v1/sessions", json={})
    assert second.status_code == 409
    assert second.json()["error_code"] == "session_in_progress"
    assert second.json()["details"] == [{"session_id": first["id"]}]
    start(bob)  # others are not affected

    ann.post(f"/v1/sessions/{first['id']}/abandon")
    start(ann)  # once it has ended, a new one may start


def test_workouts_you_cannot_start_from(make_user: Callable[..., UserWithToken]) -> None:
    ann, bob = make_user(), make_user()
    bobs = bob.post("/v1/workouts", json={"name": "Bob's"}).json()
    for workout_id in (bobs["id"], str(uuid.uuid4())):
        response = ann.post("/v1/sessions", json={"workout_id": workout_id})
        assert response.status_code == 422
        assert response.json()["error_code"] == "unknown_workout"
        assert response.json()["details"][0]["field"] == "workout_id"

    archived = ann.post("/v1/workouts", json={"name": "Old"}).json()
    for status in ("active", "archived"):
        ann.patch(f"/v1/workouts/{archived['id']}", json={"status": status})
    response = ann.post("/v1/sessions", json={"workout_id": archived["id"]})
    assert response.status_code == 409
    assert response.json()["error_code"] == "workout_archived"
    assert all_sessions(ann) == []


@pytest.mark.parametrize(
    ("path", "final", "codes"),
    [
        (["finish"], "completed", [200]),
        (["abandon"], "abandoned", [200]),
        (["finish", "finish"], "completed", [200, 200]),
        (["abandon", "abandon"], "abandoned", [200, 200]),
        (["finish", "abandon"], "completed", [200, 409]),
        (["abandon", "finish"], "abandoned", [200, 409]),
    ],
)
def test_state_machine(
    make_user: Callable[..., UserWithToken],
    path: list[str],
    final: str,
    codes: list[int],
) -> None:
    ann = make_user()
    session = start(ann)
    responses = [ann.post(f"/v1/sessions/{session['id']}/{step}") for step in path]
    assert [r.status_code for r in responses] == codes
    if codes[-1] == 409:
        error = responses[-1].json()
        assert error["error_code"] == "illegal_transition"
        assert error["details"][0]["from"] == final
    current = ann.get(f"/v1/sessions/{session['id']}").json()
    assert current["status"] == final
    assert current["ended_at"] is not None
    # a repeated finish/abandon changed nothing: the version moved once
    assert current["version"] == 2


def test_finish_with_an_end_time(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    session = start(ann, started_at="2026-03-01T22:30:00+01:00")
    too_early = finish(ann, session["id"], ended_at="2026-03-01T21:00:00Z")
    assert too_early.status_code == 422
    assert too_early.json()["error_code"] == "invalid_times"
    overnight = finish(ann, session["id"], ended_at="2026-03-02T00:40:00+01:00")
    assert overnight.status_code == 200
    assert overnight.json()["ended_at"] == "2026-03-01T23:40:00Z"
    assert overnight.json()["started_at"] == "2026-03-01T21:30:00Z"
    naive = finish(ann, session["id"], ended_at="2026-03-02T00:40:00")
    assert naive.status_code == 400
    unknown = finish(ann, session["id"], when="now")
    assert unknown.status_code == 400


def test_finish_and_abandon_honour_if_match(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    session = start(ann)
    url = f"/v1/sessions/{session['id']}"
    stale = ann.post(f"{url}/finish", headers={"If-Match": '"3"'})
    assert stale.status_code == 412
    stale = ann.post(f"{url}/abandon", headers={"If-Match": '"3"'})
    assert stale.status_code == 412
    assert ann.get(url).json()["status"] == "in_progress"
    done = ann.post(f"{url}/finish", headers={"If-Match": '"1"'})
    assert done.status_code == 200
    # the retry of that same request (its answer lost) still succeeds, changing nothing
    retry = ann.post(f"{url}/finish", headers={"If-Match": '"1"'})
    assert retry.status_code == 200
    assert retry.json() == done.json()


def test_patch_times_notes_and_time_zone(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    session = start(ann, started_at="2026-05-01T18:00:00Z")
    url = f"/v1/sessions/{session['id']}"
    changed = ann.patch(
        url,
        json={"notes": "deload", "timezone": "America/New_York", "name": "Legs"},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["notes"], body["timezone"], body["name"]) == ("deload", "America/New_York", "Legs")
    assert changed.headers["etag"] == '"2"'

    in_progress_end = ann.patch(url, json={"ended_at": "2026-05-01T19:00:00Z"})
    assert in_progress_end.status_code == 422
    assert in_progress_end.json()["error_code"] == "invalid_times"

    finish(ann, session["id"], ended_at="2026-05-01T19:00:00Z")
    moved = ann.patch(
        url, json={"started_at": "2026-05-01T17:30:00Z", "ended_at": "2026-05-01T19:15:00Z"}
    )
    assert moved.status_code == 200
    assert (moved.json()["started_at"], moved.json()["ended_at"]) == (
        "2026-05-01T17:30:00Z",
        "2026-05-01T19:15:00Z",
    )
    backwards = ann.patch(url, json={"started_at": "2026-05-01T20:00:00Z"})
    assert backwards.status_code == 422
    assert backwards.json()["error_code"] == "invalid_times"

    stale = ann.patch(url, json={"notes": "x"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    for body in (
        {"status": "completed"},
        {"timezone": "Not a zone!"},
        {"started_at": "yesterday"},
        {"notes": None},
        {"workout_id": None},
    ):
        assert ann.patch(url, json=body).status_code == 400, body
    unknown_zone = ann.patch(url, json={"timezone": "Mars/Olympus_Mons"})
    assert unknown_zone.status_code == 422
    assert unknown_zone.json()["error_code"] == "invalid_timezone"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, 422),
        ({"timezone": ""}, 400),
        ({"timezone": "Europe/Paris; DROP TABLE sessions"}, 400),
        ({"started_at": "2026-01-01T10:00:00"}, 400),  # no offset: ambiguous
        ({"started_at": {"date": "2026-01-01"}}, 400),
        ({"started_at": 1700000000}, 400),  # no number of seconds for a time
        ({"workout_id": "push-day"}, 400),
        ({"name": "x" * 101}, 400),
        ({"status": "completed"}, 400),
        ({"sets": []}, 400),
    ],
)
def test_bad_start_bodies(make_user: Callable[..., UserWithToken], body: dict, status: int) -> None:
    ann = make_user()
    response = ann.post("/v1/sessions", json=body)
    assert response.status_code == status, response.text
    assert response.json()["details"][0]["field"]
    assert all_sessions(ann) == []


def test_replayed_start(make_user: Callable[..., UserWithToken]) -> None:
    ann, bob = make_user(), make_user()
    body = {"id": str(uuid.uuid4()), "started_at": "2026-02-02T07:00:00Z", "timezone": "UTC"}
    first = ann.post("/v1/sessions", json=body)
    assert first.status_code == 201
    replay = ann.post("/v1/sessions", json=body)
    assert replay.status_code == 200  # not a second session in progress: the same one
    assert replay.json() == first.json()
    # still a replay after the session has moved on (finished later)
    finish(ann, body["id"])
    assert ann.post("/v1/sessions", json=body).status_code == 200

    different = ann.post("/v1/sessions", json={**body, "started_at": "2026-02-02T08:00:00Z"})
    assert different.status_code == 409
    assert different.json()["error_code"] == "id_conflict"
    assert bob.post("/v1/sessions", json=body).status_code == 409
    assert len(all_sessions(ann)) == 1


def test_list_filters_by_status_and_local_day(make_user: Callable[..., UserWithToken]) -> None:
    ann, bob = make_user(), make_user()
    # 2026-01-01 23:30 in Tokyo is 14:30 UTC the same day
    tokyo = log_session(ann, "2026-01-01T14:30:00Z", "Asia/Tokyo")
    # 2026-01-01 23:30 in Los Angeles is 07:30 UTC the next day
    la = log_session(ann, "2026-01-02T07:30:00Z", "America/Los_Angeles")
    # 2026-01-02 00:30 in Paris is 23:30 UTC the day before
    paris = log_session(ann, "2026-01-01T23:30:00Z", "Europe/Paris")
    running = start(ann, started_at="2026-01-03T10:00:00Z")
    log_session(bob, "2026-01-01T12:00:00Z")

    def ids(query: str) -> set[str]:
        return {s["id"] for s in all_sessions(ann, query)}

    assert ids("&from=2026-01-01&to=2026-01-01") == {tokyo["id"], la["id"]}
    assert ids("&from=2026-01-02&to=2026-01-02") == {paris["id"]}
    assert ids("&from=2026-01-02") == {paris["id"], running["id"]}
    assert ids("&to=2026-01-01") == {tokyo["id"], la["id"]}
    assert ids("&status=in_progress") == {running["id"]}
    assert ids("&status=completed&from=2026-01-01&to=2026-01-02") == {
        tokyo["id"],
        la["id"],
        paris["id"],
    }
    listed = all_sessions(ann)
    assert [s["id"] for s in listed] == [running["id"], la["id"], paris["id"], tokyo["id"]]
    assert all("sets" not in s and s["set_count"] == 0 for s in listed)
    for query in ("from=01/01/2026", "to=tomorrow", "status=done", "limit=101", "limit=0"):
        assert ann.get(f"/v1/sessions?{query}").status_code == 400


def test_pages_are_stable_while_sessions_are_logged(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann = make_user()
    existing = [log_session(ann, f"2026-04-{day:02d}T18:00:00Z")["id"] for day in range(1, 9)]
    seen: list[str] = []
    for day, page in enumerate(pages(ann, "/v1/sessions?limit=3"), start=20):
        seen += [s["id"] for s in page["items"]]
        # between pages: a newer session (before the cursor) and an older one (after it)
        log_session(ann, f"2026-04-{day:02d}T18:00:00Z")
        log_session(ann, f"2026-03-{day:02d}T18:00:00Z")
    older = [s for s in seen if s not in existing]
    assert len(seen) == len(set(seen)), "a session was repeated"
    assert [s for s in seen if s in existing] == list(reversed(existing)), "a session was skipped"
    assert older, "sessions older than the cursor show up on later pages"


def test_set_count_in_the_list(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    session = start(ann)
    ann.post(
        f"/v1/sessions/{session['id']}/sets", json=[{"exercise_id": BENCH_PRESS, "reps": 3}] * 4
    )
    assert all_sessions(ann)[0]["set_count"] == 4


def test_delete_removes_the_session_with_its_sets(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    session = start(ann)
    ann.post(f"/v1/sessions/{session['id']}/sets", json={"exercise_id": BENCH_PRESS, "reps": 3})
    url = f"/v1/sessions/{session['id']}"
    assert ann.delete(url, headers={"If-Match": '"1"'}).status_code == 412
    assert ann.delete(url).status_code == 204
    assert ann.get(url).status_code == 404
    assert ann.delete(url).status_code == 404
    with psycopg.connect(db_url, autocommit=True) as conn:
        left = conn.execute(
            "SELECT count(*) FROM set_records WHERE session_id = %s", (session["id"],)
        )
        assert left.fetchone() == (0,)
    start(ann)  # the deleted session was the one in progress


def test_if_none_match_follows_the_sets(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    session = start(ann)
    url = f"/v1/sessions/{session['id']}"
    assert ann.get(url, headers={"If-None-Match": '"1"'}).status_code == 304
    logged = ann.post(f"{url}/sets", json={"exercise_id": BENCH_PRESS, "reps": 1})
    assert logged.json()["session_version"] == 2
    fresh = ann.get(url, headers={"If-None-Match": '"1"'})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] == '"2"'
    assert len(fresh.json()["sets"]) == 1
