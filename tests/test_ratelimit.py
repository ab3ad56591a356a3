"""Rate limits: per client address on register, login and refresh, per user on writes and
statistics; 429 in the error shape with Retry-After and the RateLimit fields; the client
address behind trusted proxies; failing open; shared by two server processes."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from litestar.types import ASGIApp, Receive, Scope, Send

from app.core.client_address import ClientAddresses, parse_address
from app.core.config import ConfigError, RateLimit, load_settings
from app.core.db import Db
from app.main import create_app
from app.ratelimit import address_key
from tests.api import PASSWORD, Client, TokenClient, assert_error, signed_in
from tests.catalogue import BENCH_PRESS
from tests.conftest import TEST_JWT_SECRET, audit_rows, make_settings
from tests.test_server import running_server

PEER = "x-test-peer"  # the tests' way to set the socket's peer address (see `with_peer`)


def with_peer(app: ASGIApp) -> ASGIApp:
    """The app, with the peer address of each request taken from the test header `PEER`
    (the ASGI test client always says `testclient`); what the server would put in the
    scope's `client`."""

    async def peer_app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == PEER.encode():
                    scope["client"] = (value.decode(), 40000)
        await app(scope, receive, send)

    return peer_app


@pytest.fixture
def limited(db_url: str) -> Iterator[Callable[..., Client]]:
    """A test client of an app with the given settings (rate limits, trusted proxies)."""
    clients: list[Client] = []

    def make(**overrides: Any) -> Client:
        app = create_app(make_settings(db_url, **overrides))
        app.asgi_handler = with_peer(app.asgi_handler)
        client = TestClient[Litestar](app)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def register(client: Client, peer: str = "192.0.2.10", **headers: str) -> httpx.Response:
    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
    return client.post(
        "/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "Ann"},
        headers={PEER: peer, **headers},
    )


def assert_limited(response: httpx.Response, policy: str, quota: int, window_s: int) -> int:
    """`response` is the 429 of `policy`; its Retry-After."""
    body = assert_error(response, 429, "rate_limited")
    assert policy in body["message"]
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= window_s
    assert response.headers["ratelimit-policy"] == f'"{policy}";q={quota};w={window_s}'
    assert response.headers["ratelimit"] == f'"{policy}";r=0;t={retry_after}'
    return retry_after


def remaining(response: httpx.Response, policy: str) -> int:
    match = re.fullmatch(rf'"{policy}";r=(\d+);t=(\d+)', response.headers["ratelimit"])
    assert match, response.headers["ratelimit"]
    return int(match[1])


# --- per client address ---------------------------------------------------------------------


def test_eight_registrations_from_one_address_the_sixth_is_refused(
    limited: Callable[..., Client],
) -> None:
    client = limited(rate_limit_register=RateLimit(5, 60))
    answers = [register(client) for _ in range(8)]
    assert [a.status_code for a in answers] == [201] * 5 + [429] * 3
    # the ones let through say what is left
    assert [remaining(a, "register") for a in answers[:5]] == [4, 3, 2, 1, 0]
    assert answers[0].headers["ratelimit-policy"] == '"register";q=5;w=60'
    for refused in answers[5:]:
        assert_limited(refused, "register", 5, 60)


def test_each_address_has_its_own_limit(limited: Callable[..., Client]) -> None:
    client = limited(rate_limit_register=RateLimit(2, 60))
    assert [register(client, "192.0.2.1").status_code for _ in range(3)] == [201, 201, 429]
    assert [register(client, "192.0.2.2").status_code for _ in range(3)] == [201, 201, 429]
    # an IPv6 client counts by its /64: another address in it is the same client
    assert [register(client, "2001:db8:0:1::1").status_code for _ in range(2)] == [201, 201]
    assert_limited(register(client, "2001:db8:0:1::ffff"), "register", 2, 60)
    assert register(client, "2001:db8:0:2::1").status_code == 201


def test_login_and_refresh_are_limited_per_address(limited: Callable[..., Client]) -> None:
    client = limited(rate_limit_login=RateLimit(2, 60), rate_limit_refresh=RateLimit(1, 60))
    tokens = register(client, "192.0.2.5").json()
    email = tokens["user"]["email"]
    logins = [
        client.post(
            "/v1/auth/login",
            json={"email": email, "password": PASSWORD},
            headers={PEER: "192.0.2.5"},
        )
        for _ in range(3)
    ]
    assert [r.status_code for r in logins] == [200, 200, 429]
    assert_limited(logins[2], "login", 2, 60)
    refresh = {"refresh_token": logins[1].json()["refresh_token"]}
    first = client.post("/v1/auth/refresh", json=refresh, headers={PEER: "192.0.2.5"})
    assert first.status_code == 200
    again = {"refresh_token": first.json()["refresh_token"]}
    assert_limited(
        client.post("/v1/auth/refresh", json=again, headers={PEER: "192.0.2.5"}),
        "refresh",
        1,
        60,
    )
    # the refused refresh did not spend the token: from another address it works
    other = client.post("/v1/auth/refresh", json=again, headers={PEER: "192.0.2.6"})
    assert other.status_code == 200


def test_a_limit_set_to_off_is_not_counted(limited: Callable[..., Client]) -> None:
    client = limited(rate_limit_register=None)
    answers = [register(client) for _ in range(3)]
    assert [a.status_code for a in answers] == [201] * 3
    assert "ratelimit" not in answers[0].headers


# --- the client address behind proxies ------------------------------------------------------


def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    limited: Callable[..., Client], db_url: str
) -> None:
    client = limited(rate_limit_register=RateLimit(2, 60), trusted_proxies=("10.0.0.0/8",))
    answers = [
        register(client, "192.0.2.7", **{"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert {row["metadata"]["ip"] for row in audit_rows(db_url, "register")} == {"192.0.2.7"}


def test_forwarded_for_from_a_trusted_proxy_names_the_client(
    limited: Callable[..., Client], db_url: str
) -> None:
    client = limited(
        rate_limit_register=RateLimit(2, 60), trusted_proxies=("10.0.0.0/8", "192.0.2.254/32")
    )

    def via_proxies(forwarded_for: str) -> int:
        headers = {"X-Forwarded-For": forwarded_for}
        return register(client, "10.1.2.3", **headers).status_code

    # the rightmost address that is not one of our proxies is the client; what it wrote to
    # the left of it does not change who it is
    assert via_proxies("198.51.100.7") == 201
    assert via_proxies("203.0.113.99, 198.51.100.7, 192.0.2.254") == 201
    assert via_proxies("1.2.3.4, 198.51.100.7") == 429
    # another client behind the same proxy has its own limit
    assert via_proxies("198.51.100.8") == 201
    ips = [row["metadata"]["ip"] for row in audit_rows(db_url, "register")]
    assert ips == ["198.51.100.7", "198.51.100.7", "198.51.100.8"]


def test_the_forwarded_field_when_the_proxies_set_that_one(
    limited: Callable[..., Client],
) -> None:
    client = limited(
        rate_limit_register=RateLimit(1, 60),
        trusted_proxies=("10.0.0.0/8",),
        trusted_proxy_header="forwarded",
    )
    first = register(client, "10.0.0.1", Forwarded='for="[2001:db8:1::7]:4711";proto=https')
    assert first.status_code == 201
    # the same /64, through another proxy; X-Forwarded-For is not the header we read
    again = register(
        client,
        "10.0.0.2",
        Forwarded="for=192.0.2.60, for=2001:db8:1::8",
        **{"X-Forwarded-For": "198.51.100.1"},
    )
    assert_limited(again, "register", 1, 60)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("203.0.113.7:8080", "203.0.113.7"),
        ('"[2001:db8::1]:4711"', "2001:db8::1"),
        ("::ffff:198.51.100.2", "198.51.100.2"),
        ("unknown", None),
        ("_hidden", None),
        ("", None),
        ("999.1.1.1", None),
    ],
)
def test_addresses_as_sockets_and_headers_write_them(text: str, address: str | None) -> None:
    parsed = parse_address(text)
    assert (str(parsed) if parsed else None) == address


def test_what_an_address_counts_as() -> None:
    assert address_key("203.0.113.7") == "203.0.113.7"
    assert address_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert address_key("testclient") == "testclient"
    addresses = ClientAddresses(["10.0.0.0/8"], "X-Forwarded-For")

    def scope(peer: str, forwarded_for: str) -> Any:
        return {"client": (peer, 1), "headers": [(b"x-forwarded-for", forwarded_for.encode())]}

    assert addresses.of(scope("10.0.0.1", "garbage, 10.0.0.9")) == "10.0.0.9"
    assert addresses.of(scope("10.0.0.1", "10.0.0.8, 10.0.0.9")) == "10.0.0.8"
    assert addresses.of(scope("10.0.0.1", "")) == "10.0.0.1"
    assert addresses.of(scope("192.0.2.1", "198.51.100.1")) == "192.0.2.1"


# --- per user ------------------------------------------------------------------------------


def user_of(client: Client, peer: str) -> TokenClient:
    return signed_in(client, register(client, peer).json())


def test_writes_are_limited_per_user_across_routes(limited: Callable[..., Client]) -> None:
    client = limited(rate_limit_writes=RateLimit(3, 60))
    ann, bob = user_of(client, "192.0.2.20"), user_of(client, "192.0.2.21")
    exercise = {"name": "Zercher Squat", "category": "strength", "primary_muscle": "quadriceps"}
    first = ann.post("/v1/exercises", json=exercise)
    assert first.status_code == 201
    assert first.headers["ratelimit-policy"] == '"writes";q=3;w=60'
    assert remaining(first, "writes") == 2
    assert ann.post("/v1/workouts", json={"name": "A"}).status_code == 201
    assert ann.post("/v1/sessions", json={}).status_code == 201
    # the fourth write, on yet another route, is one too many
    assert_limited(ann.post("/v1/workouts", json={"name": "B"}), "writes", 3, 60)
    assert_limited(ann.delete(f"/v1/exercises/{first.json()['id']}"), "writes", 3, 60)
    # reads are not writes; another user has writes of their own
    listed = ann.get("/v1/workouts")
    assert listed.status_code == 200
    assert "ratelimit" not in listed.headers
    assert bob.post("/v1/workouts", json={"name": "B"}).status_code == 201


def test_statistics_are_limited_per_user(limited: Callable[..., Client]) -> None:
    client = limited(rate_limit_stats=RateLimit(2, 60))
    ann, bob = user_of(client, "192.0.2.30"), user_of(client, "192.0.2.31")
    assert ann.get("/v1/stats/records").status_code == 200
    history = ann.get(f"/v1/exercises/{BENCH_PRESS}/history")
    assert history.status_code == 200
    assert remaining(history, "stats") == 0
    assert_limited(ann.get("/v1/stats/summary?tz=UTC"), "stats", 2, 60)
    assert_limited(ann.get("/v1/stats/records"), "stats", 2, 60)
    assert bob.get("/v1/stats/records").status_code == 200
    assert ann.get("/v1/workouts").status_code == 200


# --- failing open ------------------------------------------------------------------------


def test_the_limiter_fails_open_when_its_table_is_gone(
    limited: Callable[..., Client], db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = limited(rate_limit_register=RateLimit(1, 60))
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("DROP TABLE rate_limit_counters")
    with caplog.at_level(logging.WARNING, logger="kinetria.ratelimit"):
        answers = [register(client) for _ in range(3)]
    assert [a.status_code for a in answers] == [201] * 3
    assert "ratelimit" not in answers[0].headers
    [record] = [r for r in caplog.records if r.name == "kinetria.ratelimit"]  # then quiet
    assert record.getMessage() == "rate limit check failed; request let through"
    assert record.__dict__["policy"] == "register"
    assert record.__dict__["reason"] == "UndefinedTable"


def test_the_limiter_fails_open_when_its_table_is_locked(
    limited: Callable[..., Client], db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = limited(rate_limit_register=RateLimit(1, 60), rate_limit_timeout_ms=200)
    assert register(client).status_code == 201
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with psycopg.connect(db_url) as conn:
            conn.execute("LOCK TABLE rate_limit_counters IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(30)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        with caplog.at_level(logging.WARNING, logger="kinetria.ratelimit"):
            # over the limit, but the limiter cannot count: let through, on a connection
            # that still works (the handler's statements ran on it)
            answer = register(client)
        assert answer.status_code == 201, answer.text
    finally:
        release.set()
        holder.join()
    [record] = [r for r in caplog.records if r.name == "kinetria.ratelimit"]
    assert record.__dict__["reason"] == "TimeoutError"
    # the lock is gone: counting again, and this address is over its limit
    assert_limited(register(client), "register", 1, 60)


# --- expired windows ---------------------------------------------------------------------


def test_expired_windows_are_deleted(run_db: Callable[[Callable[[Db], Any]], Any]) -> None:
    async def body(db: Db) -> list[str]:
        await db.conn.execute(
            "INSERT INTO rate_limit_counters (policy, subject, hits, expires_at) VALUES"
            " ('writes', 'gone', 5, now() - interval '1 second'),"
            " ('writes', 'kept', 5, now() + interval '30 seconds')"
        )
        await db.execute("ratelimit/prune")
        rows = await db.conn.execute("SELECT subject FROM rate_limit_counters")
        return [row[0] for row in await rows.fetchall()]

    assert run_db(body) == ["kept"]


def test_a_new_window_starts_once_the_old_one_is_over(
    run_db: Callable[[Callable[[Db], Any]], Any],
) -> None:
    async def body(db: Db) -> list[tuple[int, int]]:
        from app.ratelimit import RateLimitHit

        async def hit() -> tuple[int, int]:
            row = await db.one(
                "ratelimit/hit", RateLimitHit, policy="writes", subject="ann", window_s=60
            )
            assert row is not None
            return row.hits, row.reset_s

        seen = [await hit(), await hit()]
        await db.conn.execute("UPDATE rate_limit_counters SET expires_at = now()")
        seen.append(await hit())
        return seen

    assert run_db(body) == [(1, 60), (2, 60), (1, 60)]


# --- settings ------------------------------------------------------------------------------


def test_limits_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_WRITES", "100/10")
    monkeypatch.setenv("RATE_LIMIT_STATS", "off")
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, 2001:db8::/32")
    monkeypatch.setenv("TRUSTED_PROXY_HEADER", "Forwarded")
    settings = load_settings(read_dotenv=False)
    assert settings.rate_limit_writes == RateLimit(100, 10)
    assert settings.rate_limit_stats is None
    assert settings.rate_limit_register == RateLimit(5, 60)  # the default
    assert settings.trusted_proxies == ("10.0.0.0/8", "2001:db8::/32")
    assert settings.trusted_proxy_header == "forwarded"


def test_bad_limits_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_WRITES", "lots")
    monkeypatch.setenv("RATE_LIMIT_LOGIN", "0/60")
    monkeypatch.setenv("RATE_LIMIT_STATS", "10/0")
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8,not-a-network")
    monkeypatch.setenv("TRUSTED_PROXY_HEADER", "X-Real-IP")
    with pytest.raises(ConfigError) as raised:
        load_settings(read_dotenv=False)
    named = {problem.split(":")[0] for problem in raised.value.problems}
    assert named == {
        "RATE_LIMIT_WRITES",
        "RATE_LIMIT_LOGIN",
        "RATE_LIMIT_STATS",
        "TRUSTED_PROXIES",
        "TRUSTED_PROXY_HEADER",
    }


# --- two server processes ----------------------------------------------------------------


def test_two_server_processes_share_the_limit(db_url: str) -> None:
    env = {
        "DATABASE_URL": db_url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "KINETRIA_ENV": "test",
        "RATE_LIMIT_REGISTER": "4/60",
    }
    with (
        running_server(env) as (base_a, _),
        running_server(env) as (base_b, _),
    ):

        async def alternate(local_address: str, count: int) -> list[httpx.Response]:
            answers = []
            for i in range(count):
                transport = httpx.AsyncHTTPTransport(local_address=local_address)
                async with httpx.AsyncClient(
                    base_url=(base_a, base_b)[i % 2], transport=transport, timeout=30
                ) as client:
                    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
                    body = {"email": email, "password": PASSWORD, "display_name": "Ann"}
                    answers.append(await client.post("/v1/auth/register", json=body))
            return answers

        answers = asyncio.run(alternate("127.0.0.1", 8))
        # another loopback address is another client, on both servers
        others = asyncio.run(alternate("127.0.0.2", 2))
    assert [a.status_code for a in answers] == [201] * 4 + [429] * 4
    assert [remaining(a, "register") for a in answers[:4]] == [3, 2, 1, 0]
    for refused in answers[4:]:
        assert_limited(refused, "register", 4, 60)
    assert [a.status_code for a in others] == [201, 201]
