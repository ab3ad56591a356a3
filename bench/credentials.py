"""What the guard costs per request with an access token and with a personal API key, once
each is remembered: the guard itself (app/core/security.py require_access_token), called in
process on the same connection state a request has, without HTTP.

    uv run python -m bench.credentials                 # see docs/benchmarks.md
    uv run python -m bench.credentials --calls 200000 --rounds 7

It starts its own embedded PostgreSQL (migrated, under a temporary KINETRIA_HOME), makes a
user with an access token and an API key, runs the guard once with each (the database is
asked then: the key's row, whether the login or key stands), then times `--calls` guarded
calls with each, alternating token and key in each of `--rounds` rounds. Prints JSON: the
median microseconds per call of each and their difference.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import State

from app.api_keys import ApiKeyCreate, create_key
from app.core.config import Environment, Settings
from app.core.db import Db, load_queries, open_pool
from app.core.ended_logins import LoginGate
from app.core.enums import ApiKeyScope
from app.core.migrate import run_dbmate
from app.core.security import (
    AccessTokenVerifier,
    ApiKeyVerifier,
    issue_access_token,
    require_access_token,
)
from bench.run import JWT_SECRET, embedded_database


async def measure(url: str, calls: int, rounds: int) -> dict[str, Any]:
    settings = Settings(env=Environment.TEST, database_url=url, jwt_secret=JWT_SECRET)
    queries = load_queries()
    gate = LoginGate(url, connect_timeout_s=5)
    async with open_pool(settings, url) as pool, gate.running():
        user_id = uuid.uuid4()
        async with pool.connection() as conn:
            await conn.execute(
                "INSERT INTO users (id, email, password_hash, display_name)"
                " VALUES (%s, %s, 'not-a-password-hash', 'Bench')",
                (user_id, f"{user_id.hex}@bench.example"),
            )
            data = ApiKeyCreate(name="bench", scopes=[ApiKeyScope.READ])
            made, _ = await create_key(
                Db(conn, queries, settings.slow_query_ms), user_id=user_id, data=data, context={}
            )
        key: str = made.key  # type: ignore[attr-defined]
        token = issue_access_token(settings, user_id)
        app = SimpleNamespace(
            state=State(
                {
                    "settings": settings,
                    "queries": queries,
                    "pool": pool,
                    "login_gate": gate,
                    "token_verifier": AccessTokenVerifier(settings),
                    "api_key_verifier": ApiKeyVerifier(),
                }
            )
        )
        handler: Any = SimpleNamespace(opt={})

        def connection(credential: str) -> ASGIConnection[Any, Any, Any, Any]:
            scope: Any = {
                "type": "http",
                "method": "GET",
                "path": f"/v1/workouts/{uuid.uuid4()}",
                "path_template": "/v1/workouts/{workout_id:uuid}",
                "headers": [(b"authorization", f"Bearer {credential}".encode())],
                "state": {},
                "litestar_app": app,
            }
            return ASGIConnection(scope)

        with_token, with_key = connection(token), connection(key)
        for request in (with_token, with_key):  # remembered from now on
            await require_access_token(request, handler)
            assert request.scope["state"]["user"].id == user_id

        async def timed(request: ASGIConnection[Any, Any, Any, Any]) -> float:
            started = time.perf_counter()
            for _ in range(calls):
                await require_access_token(request, handler)
            return (time.perf_counter() - started) / calls * 1e6

        samples: dict[str, list[float]] = {"access_token": [], "api_key": []}
        for _ in range(rounds):
            samples["access_token"].append(await timed(with_token))
            samples["api_key"].append(await timed(with_key))
    medians = {name: round(statistics.median(values), 3) for name, values in samples.items()}
    return {
        "calls_per_round": calls,
        "rounds": rounds,
        "us_per_call_median": medians,
        "us_per_call_all": {name: [round(v, 3) for v in vs] for name, vs in samples.items()},
        "key_minus_token_us": round(medians["api_key"] - medians["access_token"], 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.credentials", description=__doc__)
    parser.add_argument("--calls", type=int, default=100_000, help="guarded calls per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as home, embedded_database(Path(home)) as url:
        run_dbmate(url, "up", capture=True)
        print(json.dumps(asyncio.run(measure(url, args.calls, args.rounds)), indent=2))


if __name__ == "__main__":
    main()
