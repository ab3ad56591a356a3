"""Two API processes on one database, as replicas behind a load balancer run: one user's
requests go alternately to each, and the login lock, refresh-token rotation with reuse
detection, ETags and retried creates behave exactly as with one process, because all their
state is in PostgreSQL."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from tests.catalogue import BACK_SQUAT
from tests.conftest import TEST_JWT_SECRET
from tests.test_server import running_server

PASSWORD = "Replica-Passphrase-5512"
WRONG = "Replica-Wrong-Guess-0037"


class RoundRobin:
    """Sends each request to the next server in turn, as a load balancer does."""

    def __init__(self, bases: list[str]) -> None:
        self.clients = [httpx.Client(base_url=base, timeout=30) for base in bases]
        self._next = itertools.cycle(range(len(bases)))
        self.served_by: list[int] = []
        self.token: str | None = None

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        index = next(self._next)
        self.served_by.append(index)
        headers = dict(kwargs.pop("headers", {}))
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.clients[index].request(method, path, headers=headers, **kwargs)

    def close(self) -> None:
        for client in self.clients:
            client.close()


@pytest.fixture
def balancer(db_url: str) -> Iterator[RoundRobin]:
    env = {
        "DATABASE_URL": db_url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "KINETRIA_ENV": "test",
        "LOGIN_MAX_FAILURES": "5",
        "LOGIN_WINDOW_S": "900",
    }
    with running_server(env) as (base_a, _), running_server(env) as (base_b, _):
        assert base_a != base_b
        balancer = RoundRobin([base_a, base_b])
        yield balancer
        balancer.close()


def test_one_users_traffic_over_two_processes(balancer: RoundRobin, db_url: str) -> None:
    api = balancer
    email = "ann@example.com"
    body = {"email": email, "password": PASSWORD, "display_name": "Ann"}
    assert api.request("POST", "/v1/auth/register", json=body).status_code == 201

    # --- refresh rotation: each refresh on the other process; a reused token ends the login
    login = api.request("POST", "/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200
    first = login.json()["refresh_token"]
    rotated = api.request("POST", "/v1/auth/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200
    second = rotated.json()["refresh_token"]
    again = api.request("POST", "/v1/auth/refresh", json={"refresh_token": second})
    assert again.status_code == 200
    third = again.json()
    reused = api.request("POST", "/v1/auth/refresh", json={"refresh_token": first})
    assert reused.status_code == 401
    assert reused.json()["error_code"] == "invalid_refresh_token"
    # the whole family is revoked, on both processes: the newest token is dead too
    after = api.request("POST", "/v1/auth/refresh", json={"refresh_token": third["refresh_token"]})
    assert after.status_code == 401
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'token_reuse_detected'"
        ).fetchone()
    assert row == (1,)

    # the ended login's access token is refused by both processes (within a second: each
    # hears of it on its LISTEN connection)
    api.token = third["access_token"]
    deadline = time.monotonic() + 1.0
    refused = [api.request("GET", "/v1/me").status_code for _ in range(2)]
    while refused != [401, 401] and time.monotonic() < deadline:
        time.sleep(0.05)
        refused = [api.request("GET", "/v1/me").status_code for _ in range(2)]
    assert refused == [401, 401]
    login = api.request("POST", "/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200
    api.token = login.json()["access_token"]

    # --- ETags: a write on one process makes the other's copy stale
    workout = api.request("POST", "/v1/workouts", json={"name": "Strength A"})
    assert workout.status_code == 201
    path = f"/v1/workouts/{workout.json()['id']}"
    assert workout.headers["etag"] == '"1"'
    renamed = api.request("PATCH", path, json={"name": "Strength B"}, headers={"If-Match": '"1"'})
    assert renamed.status_code == 200
    assert renamed.headers["etag"] == '"2"'
    stale = api.request("PATCH", path, json={"name": "Strength C"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["error_code"] == "etag_mismatch"
    assert stale.headers["etag"] == '"2"'
    assert api.request("GET", path, headers={"If-None-Match": '"2"'}).status_code == 304
    assert api.request("GET", path).json()["name"] == "Strength B"

    # --- retried creates: the same client id on both processes makes one row
    session_id = str(uuid.uuid4())
    start = {"id": session_id, "name": "Legs", "timezone": "Europe/Paris"}
    created = api.request("POST", "/v1/sessions", json=start)
    replayed = api.request("POST", "/v1/sessions", json=start)
    assert (created.status_code, replayed.status_code) == (201, 200)
    assert replayed.json() == created.json()
    one_set = [{"id": str(uuid.uuid4()), "exercise_id": str(BACK_SQUAT), "reps": 5, "weight": 100}]
    logged = api.request("POST", f"/v1/sessions/{session_id}/sets", json=one_set)
    retried = api.request("POST", f"/v1/sessions/{session_id}/sets", json=one_set)
    assert (logged.status_code, retried.status_code) == (201, 200)
    assert retried.json()["sets"] == logged.json()["sets"]
    with psycopg.connect(db_url, autocommit=True) as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM sessions WHERE id = %(s)s),"
            " (SELECT count(*) FROM set_records WHERE session_id = %(s)s)",
            {"s": session_id},
        ).fetchone()
    assert counts == (1, 1)

    # --- the login lock: five failures over both processes lock the account on both
    api.token = None
    for _ in range(5):
        wrong = api.request("POST", "/v1/auth/login", json={"email": email, "password": WRONG})
        assert wrong.status_code == 401
    for _ in range(2):
        locked = api.request("POST", "/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert locked.status_code == 429
        assert locked.json()["error_code"] == "too_many_attempts"

    # every step above alternated between the two processes
    assert balancer.served_by == [i % 2 for i in range(len(balancer.served_by))]
    assert set(balancer.served_by) == {0, 1}
