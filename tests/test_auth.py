"""Register, log in, refresh and log out, as a client sees them, including every way of
getting them wrong."""

from __future__ import annotations

import asyncio
import hashlib
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import argon2
import psycopg
import pytest
from argon2 import PasswordHasher
from litestar.testing import AsyncTestClient, TestClient

from app.core.config import Settings, load_settings
from app.core.passwords import MEMORY_COST_KIB, PARALLELISM, TIME_COST
from app.main import create_app
from tests.api import (
    PASSWORD,
    Client,
    assert_error,
    login,
    register,
    signed_in,
)
from tests.conftest import audit_rows, make_settings


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "request_id"}


# --- register ------------------------------------------------------------------------------


def test_register_creates_the_account_and_logs_it_in(client: Client, db_url: str) -> None:
    response = client.post(
        "/v1/auth/register",
        json={"email": "  Ann@Example.COM ", "password": PASSWORD, "display_name": "  Ann  "},
        headers={"User-Agent": "Kinetria-iOS/3.1"},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"user", "access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    user = body["user"]
    assert user["email"] == "ann@example.com"
    assert user["display_name"] == "Ann"
    assert user["preferred_weight_unit"] == "kg"
    assert user["version"] == 1
    assert set(user) == {
        "id",
        "email",
        "email_verified",
        "pending_email",
        "display_name",
        "preferred_weight_unit",
        "version",
        "created_at",
        "updated_at",
    }
    assert (user["email_verified"], user["pending_email"]) == (False, None)
    assert "password" not in response.text
    assert "hash" not in response.text

    me = signed_in(client, body).get("/v1/me")
    assert me.status_code == 200
    assert me.json()["id"] == user["id"]
    logins = signed_in(client, body).get("/v1/me/logins").json()["items"]
    assert [(x["device_label"], x["current"]) for x in logins] == [("Kinetria-iOS/3.1", True)]

    [row] = audit_rows(db_url, "register")
    assert str(row["user_id"]) == user["id"]
    assert row["request_id"] == response.headers["x-request-id"]
    assert row["metadata"]["user_agent"] == "Kinetria-iOS/3.1"


@pytest.mark.real_password_hashing
def test_passwords_are_stored_as_argon2id_and_tokens_as_hashes(client: Client, db_url: str) -> None:
    body = register(client)
    refresh_token = body["refresh_token"]
    # 256 bits of randomness at least: 32 bytes are 43 url-safe base64 characters
    assert len(refresh_token.split("_", 1)[1]) >= 43
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute("SELECT password_hash FROM users").fetchone()
        assert row is not None
        [password_hash] = row
        tokens = conn.execute("SELECT token_hash, device_label FROM refresh_tokens").fetchall()
    prefix = f"$argon2id$v=19$m={MEMORY_COST_KIB},t={TIME_COST},p={PARALLELISM}$"
    assert password_hash.startswith(prefix)
    # at or above OWASP's minimum for Argon2id (m=19 MiB, t=2, p=1)
    assert MEMORY_COST_KIB >= 19 * 1024
    assert TIME_COST >= 2
    assert PARALLELISM >= 1
    assert PASSWORD not in password_hash
    assert PasswordHasher().verify(password_hash, PASSWORD)
    assert tokens == [(hashlib.sha256(refresh_token.encode()).digest(), "testclient")]


def test_the_suites_own_apps_hash_with_the_smallest_parameters(client: Client, db_url: str) -> None:
    """Unmarked tests' apps hash with Argon2id's smallest parameters (tests/conftest.py), which
    nothing outside the code sets: settings from the environment, and the defaults, hash with
    the production parameters."""
    register(client, "ann@example.com")
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute("SELECT password_hash FROM users").fetchone()
    assert row is not None
    assert row[0].startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert PasswordHasher().verify(row[0], PASSWORD)
    assert login(client, "ann@example.com").status_code == 200
    assert load_settings(read_dotenv=False).password_hash_minimal is False
    assert Settings().password_hash_minimal is False


def test_register_with_a_taken_email_is_409(client: Client, db_url: str) -> None:
    register(client, "ann@example.com")
    response = client.post(
        "/v1/auth/register",
        json={"email": "ANN@example.com", "password": "a different password", "display_name": "X"},
    )
    body = assert_error(response, 409, "email_taken")
    assert body["details"] == [{"field": "email", "message": "already has an account"}]
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM refresh_tokens").fetchone() == (1,)
    assert len(audit_rows(db_url, "register")) == 1  # nothing recorded for the failed one


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pwd", "must be at least 10 characters long"),
        ("", "must be at least 10 characters long"),
        ("é" * 513, "must be at most 1024 bytes (UTF-8)"),  # 513 characters, 1026 bytes
        ("x" * 1025, "must be at most 1024 bytes (UTF-8)"),
        (" " * 12, "must not be only spaces"),
        ("Ann@Example.com", "must not be your email address"),
    ],
)
def test_register_enforces_the_password_policy(
    client: Client, db_url: str, password: str, message: str
) -> None:
    response = client.post(
        "/v1/auth/register",
        json={"email": "ann@example.com", "password": password, "display_name": "Ann"},
    )
    body = assert_error(response, 422, "weak_password")
    assert {"field": "password", "message": message} in body["details"]
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)


@pytest.mark.parametrize("password", ["ten chars!", "x" * 1024, "é" * 512, "🏋" * 10])
def test_register_accepts_passwords_at_the_limits(client: Client, password: str) -> None:
    body = register(client, password=password)
    assert login(client, body["user"]["email"], password).status_code == 200


@pytest.mark.parametrize(
    "email", ["nope", "ann@localhost", "an n@example.com", "@example.com", "a@b@c.d"]
)
def test_register_rejects_invalid_emails(client: Client, email: str) -> None:
    response = client.post(
        "/v1/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Ann"}
    )
    body = assert_error(response, 422, "invalid_email")
    assert body["details"][0]["field"] == "email"


@pytest.mark.parametrize(
    ("display_name", "message"),
    [("   ", "must not be blank"), ("Ann\u0007", "must not contain control characters")],
)
def test_register_rejects_invalid_display_names(
    client: Client, display_name: str, message: str
) -> None:
    response = client.post(
        "/v1/auth/register",
        json={"email": "ann@example.com", "password": PASSWORD, "display_name": display_name},
    )
    body = assert_error(response, 422, "invalid_display_name")
    assert body["details"] == [{"field": "display_name", "message": message}]


GOOD_REGISTRATION = {"email": "ann@example.com", "password": PASSWORD, "display_name": "Ann"}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({**GOOD_REGISTRATION, "email": 5}, "email", "Expected `str`, got `int`"),
        ({**GOOD_REGISTRATION, "password": None}, "password", "Expected `str`, got `null`"),
        (
            {**GOOD_REGISTRATION, "display_name": ["Ann"]},
            "display_name",
            "Expected `str`, got `array`",
        ),
        (
            {**GOOD_REGISTRATION, "display_name": ""},
            "display_name",
            "Expected `str` of length >= 1",
        ),
        (
            {**GOOD_REGISTRATION, "display_name": "x" * 101},
            "display_name",
            "Expected `str` of length <= 100",
        ),
        ({**GOOD_REGISTRATION, "email": "a" * 321}, "email", "Expected `str` of length <= 320"),
        (
            {"email": "ann@example.com", "password": PASSWORD},
            "display_name",
            "Object missing required field `display_name`",
        ),
        (
            {**GOOD_REGISTRATION, "is_admin": True},
            "is_admin",
            "Object contains unknown field `is_admin`",
        ),
    ],
)
def test_register_rejects_malformed_bodies(
    client: Client, db_url: str, body: dict[str, Any], field: str, message: str
) -> None:
    response = client.post("/v1/auth/register", json=body)
    error = assert_error(response, 400, "validation_error")
    assert error["details"] == [{"message": message, "field": field, "source": "body"}]
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        (
            "/v1/auth/login",
            {"email": "ann@example.com"},
            "password",
            "Object missing required field `password`",
        ),
        (
            "/v1/auth/login",
            {"email": 5, "password": PASSWORD},
            "email",
            "Expected `str`, got `int`",
        ),
        (
            "/v1/auth/login",
            {"email": "ann@example.com", "password": PASSWORD, "remember_me": True},
            "remember_me",
            "Object contains unknown field `remember_me`",
        ),
        ("/v1/auth/refresh", {}, "refresh_token", "Object missing required field `refresh_token`"),
        (
            "/v1/auth/refresh",
            {"refresh_token": ""},
            "refresh_token",
            "Expected `str` of length >= 1",
        ),
        ("/v1/auth/refresh", [], "body", "Expected `object`, got `array`"),
        ("/v1/auth/logout", {"refresh_token": 5}, "refresh_token", "Expected `str`, got `int`"),
        (
            "/v1/auth/logout",
            {"refresh_token": "x", "everywhere": True},
            "everywhere",
            "Object contains unknown field `everywhere`",
        ),
    ],
)
def test_auth_bodies_name_the_bad_field(
    client: Client, path: str, body: Any, field: str, message: str
) -> None:
    tokens = register(client, "ann@example.com")
    response = signed_in(client, tokens).post(path, json=body)
    error = assert_error(response, 400, "validation_error")
    assert error["details"] == [{"message": message, "field": field, "source": "body"}]


@pytest.mark.parametrize("content", [b"{not json", b"[]", b'"ann"', b""])
def test_register_rejects_bodies_that_are_not_a_json_object(client: Client, content: bytes) -> None:
    response = client.post(
        "/v1/auth/register", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["status_code"] == 400


@pytest.mark.parametrize("path", ["/v1/auth/register", "/v1/auth/login", "/v1/auth/refresh"])
def test_oversized_auth_bodies_are_413(client: Client, path: str) -> None:
    response = client.post(
        path,
        content=b'{"email": "' + b"a" * 20_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 413, "payload_too_large")


# --- login ---------------------------------------------------------------------------------


def test_login_returns_a_new_pair_for_a_new_device(client: Client, db_url: str) -> None:
    registered = register(client, "ann@example.com", user_agent="phone")
    response = login(client, "  ANN@example.com", user_agent="Kinetria-Web " + "x" * 300)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"user", "access_token", "refresh_token", "token_type", "expires_in"}
    assert body["user"] == registered["user"]
    assert body["refresh_token"] != registered["refresh_token"]
    logins = signed_in(client, body).get("/v1/me/logins").json()["items"]
    assert len(logins) == 2
    current = next(x for x in logins if x["current"])
    assert current["device_label"] == ("Kinetria-Web " + "x" * 300)[:200]
    [row] = audit_rows(db_url, "login")
    assert str(row["user_id"]) == body["user"]["id"]
    assert row["metadata"]["login_id"] == current["id"]


def test_wrong_password_and_unknown_email_answer_the_same(client: Client, db_url: str) -> None:
    register(client, "ann@example.com")
    wrong = login(client, "ann@example.com", "not my password at all")
    unknown = login(client, "nobody@example.com", "not my password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert (
        without_request_id(wrong.json())
        == without_request_id(unknown.json())
        == {
            "status_code": 401,
            "error_code": "invalid_credentials",
            "message": "The email or password is not correct",
        }
    )
    assert set(wrong.headers) == set(unknown.headers)
    failed = audit_rows(db_url, "login_failed")
    assert [(r["user_id"] is not None, r["metadata"]["reason"]) for r in failed] == [
        (True, "wrong_password"),
        (False, "unknown_email"),
    ]
    assert all("nobody" not in str(r) for r in failed)  # the email tried is not kept


@pytest.mark.real_password_hashing
def test_unknown_email_takes_as_long_as_a_wrong_password(db_url: str) -> None:
    """The unknown email is checked against a dummy hash. A lookup alone takes a few ms, an
    Argon2id check over a hundred: without the dummy check the medians would differ twentyfold;
    with it they stay close (bounds kept wide for busy machines)."""

    def median_ms(client: Client, email: str) -> float:
        times = []
        for _ in range(7):
            started = time.perf_counter()
            assert login(client, email, "not my password at all").status_code == 401
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    with TestClient(create_app(make_settings(db_url, login_max_failures=100))) as client:
        register(client, "ann@example.com")
        median_ms(client, "warm-up@example.com")
        wrong = median_ms(client, "ann@example.com")
        unknown = median_ms(client, "nobody@example.com")
    assert 0.4 < unknown / wrong < 2.5, (wrong, unknown)


@pytest.mark.real_password_hashing
def test_each_app_has_its_own_dummy_hash_with_the_real_parameters(
    client: Client, db_url: str
) -> None:
    passwords = client.app.state.passwords
    real = PasswordHasher().hash("anything at all")
    assert argon2.extract_parameters(passwords.dummy_hash) == argon2.extract_parameters(real)
    with TestClient(create_app(make_settings(db_url))) as other:
        assert other.app.state.passwords.dummy_hash != passwords.dummy_hash


def test_login_rejects_malformed_bodies(client: Client) -> None:
    cases: list[tuple[Any, str]] = [
        ({"email": "ann@example.com"}, "Object missing required field `password`"),
        ({"email": "ann@example.com", "password": 5}, "Expected `str`, got `int`"),
        ({"email": None, "password": PASSWORD}, "Expected `str`, got `null`"),
        (
            {"email": "a@b.co", "password": PASSWORD, "remember": True},
            "Object contains unknown field `remember`",
        ),
        ({"email": "a@b.co", "password": "x" * 1025}, "Expected `str` of length <= 1024"),
    ]
    for body, message in cases:
        error = assert_error(client.post("/v1/auth/login", json=body), 400, "validation_error")
        assert error["details"][0]["message"] == message


@pytest.mark.real_password_hashing
def test_login_upgrades_a_hash_with_old_parameters(client: Client, db_url: str) -> None:
    old = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1).hash(PASSWORD)
    user_id = uuid.uuid4()
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO users (id, email, password_hash, display_name) VALUES (%s, %s, %s, %s)",
            (user_id, "old@example.com", old, "Old Timer"),
        )
    assert login(client, "old@example.com").status_code == 200
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute("SELECT password_hash, version FROM users").fetchone()
    assert row is not None
    assert row[0] != old
    assert row[0].startswith(f"$argon2id$v=19$m={MEMORY_COST_KIB},t={TIME_COST},p={PARALLELISM}$")
    assert row[1] == 1  # not a change the user made
    assert login(client, "old@example.com").status_code == 200
    assert login(client, "old@example.com", "wrong password here").status_code == 401
    [first, second] = audit_rows(db_url, "login")
    assert first["metadata"]["password_rehashed"] is True
    assert "password_rehashed" not in second["metadata"]


def test_an_account_without_a_usable_hash_cannot_log_in(
    client: Client, make_user: Callable[..., Any]
) -> None:
    user = make_user(email="fixture@example.com")  # its password_hash is not an Argon2 hash
    response = login(client, user.email, "not-a-password-hash")
    assert_error(response, 401, "invalid_credentials")


# --- throttling ------------------------------------------------------------------------------


@pytest.fixture
def strict_client(db_url: str) -> Any:
    """An app that locks an account after 3 failures."""
    app = create_app(make_settings(db_url, login_max_failures=3, login_window_s=600))
    with TestClient(app) as client:
        yield client


def test_login_locks_after_max_failures_with_retry_after(
    strict_client: Client, db_url: str
) -> None:
    register(strict_client, "ann@example.com")
    for _ in range(3):
        assert login(strict_client, "ann@example.com", "wrong password!").status_code == 401
    locked = login(strict_client, "ann@example.com")  # even the right password
    body = assert_error(locked, 429, "too_many_attempts")
    assert 590 <= int(locked.headers["retry-after"]) <= 600
    assert str(locked.headers["retry-after"]) in body["message"]
    again = login(strict_client, "ann@example.com")
    assert_error(again, 429, "too_many_attempts")
    # the lock was recorded once, not for every refused attempt
    reasons = [r["metadata"]["reason"] for r in audit_rows(db_url, "login_failed")]
    assert reasons == ["wrong_password"] * 3 + ["locked"]
    # the other accounts are not affected
    register(strict_client, "bob@example.com")
    assert login(strict_client, "bob@example.com").status_code == 200


def test_a_lock_ends_after_the_window(strict_client: Client, db_url: str) -> None:
    register(strict_client, "ann@example.com")
    for _ in range(4):
        login(strict_client, "ann@example.com", "wrong password!")
    assert login(strict_client, "ann@example.com").status_code == 429
    with psycopg.connect(db_url, autocommit=True) as conn:  # ten minutes later
        conn.execute(
            "UPDATE login_throttle SET locked_until = locked_until - interval '601 seconds',"
            " window_started_at = window_started_at - interval '601 seconds'"
        )
    assert login(strict_client, "ann@example.com").status_code == 200


def test_failures_outside_the_window_do_not_add_up(strict_client: Client, db_url: str) -> None:
    register(strict_client, "ann@example.com")
    for _ in range(2):
        login(strict_client, "ann@example.com", "wrong password!")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("UPDATE login_throttle SET window_started_at = now() - interval '601 seconds'")
    for _ in range(3):
        assert login(strict_client, "ann@example.com", "wrong password!").status_code == 401
    assert login(strict_client, "ann@example.com").status_code == 429


def test_a_successful_login_resets_the_count(strict_client: Client, db_url: str) -> None:
    register(strict_client, "ann@example.com")
    for _ in range(2):
        login(strict_client, "ann@example.com", "wrong password!")
    assert login(strict_client, "ann@example.com").status_code == 200
    for _ in range(3):
        assert login(strict_client, "ann@example.com", "wrong password!").status_code == 401
    assert login(strict_client, "ann@example.com").status_code == 429


def test_unknown_emails_are_throttled_the_same_way(strict_client: Client, db_url: str) -> None:
    for _ in range(3):
        assert login(strict_client, "Nobody@example.com", "wrong password!").status_code == 401
    response = login(strict_client, "nobody@example.com", "wrong password!")
    assert_error(response, 429, "too_many_attempts")
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute("SELECT email_hash, attempts FROM login_throttle").fetchall()
    # keyed by the hash of the normalised email, never the email itself
    assert rows == [(hashlib.sha256(b"nobody@example.com").digest(), 4)]


def test_stale_throttle_rows_are_pruned(strict_client: Client, db_url: str) -> None:
    login(strict_client, "old@example.com", "wrong password!")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("UPDATE login_throttle SET window_started_at = now() - interval '1 hour'")
    login(strict_client, "new@example.com", "wrong password!")
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute("SELECT email_hash FROM login_throttle").fetchall()
    assert rows == [(hashlib.sha256(b"new@example.com").digest(),)]


def test_parallel_guesses_get_exactly_max_failures_checks(db_url: str) -> None:
    """Each attempt is counted before its password is checked, so a burst cannot get more
    than the allowed number of guesses in."""

    async def burst() -> list[int]:
        app = create_app(make_settings(db_url, login_max_failures=3, pool_max_size=12))
        async with AsyncTestClient(app) as client:
            await client.post(
                "/v1/auth/register",
                json={"email": "ann@example.com", "password": PASSWORD, "display_name": "A"},
            )
            responses = await asyncio.gather(
                *(
                    client.post(
                        "/v1/auth/login",
                        json={"email": "ann@example.com", "password": f"guess number {i}"},
                    )
                    for i in range(12)
                )
            )
        return sorted(r.status_code for r in responses)

    assert asyncio.run(burst()) == [401] * 3 + [429] * 9


# --- refresh -------------------------------------------------------------------------------


def test_refresh_rotates_the_pair(client: Client, db_url: str) -> None:
    first = register(client, user_agent="phone")
    before = signed_in(client, first).get("/v1/me/logins").json()["items"]
    response = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200
    second = response.json()
    assert set(second) == {"user", "access_token", "refresh_token", "token_type", "expires_in"}
    assert second["user"] == first["user"]
    assert second["refresh_token"] != first["refresh_token"]
    assert signed_in(client, second).get("/v1/me").status_code == 200
    # the login is the same, with its device and start kept
    after = signed_in(client, second).get("/v1/me/logins").json()["items"]
    assert len(after) == 1
    assert after[0]["id"] == before[0]["id"]
    assert after[0]["device_label"] == "phone"
    assert after[0]["created_at"] == before[0]["created_at"]
    assert after[0]["last_used_at"] > before[0]["last_used_at"]
    # and the new token rotates again
    third = client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert third.status_code == 200
    [r1, r2] = audit_rows(db_url, "token_refresh")
    assert r1["metadata"]["login_id"] == r2["metadata"]["login_id"] == before[0]["id"]


def test_reusing_a_retired_token_revokes_the_whole_login(client: Client, db_url: str) -> None:
    first = register(client, "ann@example.com", user_agent="phone")
    laptop = login(client, "ann@example.com", user_agent="laptop").json()
    second = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()

    reuse = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_error(reuse, 401, "invalid_refresh_token")
    # the token the thief or the real client got by rotating is dead too
    after = client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert_error(after, 401, "invalid_refresh_token")
    # other logins are not touched
    labels = [
        x["device_label"] for x in signed_in(client, laptop).get("/v1/me/logins").json()["items"]
    ]
    assert labels == ["laptop"]
    assert (
        client.post("/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]}).status_code
        == 200
    )
    [row] = audit_rows(db_url, "token_reuse_detected")
    assert str(row["user_id"]) == first["user"]["id"]
    assert row["metadata"]["login_ended"] is True
    assert row["request_id"] == reuse.headers["x-request-id"]


def test_twenty_concurrent_refreshes_with_one_token_exactly_one_succeeds(db_url: str) -> None:
    async def race() -> tuple[list[int], int]:
        app = create_app(make_settings(db_url, pool_max_size=20))
        async with AsyncTestClient(app) as client:
            registered = await client.post(
                "/v1/auth/register",
                json={"email": "ann@example.com", "password": PASSWORD, "display_name": "A"},
            )
            token = registered.json()["refresh_token"]
            responses = await asyncio.gather(
                *(client.post("/v1/auth/refresh", json={"refresh_token": token}) for _ in range(20))
            )
            [winner] = [r for r in responses if r.status_code == 200]
            again = await client.post(
                "/v1/auth/refresh", json={"refresh_token": winner.json()["refresh_token"]}
            )
        return sorted(r.status_code for r in responses), again.status_code

    statuses, winner_after = asyncio.run(race())
    assert statuses == [200] + [401] * 19
    # nineteen presentations of a retired token: the login is over everywhere
    assert winner_after == 401
    assert len(audit_rows(db_url, "token_refresh")) == 1
    reuses = audit_rows(db_url, "token_reuse_detected")
    assert len(reuses) == 19
    assert sum(row["metadata"]["login_ended"] for row in reuses) == 1  # by the first of them


def test_refresh_tokens_expire_after_the_idle_period(db_url: str) -> None:
    app = create_app(make_settings(db_url, refresh_token_idle_days=7))
    with TestClient(app) as client:
        tokens = register(client)
        with psycopg.connect(db_url, autocommit=True) as conn:
            row = conn.execute("SELECT expires_at FROM refresh_tokens").fetchone()
            assert row is not None
            expected = datetime.now(UTC) + timedelta(days=7)
            assert abs(row[0] - expected) < timedelta(minutes=1)
            # a week and a second without use
            conn.execute("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'")
        response = client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert_error(response, 401, "invalid_refresh_token")
        assert signed_in(client, tokens).get("/v1/me/logins").json()["items"] == []
    assert audit_rows(db_url, "token_reuse_detected") == []  # expired is not reused


def test_each_refresh_restarts_the_idle_period(client: Client, db_url: str) -> None:
    tokens = register(client)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("UPDATE refresh_tokens SET expires_at = now() + interval '1 hour'")
    rotated = client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert rotated.status_code == 200
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT expires_at FROM refresh_tokens WHERE retired_at IS NULL"
        ).fetchone()
    assert row is not None
    assert row[0] > datetime.now(UTC) + timedelta(days=29)


@pytest.mark.parametrize(
    "token",
    ["kr1_" + "A" * 43, "garbage", "kr1_", "eyJhbGciOiJIUzI1NiJ9.e30.abc"],
)
def test_unknown_refresh_tokens_are_401(client: Client, token: str) -> None:
    register(client)
    response = client.post("/v1/auth/refresh", json={"refresh_token": token})
    assert_error(response, 401, "invalid_refresh_token")


def test_an_access_token_is_not_a_refresh_token(client: Client) -> None:
    tokens = register(client)
    response = client.post("/v1/auth/refresh", json={"refresh_token": tokens["access_token"][:128]})
    assert_error(response, 401, "invalid_refresh_token")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Object missing required field `refresh_token`"),
        ({"refresh_token": 42}, "Expected `str`, got `int`"),
        ({"refresh_token": None}, "Expected `str`, got `null`"),
        ({"refresh_token": ""}, "Expected `str` of length >= 1"),
        ({"refresh_token": "x" * 129}, "Expected `str` of length <= 128"),
        ({"refresh_token": "x", "device": "y"}, "Object contains unknown field `device`"),
    ],
)
def test_refresh_rejects_malformed_bodies(
    client: Client, body: dict[str, Any], message: str
) -> None:
    error = assert_error(client.post("/v1/auth/refresh", json=body), 400, "validation_error")
    assert error["details"][0]["message"] == message


# --- logout ----------------------------------------------------------------------------------


def test_logout_ends_the_login(client: Client, db_url: str) -> None:
    tokens = register(client, "ann@example.com", user_agent="phone")
    me = signed_in(client, tokens)
    other = login(client, "ann@example.com", user_agent="laptop").json()
    response = me.post("/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 204
    assert response.content == b""
    refresh = client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_error(refresh, 401, "invalid_refresh_token")
    labels = [
        x["device_label"] for x in signed_in(client, other).get("/v1/me/logins").json()["items"]
    ]
    assert labels == ["laptop"]
    [row] = audit_rows(db_url, "logout")
    assert str(row["user_id"]) == tokens["user"]["id"]
    # the ended login's access token stops at once (ended means ended)
    assert_error(me.get("/v1/me"), 401, "invalid_token")
    # logging out the ended login again (from the other device) changes nothing: 204
    again = signed_in(client, other).post(
        "/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}
    )
    assert again.status_code == 204
    assert len(audit_rows(db_url, "logout")) == 1


def test_logout_with_a_rotated_token_ends_its_login(client: Client) -> None:
    first = register(client)
    second = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()
    logout = signed_in(client, second).post(
        "/v1/auth/logout", json={"refresh_token": first["refresh_token"]}
    )
    assert logout.status_code == 204
    refresh = client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert refresh.status_code == 401


def test_logout_needs_an_access_token(client: Client) -> None:
    tokens = register(client)
    response = client.post("/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert_error(response, 401, "missing_token")
    refresh = client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 200


def test_logout_cannot_end_another_users_login(client: Client, db_url: str) -> None:
    ann = register(client)
    bob = register(client)
    response = signed_in(client, bob).post(
        "/v1/auth/logout", json={"refresh_token": ann["refresh_token"]}
    )
    assert response.status_code == 204  # RFC 7009: nothing to tell
    refresh = client.post("/v1/auth/refresh", json={"refresh_token": ann["refresh_token"]})
    assert refresh.status_code == 200
    assert audit_rows(db_url, "logout") == []


@pytest.mark.parametrize(
    "body", [{}, {"refresh_token": 1}, {"refresh_token": "x", "all": True}, {"refresh_token": ""}]
)
def test_logout_rejects_malformed_bodies(client: Client, body: dict[str, Any]) -> None:
    tokens = register(client)
    response = signed_in(client, tokens).post("/v1/auth/logout", json=body)
    assert_error(response, 400, "validation_error")
