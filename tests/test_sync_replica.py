"""A client replica equals the server: several devices of one user make thousands of random
changes through the API (creates, edits, deletes, replays of creates, writes that fail,
batches queued offline and sent later), each keeping a local copy of the user's data from
the sync feed alone (one device joins half-way from a snapshot, paged while the others keep
writing). At the end every copy equals what the API's own GET routes answer.

The devices follow the client loop the README recommends: pull and apply the feed, push
edits with If-Match of the version they hold, and on a 412 pull again and retry once.
Applying an event replaces the entity's document (or removes it, for a delete), plus the
three effects the README lists that change other entities' documents without an event of
their own: a session's delete removes its sets, a workout's delete clears `workout_id` in
the sessions started from it, and an exercise's rename renames it in plans and sets.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import Any

from tests.api import UserWithToken, all_pages
from tests.catalogue import BACK_SQUAT, BENCH_PRESS, OVERHEAD_PRESS, PULL_UP

OPERATIONS = 1500
DEVICES = 3
SEED = 1404

Key = tuple[str, str]
SYSTEM_EXERCISES = [BENCH_PRESS, BACK_SQUAT, OVERHEAD_PRESS, PULL_UP]
ALLOWED_FAILURES = {404, 409, 412, 422}


class Device:
    """A device's copy of the user's data, kept from the feed (or a snapshot, then the feed)."""

    def __init__(self, user: UserWithToken, name: str) -> None:
        self.user = user
        self.name = name
        self.replica: dict[Key, dict[str, Any]] = {}
        self.cursor: str | None = None
        self.offline: list[Callable[[], None]] = []  # changes queued while offline
        self.snapshot_cursor: str | None = None  # paging a snapshot
        self.snapshot_items: dict[Key, dict[str, Any]] = {}
        self.snapshot_changes_cursor: str | None = None
        self.events_applied = 0

    # --- reading ---------------------------------------------------------------------------

    def pull(self) -> None:
        if self.snapshot_changes_cursor is not None:
            return  # still paging a snapshot: the feed continues after it
        while True:
            params: dict[str, Any] = {"limit": 250}
            if self.cursor is not None:
                params["cursor"] = self.cursor
            response = self.user.get("/v1/sync/changes", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            for event in page["items"]:
                self.apply(event)
            self.cursor = page["next_cursor"]
            if not page["has_more"]:
                return

    def apply(self, event: dict[str, Any]) -> None:
        self.events_applied += 1
        entity, change = event["event_type"].split(".")
        key = (entity, event["entity_id"])
        if change == "deleted":
            self.replica.pop(key, None)
            if entity == "session":
                for other in [k for k, d in self.replica.items() if k[0] == "set"]:
                    if self.replica[other]["session_id"] == event["entity_id"]:
                        del self.replica[other]
            if entity == "workout":
                for other, document in self.replica.items():
                    if other[0] == "session" and document["workout_id"] == event["entity_id"]:
                        document["workout_id"] = None
            return
        document = event["document"]
        assert document["id"] == event["entity_id"]
        assert document["version"] == event["version"]
        self.replica[key] = document
        if entity == "exercise":
            self.rename(event["entity_id"], document["name"])

    def rename(self, exercise_id: str, name: str) -> None:
        for (entity, _), document in self.replica.items():
            if entity in ("workout", "session"):
                for planned in document["exercises"]:
                    if planned["exercise_id"] == exercise_id:
                        planned["exercise_name"] = name
            if entity == "set" and document["exercise_id"] == exercise_id:
                document["exercise_name"] = name

    def start_snapshot(self) -> None:
        self.replica = {}
        self.cursor = None
        self.snapshot_items = {}
        self.snapshot_cursor = None
        self.snapshot_changes_cursor = None
        self.page_snapshot()

    def page_snapshot(self) -> None:
        """One page of the snapshot being read (the first one takes it)."""
        params: dict[str, Any] = {"limit": 40}
        if self.snapshot_cursor is not None:
            params["cursor"] = self.snapshot_cursor
        response = self.user.get("/v1/sync/snapshot", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert self.snapshot_changes_cursor in (None, page["changes_cursor"])
        self.snapshot_changes_cursor = page["changes_cursor"]
        for item in page["items"]:
            self.snapshot_items[item["entity_type"], item["entity_id"]] = item["document"]
        self.snapshot_cursor = page["next_cursor"]
        if self.snapshot_cursor is None:  # the last page: the copy is whole, the feed goes on
            self.replica = self.snapshot_items
            self.cursor = self.snapshot_changes_cursor
            self.snapshot_changes_cursor = None

    # --- what the device knows -------------------------------------------------------------

    def ids(self, entity: str, **where: Any) -> list[str]:
        return sorted(
            key[1]
            for key, document in self.replica.items()
            if key[0] == entity and all(document.get(k) == v for k, v in where.items())
        )

    def version(self, entity: str, entity_id: str) -> int | None:
        document = self.replica.get((entity, entity_id))
        return None if document is None else document["version"]


def server_state(user: UserWithToken) -> dict[Key, dict[str, Any]]:
    """Everything the API's own GET routes answer for the user, keyed as replicas are."""
    state: dict[Key, dict[str, Any]] = {}
    for exercise in all_pages(user, "/v1/exercises?mine=true&limit=100"):
        state["exercise", exercise["id"]] = exercise
    for workout in all_pages(user, "/v1/workouts?limit=100"):
        state["workout", workout["id"]] = user.get(f"/v1/workouts/{workout['id']}").json()
    for summary in all_pages(user, "/v1/sessions?limit=100"):
        session = user.get(f"/v1/sessions/{summary['id']}").json()
        for set_ in session.pop("sets"):
            state["set", set_["id"]] = set_
        state["session", session["id"]] = session
    me = user.get("/v1/me").json()
    state["profile", me["id"]] = me
    for measurement in all_pages(user, "/v1/body-measurements?limit=100"):
        state["body_measurement", measurement["id"]] = measurement
    return state


class Workload:
    """The random changes, each made by one device through the API."""

    def __init__(self, user: UserWithToken, rng: random.Random) -> None:
        self.user = user
        self.rng = rng
        self.creates: list[tuple[str, dict[str, Any]]] = []  # (url, body) of past creates
        self.statuses: dict[int, int] = {}

    def new_id(self) -> str:
        """A client-made id (UUIDv4), from the seeded generator: a run repeats exactly."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def call(self, method: str, url: str, *, expect: set[int], **kwargs: Any) -> Any:
        response = self.user.request(method, url, **kwargs)
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        assert response.status_code in expect, (method, url, response.status_code, response.text)
        return response

    def create(self, url: str, body: dict[str, Any], ok: int = 201) -> Any:
        body = {"id": self.new_id(), **body}
        response = self.call("POST", url, json=body, expect={ok, *ALLOWED_FAILURES})
        if response.status_code == ok:
            self.creates.append((url, body))
        return response

    def edit(
        self, device: Device, entity: str, entity_id: str, method: str, url: str, **kwargs: Any
    ) -> None:
        """An edit with If-Match of the version the device holds; on 412, pull and retry."""
        for attempt in range(2):
            version = device.version(entity, entity_id)
            if version is None:
                return  # deleted meanwhile, as the device now knows
            headers = {"If-Match": f'"{version}"'}
            response = self.call(
                method, url, headers=headers, expect={200, 204, *ALLOWED_FAILURES}, **kwargs
            )
            if response.status_code != 412:
                return
            assert attempt == 0 or device.snapshot_changes_cursor is not None, response.text
            device.pull()

    def change(self, device: Device) -> None:
        """One random change by `device`, from what it knows."""
        rng = self.rng
        pick = rng.random()
        exercises = device.ids("exercise")
        workouts = device.ids("workout")
        sessions = device.ids("session")
        open_sessions = device.ids("session", status="in_progress")
        sets = device.ids("set")
        measurements = device.ids("body_measurement")
        usable = SYSTEM_EXERCISES + exercises
        if pick < 0.05:
            self.create(
                "/v1/exercises",
                {
                    "name": f"Move {rng.randrange(10**6)}",
                    "category": rng.choice(["strength", "cardio"]),
                    "primary_muscle": rng.choice(["chest", "back", "quadriceps"]),
                },
            )
        elif pick < 0.08 and exercises:
            exercise = rng.choice(exercises)
            self.edit(
                device,
                "exercise",
                exercise,
                "PATCH",
                f"/v1/exercises/{exercise}",
                json={"name": f"Renamed {rng.randrange(10**6)}"},
            )
        elif pick < 0.085 and exercises:
            exercise = rng.choice(exercises)
            self.edit(device, "exercise", exercise, "DELETE", f"/v1/exercises/{exercise}")
        elif pick < 0.12:
            self.create("/v1/workouts", {"name": f"Plan {rng.randrange(1000)}"})
        elif pick < 0.15 and workouts:
            workout = rng.choice(workouts)
            body = {
                "name": f"Plan {rng.randrange(1000)}",
                "status": rng.choice(["draft", "active"]),
            }
            self.edit(device, "workout", workout, "PATCH", f"/v1/workouts/{workout}", json=body)
        elif pick < 0.18 and workouts:
            workout = rng.choice(workouts)
            plan = [
                {"exercise_id": rng.choice(usable), "target_sets": rng.randint(1, 5)}
                for _ in range(rng.randint(0, 3))
            ]
            self.edit(
                device,
                "workout",
                workout,
                "PUT",
                f"/v1/workouts/{workout}/exercises",
                json=plan,
            )
        elif pick < 0.19 and workouts:
            workout = rng.choice(workouts)
            self.edit(device, "workout", workout, "DELETE", f"/v1/workouts/{workout}")
        elif pick < 0.25:
            body: dict[str, Any] = {"name": f"Session {rng.randrange(1000)}"}
            if workouts and rng.random() < 0.5:
                body["workout_id"] = rng.choice(workouts)
            self.create("/v1/sessions", body)
        elif pick < 0.27 and sessions:
            session = rng.choice(sessions)
            self.edit(
                device,
                "session",
                session,
                "PATCH",
                f"/v1/sessions/{session}",
                json={"notes": f"note {rng.randrange(1000)}"},
            )
        elif pick < 0.50 and open_sessions:
            session = rng.choice(open_sessions)
            batch = [
                {
                    "id": self.new_id(),
                    "exercise_id": rng.choice(usable),
                    "reps": rng.randint(1, 12),
                    "weight": rng.choice([20, 42.5, 60, 100]),
                }
                for _ in range(rng.randint(1, 4))
            ]
            if rng.random() < 0.08:  # an unknown exercise: the whole batch is refused
                batch[-1]["exercise_id"] = self.new_id()
            response = self.call(
                "POST", f"/v1/sessions/{session}/sets", json=batch, expect={201, 404, 409, 422}
            )
            if response.status_code == 201:
                self.creates.append((f"/v1/sessions/{session}/sets", {"sets": batch}))
        elif pick < 0.57 and sets:
            set_id = rng.choice(sets)
            session = device.replica["set", set_id]["session_id"]
            self.edit(
                device,
                "set",
                set_id,
                "PATCH",
                f"/v1/sessions/{session}/sets/{set_id}",
                json={"reps": rng.randint(1, 20)},
            )
        elif pick < 0.59 and sets:
            set_id = rng.choice(sets)
            session = device.replica["set", set_id]["session_id"]
            self.edit(device, "set", set_id, "DELETE", f"/v1/sessions/{session}/sets/{set_id}")
        elif pick < 0.62 and open_sessions:
            session = rng.choice(open_sessions)
            end = rng.choice(["finish", "abandon"])
            self.edit(device, "session", session, "POST", f"/v1/sessions/{session}/{end}", json={})
        elif pick < 0.63 and sessions:
            session = rng.choice(sessions)
            self.edit(device, "session", session, "DELETE", f"/v1/sessions/{session}")
        elif pick < 0.70:
            self.create(
                "/v1/body-measurements",
                {"kind": "body_weight", "value": round(rng.uniform(60, 90), 1)},
            )
        elif pick < 0.74 and measurements:
            measurement = rng.choice(measurements)
            self.edit(
                device,
                "body_measurement",
                measurement,
                "PATCH",
                f"/v1/body-measurements/{measurement}",
                json={"value": round(rng.uniform(60, 90), 1)},
            )
        elif pick < 0.76 and measurements:
            measurement = rng.choice(measurements)
            self.edit(
                device,
                "body_measurement",
                measurement,
                "DELETE",
                f"/v1/body-measurements/{measurement}",
            )
        elif pick < 0.79:
            self.edit(
                device,
                "profile",
                str(self.user.id),
                "PATCH",
                "/v1/me",
                json={"display_name": f"Ann {rng.randrange(1000)}"},
            )
        elif pick < 0.87 and self.creates:  # a create sent again: the same answer, no event
            url, body = rng.choice(self.creates)
            if url.endswith("/sets"):
                self.call("POST", url, json=body["sets"], expect={200, 201, 404, 409, 422})
            else:
                self.call("POST", url, json=body, expect={200, 201, 404, 409, 422})
        else:  # a write that fails: another id, a stale version, a value out of range
            kind = rng.choice(["missing", "stale", "invalid"])
            if kind == "missing":
                self.call(
                    "PATCH",
                    f"/v1/workouts/{self.new_id()}",
                    json={"name": "Nope"},
                    expect={404},
                )
            elif kind == "stale" and measurements:
                measurement = rng.choice(measurements)
                self.call(
                    "PATCH",
                    f"/v1/body-measurements/{measurement}",
                    json={"notes": "stale"},
                    headers={"If-Match": '"0"'},
                    expect={404, 412},
                )
            else:
                self.call(
                    "POST",
                    "/v1/body-measurements",
                    json={"kind": "body_fat", "value": 150},
                    expect={422},
                )


def test_every_device_replica_equals_the_server(make_user: Callable[..., UserWithToken]) -> None:
    user = make_user()
    rng = random.Random(SEED)
    devices = [Device(user, f"device-{n}") for n in range(DEVICES)]
    late = devices[-1]  # joins half-way, from a snapshot
    workload = Workload(user, rng)
    for step in range(OPERATIONS):
        if step == OPERATIONS // 2:
            late.start_snapshot()
        active = devices if step >= OPERATIONS // 2 else devices[:-1]
        device = rng.choice(active)
        if late.snapshot_changes_cursor is not None and rng.random() < 0.3:
            late.page_snapshot()  # the snapshot is paged while the others write
        roll = rng.random()
        if roll < 0.15:
            device.pull()
        elif roll < 0.22 and not device.offline:  # goes offline: changes queue up
            for _ in range(rng.randint(2, 8)):
                device.offline.append(lambda device=device: workload.change(device))
        elif device.offline and roll < 0.40:  # back online: the queue is sent, in order
            queued, device.offline = device.offline, []
            for change in queued:
                change()
        else:
            workload.change(device)
    while late.snapshot_changes_cursor is not None:
        late.page_snapshot()
    expected = server_state(user)
    kinds = {key[0] for key in expected}
    assert kinds == {"exercise", "workout", "session", "set", "profile", "body_measurement"}
    assert len(expected) > 200
    for device in devices:
        device.pull()
        assert device.replica == expected, device.name
    # the run made each kind of answer: creates, replays, refusals, stale edits
    assert {200, 201, 204, 404, 409, 412, 422} <= set(workload.statuses), workload.statuses
    assert devices[0].events_applied > OPERATIONS // 2
