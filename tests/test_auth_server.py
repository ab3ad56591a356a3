"""Login throttling and refresh-token rotation hold across processes: two real servers (one
of them with two workers) on one database, called over HTTP."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_JWT_SECRET
from tests.test_server import running_server

PASSWORD = "Server-Side-Passphrase-4471"
WRONG = "Server-Side-Wrong-Guess-9902"


@pytest.fixture
def servers(db_url: str) -> Iterator[tuple[list[str], list[subprocess.Popen[str]]]]:
    """Server A with two workers and server B with one, sharing `db_url`."""
    env = {
        "DATABASE_URL": db_url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "KINETRIA_ENV": "test",
        "LOGIN_MAX_FAILURES": "3",
        "LOGIN_WINDOW_S": "600",
        # every request comes from 127.0.0.1: the per-address limits must not be what
        # these tests meet
        "RATE_LIMIT_LOGIN": "1000/60",
        "RATE_LIMIT_REFRESH": "1000/60",
        "RATE_LIMIT_REGISTER": "1000/60",
    }
    with (
        running_server(env, "--workers", "2") as (base_a, process_a),
        running_server(env, "--workers", "1") as (base_b, process_b),
    ):
        yield [base_a, base_b], [process_a, process_b]


def post(base: str, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    # a new connection each time, so the requests spread over the workers
    with httpx.Client(base_url=base, timeout=30) as client:
        return client.post(path, json=body, headers=headers)


def register_on(base: str, email: str) -> httpx.Response:
    response = post(
        base,
        "/v1/auth/register",
        {"email": email, "password": PASSWORD, "display_name": email[0].upper()},
    )
    assert response.status_code == 201, response.text
    return response


def output_of(process: subprocess.Popen[str]) -> str:
    process.terminate()
    output, _ = process.communicate(timeout=30)
    return output


def test_the_login_lock_holds_across_servers_and_workers(
    servers: tuple[list[str], list[subprocess.Popen[str]]],
) -> None:
    (a, b), processes = servers
    registered = register_on(a, "ann@example.com")
    assert registered.status_code == 201
    # three failures, alternating between the servers, lock the account on both
    for base in (a, b, a):
        wrong = post(base, "/v1/auth/login", {"email": "ann@example.com", "password": WRONG})
        assert wrong.status_code == 401
    for base in (b, a, b, a):
        locked = post(base, "/v1/auth/login", {"email": "ann@example.com", "password": PASSWORD})
        assert locked.status_code == 429
        assert locked.json()["error_code"] == "too_many_attempts"
        assert 0 < int(locked.headers["retry-after"]) <= 600

    # a burst of parallel guesses at another account, over both servers and all workers:
    # exactly three get their password checked
    register_on(b, "bob@example.com")

    async def burst() -> list[int]:
        async def guess(i: int) -> int:
            async with httpx.AsyncClient(base_url=(a, b)[i % 2], timeout=60) as client:
                response = await client.post(
                    "/v1/auth/login", json={"email": "bob@example.com", "password": f"{WRONG}{i}"}
                )
                return response.status_code

        return sorted(await asyncio.gather(*(guess(i) for i in range(16))))

    assert asyncio.run(burst()) == [401] * 3 + [429] * 13

    outputs = "\n".join(output_of(process) for process in processes)
    assert "Spawning worker-2" in outputs  # server A really ran two worker processes
    assert outputs.count('"event":"request"') + outputs.count('"event": "request"') >= 27
    assert PASSWORD not in outputs
    assert WRONG not in outputs
    assert registered.json()["refresh_token"] not in outputs
    assert registered.json()["access_token"] not in outputs


def test_twenty_concurrent_refreshes_over_two_servers_exactly_one_succeeds(
    servers: tuple[list[str], list[subprocess.Popen[str]]],
) -> None:
    (a, b), processes = servers
    registered = register_on(a, "ann@example.com")
    token = registered.json()["refresh_token"]

    async def race() -> list[httpx.Response]:
        async def refresh(i: int) -> httpx.Response:
            async with httpx.AsyncClient(base_url=(a, b)[i % 2], timeout=60) as client:
                return await client.post("/v1/auth/refresh", json={"refresh_token": token})

        return list(await asyncio.gather(*(refresh(i) for i in range(20))))

    responses = asyncio.run(race())
    assert sorted(r.status_code for r in responses) == [200] + [401] * 19
    assert {r.json()["error_code"] for r in responses if r.status_code == 401} == {
        "invalid_refresh_token"
    }
    [winner] = [r.json() for r in responses if r.status_code == 200]
    # the retired token came back nineteen times: that login is over
    after = post(b, "/v1/auth/refresh", {"refresh_token": winner["refresh_token"]})
    assert after.status_code == 401
    outputs = "\n".join(output_of(process) for process in processes)
    assert token not in outputs
    assert winner["refresh_token"] not in outputs
