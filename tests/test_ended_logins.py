"""Ended means ended: once a login or an account ends on one server, its access tokens answer
401 on another server (and each of its workers) within a second, also after that server lost
its listening connection. Two real servers on one database, called over HTTP."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest
from litestar.testing import TestClient

from app.core.ended_logins import CHANNEL, LISTENER_NAME, LoginGate
from app.core.security import issue_access_token
from app.main import create_app
from tests.api import UserWithToken
from tests.conftest import TEST_JWT_SECRET, make_settings
from tests.test_server import free_port, running_server

PASSWORD = "Ended-Means-Ended-Passphrase-5521"


# the servers are started once for the module, so its tests run in one worker process
pytestmark = pytest.mark.xdist_group("ended_logins_servers")


@pytest.fixture(scope="module")
def servers(
    module_db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """Server A with one worker, server B with two, sharing `module_db_url`; each test signs
    up a user of its own (`email`)."""
    env = {"DATABASE_URL": module_db_url, "JWT_SECRET": TEST_JWT_SECRET, "KINETRIA_ENV": "test"}
    logs = tmp_path_factory.mktemp("ended-logins-servers")
    with (
        running_server(env, "--workers", "1", log=logs / "a.log") as (base_a, _),
        running_server(env, "--workers", "2", log=logs / "b.log") as (base_b, _),
    ):
        wait_for_listeners(module_db_url, 3)
        yield base_a, base_b


@pytest.fixture
def email(servers: tuple[str, str], module_db_url: str) -> str:
    """The email of this test's own user on the shared servers, once all their workers
    listen (a test before may have cut them off)."""
    wait_for_listeners(module_db_url, 3)
    return f"ann-{uuid.uuid4().hex[:10]}@example.com"


def wait_for_listeners(db_url: str, count: int) -> None:
    deadline = time.monotonic() + 30
    while listeners(db_url) < count:
        assert time.monotonic() < deadline, "the servers' workers are not listening"
        time.sleep(0.05)


def listeners(db_url: str) -> int:
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
            " AND datname = current_database()"
            " AND (query LIKE 'LISTEN%%' OR query = 'SELECT 1')",
            (LISTENER_NAME,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def call(
    base: str,
    method: str,
    path: str,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    # a new connection each time, so the requests spread over the workers
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with httpx.Client(base_url=base, timeout=30) as client:
        return client.request(method, path, headers=headers, **kwargs)


def sign_up(base: str, email: str) -> dict[str, Any]:
    body = {"email": email, "password": PASSWORD, "display_name": "Ann"}
    response = call(base, "POST", "/v1/auth/register", json=body, headers={"User-Agent": "phone"})
    assert response.status_code == 201, response.text
    return response.json()


def log_in(base: str, email: str, device: str) -> dict[str, Any]:
    body = {"email": email, "password": PASSWORD}
    response = call(base, "POST", "/v1/auth/login", json=body, headers={"User-Agent": device})
    assert response.status_code == 200, response.text
    return response.json()


def works_everywhere(bases: tuple[str, ...], token: str) -> None:
    """The token is accepted, and so remembered, by every server and (likely) worker."""
    for base in bases:
        for _ in range(4):
            assert call(base, "GET", "/v1/me", token).status_code == 200


def refused_within_a_second(base: str, token: str) -> None:
    deadline = time.monotonic() + 1.0
    while True:
        response = call(base, "GET", "/v1/workouts", token)
        if response.status_code == 401:
            assert response.json()["error_code"] == "invalid_token"
            break
        assert response.status_code == 200
        assert time.monotonic() < deadline, "the ended login's token still works after 1 s"
        time.sleep(0.02)
    # and stays refused, on every worker
    for _ in range(6):
        assert call(base, "GET", "/v1/me", token).status_code == 401


def test_a_deleted_account_is_refused_on_the_other_server(
    servers: tuple[str, str], email: str
) -> None:
    a, b = servers
    ann = sign_up(a, email)
    laptop = log_in(b, email, "laptop")
    works_everywhere(servers, ann["access_token"])
    works_everywhere(servers, laptop["access_token"])
    assert call(a, "DELETE", "/v1/me", ann["access_token"]).status_code == 204
    refused_within_a_second(b, ann["access_token"])
    refused_within_a_second(b, laptop["access_token"])
    refused_within_a_second(a, laptop["access_token"])


def test_a_logout_is_refused_on_the_other_server(servers: tuple[str, str], email: str) -> None:
    a, b = servers
    ann = sign_up(a, email)
    laptop = log_in(a, email, "laptop")
    works_everywhere(servers, ann["access_token"])
    works_everywhere(servers, laptop["access_token"])
    body = {"refresh_token": ann["refresh_token"]}
    assert call(a, "POST", "/v1/auth/logout", ann["access_token"], json=body).status_code == 204
    refused_within_a_second(b, ann["access_token"])
    works_everywhere(servers, laptop["access_token"])  # only that login ended


def test_an_ended_login_is_refused_on_the_other_server(
    servers: tuple[str, str], email: str
) -> None:
    a, b = servers
    ann = sign_up(a, email)
    laptop = log_in(b, email, "laptop")
    works_everywhere(servers, laptop["access_token"])
    logins = call(a, "GET", "/v1/me/logins", ann["access_token"]).json()["items"]
    [other] = [login for login in logins if not login["current"]]
    ended = call(a, "DELETE", f"/v1/me/logins/{other['id']}", ann["access_token"])
    assert ended.status_code == 204
    refused_within_a_second(b, laptop["access_token"])
    works_everywhere(servers, ann["access_token"])


def test_a_password_change_ends_the_other_logins_on_every_server(
    servers: tuple[str, str], email: str
) -> None:
    a, b = servers
    ann = sign_up(a, email)
    laptop = log_in(b, email, "laptop")
    tablet = log_in(a, email, "tablet")
    for tokens in (ann, laptop, tablet):
        works_everywhere(servers, tokens["access_token"])
    me = call(a, "GET", "/v1/me", ann["access_token"])
    change = call(
        a,
        "PATCH",
        "/v1/me",
        ann["access_token"],
        json={"current_password": PASSWORD, "new_password": PASSWORD + "-new"},
        headers={"If-Match": me.headers["etag"]},
    )
    assert change.status_code == 200, change.text
    refused_within_a_second(b, laptop["access_token"])
    refused_within_a_second(b, tablet["access_token"])
    refused_within_a_second(a, laptop["access_token"])
    works_everywhere(servers, ann["access_token"])  # the login that changed it stays


def test_a_lost_listening_connection_trusts_nothing_until_it_is_back(
    servers: tuple[str, str], module_db_url: str, email: str
) -> None:
    a, b = servers
    ann = sign_up(a, email)
    laptop = log_in(b, email, "laptop")
    tablet = log_in(b, email, "tablet")
    for tokens in (ann, laptop, tablet):
        works_everywhere(servers, tokens["access_token"])
    with psycopg.connect(module_db_url, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))"
            " FROM pg_stat_activity WHERE application_name = %s"
            " AND datname = current_database()",
            (LISTENER_NAME,),
        ).fetchone()
        assert killed is not None
        assert killed[0] == 3
        # the logout commits while nobody listens: no server hears of it
        body = {"refresh_token": laptop["refresh_token"]}
        conn.execute(
            "UPDATE refresh_tokens SET revoked_at = now()"
            " WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash ="
            " sha256(convert_to(%s, 'UTF8')))",
            (body["refresh_token"],),
        )
    # no server accepts the token from what it remembered
    for base in servers:
        for _ in range(4):
            assert call(base, "GET", "/v1/me", laptop["access_token"]).status_code == 401
    works_everywhere(servers, ann["access_token"])
    # the listeners come back on their own, and notifications work again
    wait_for_listeners(module_db_url, 3)
    works_everywhere(servers, tablet["access_token"])
    tablet_logout = {"refresh_token": tablet["refresh_token"]}
    response = call(b, "POST", "/v1/auth/logout", tablet["access_token"], json=tablet_logout)
    assert response.status_code == 204
    refused_within_a_second(a, tablet["access_token"])
    refused_within_a_second(b, tablet["access_token"])


def test_a_login_is_asked_about_once_until_a_notification_names_it(
    make_user: Callable[..., UserWithToken], statements: list[str], db_url: str
) -> None:
    ann = make_user()
    assert ann.get("/v1/workouts").status_code == 200
    assert ann.get("/v1/workouts").status_code == 200
    assert statements == ["tokens/login_live", "workouts/list", "workouts/list"]
    statements.clear()
    with psycopg.connect(db_url, autocommit=True) as conn:
        payload = json.dumps({"user_id": str(ann.id), "login_id": None})
        conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
    deadline = time.monotonic() + 1.0
    while "tokens/login_live" not in statements:
        assert time.monotonic() < deadline, "the notification was not heard"
        assert ann.get("/v1/workouts").status_code == 200
    statements.clear()
    assert ann.get("/v1/workouts").status_code == 200
    assert statements == ["workouts/list"]


def test_without_a_listening_connection_every_request_asks_the_database(
    db_url: str, statements: list[str]
) -> None:
    # DATABASE_LISTEN_URL where nothing listens: the process can never hear of ended logins
    settings = make_settings(
        db_url,
        database_listen_url=f"postgresql://postgres@127.0.0.1:{free_port()}/kinetria",
        db_connect_timeout_s=1.0,
    )
    with TestClient(create_app(settings)) as client:
        user_id = uuid.uuid4()
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO users (id, email, password_hash, display_name)"
                " VALUES (%s, 'solo@example.com', 'not-a-password-hash', 'Solo')",
                (user_id,),
            )
        token = issue_access_token(settings, user_id)
        auth = {"Authorization": f"Bearer {token}"}
        assert client.get("/v1/workouts", headers=auth).status_code == 200
        assert client.get("/v1/workouts", headers=auth).status_code == 200
        assert statements.count("tokens/login_live") == 2  # nothing remembered
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("DELETE FROM users WHERE id = %s", (user_id,))  # no notification
        refused = client.get("/v1/workouts", headers=auth)
        assert refused.status_code == 401
        assert refused.json()["error_code"] == "invalid_token"


def test_a_notification_forgets_what_it_names_and_an_unreadable_one_everything() -> None:
    gate = LoginGate("postgresql://unused", connect_timeout_s=1.0, capacity=2)
    gate.listening = True
    ann, bob, login, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    gate._remember(ann, login)  # pyright: ignore[reportPrivateUsage]
    gate._remember(ann, other)  # pyright: ignore[reportPrivateUsage]
    gate._remember(bob, None)  # pyright: ignore[reportPrivateUsage]
    gate.ended(json.dumps({"user_id": str(ann), "login_id": str(login)}))
    assert gate._standing == {ann: {other}, bob: {None}}  # pyright: ignore[reportPrivateUsage]
    gate.ended(json.dumps({"user_id": str(bob), "login_id": None}))
    assert gate._standing == {ann: {other}}  # pyright: ignore[reportPrivateUsage]
    gate.ended("not json")
    assert gate._standing == {}  # pyright: ignore[reportPrivateUsage]
    # bounded: the oldest user is forgotten first
    for user in (ann, bob, uuid.uuid4()):
        gate._remember(user, None)  # pyright: ignore[reportPrivateUsage]
    assert ann not in gate._standing  # pyright: ignore[reportPrivateUsage]
    for _ in range(3):
        gate.ended(json.dumps({"user_id": str(uuid.uuid4()), "login_id": None}))
    assert len(gate._events_of) <= 2  # pyright: ignore[reportPrivateUsage]
