"""Floors for GET /v1/workouts/{id}: its SQL file, through the same pool and row mapping,
served over HTTP by the least an app can do, on the same server settings as `kinetria serve`
(`app.core.server.http_server`). No access token, access log, security headers or error shape:

- `asgi_app`: a bare ASGI callable, no framework;
- `litestar_app`: a Litestar app with that one route and nothing else.

The first is about the fastest one Python worker can serve that query over HTTP, the second
the fastest a Litestar route we could write does, so their rates show how much room the
issue's ratios leave for the real app. With no token, the owner of each workout
comes from FLOOR_PAIRS (`workout_id:user_id,...`).

    python -m bench.floor asgi|litestar PORT      # DATABASE_URL and FLOOR_PAIRS set
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import msgspec
from litestar import Litestar, MediaType, Response, get
from litestar.params import FromPath

from app.core.config import Settings, load_settings
from app.core.db import Db, load_queries, open_pool
from app.core.server import http_server
from app.workouts import Workout

_JSON = (b"content-type", b"application/json")


def _settings() -> Settings:
    return load_settings(read_dotenv=False)


def _owners() -> dict[UUID, UUID]:
    pairs = (pair.split(":") for pair in os.environ["FLOOR_PAIRS"].split(","))
    return {UUID(workout_id): UUID(user_id) for workout_id, user_id in pairs}


def asgi_app() -> Any:
    settings, queries, owners = _settings(), load_queries(), _owners()
    pool: Any = None

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal pool
        if scope["type"] == "lifespan":
            await receive()  # startup
            async with open_pool(settings, os.environ["DATABASE_URL"]) as opened:
                pool = opened
                await send({"type": "lifespan.startup.complete"})
                await receive()  # shutdown
            await send({"type": "lifespan.shutdown.complete"})
            return
        workout_id = UUID(scope["path"].rsplit("/", 1)[1])
        async with pool.connection() as conn:
            workout = await Db(conn, queries, settings.slow_query_ms).one(
                "workouts/get", Workout, workout_id=workout_id, user_id=owners[workout_id]
            )
        body = msgspec.json.encode(workout)
        length = (b"content-length", str(len(body)).encode())
        await send({"type": "http.response.start", "status": 200, "headers": [_JSON, length]})
        await send({"type": "http.response.body", "body": body})

    return app


def litestar_app() -> Litestar:
    settings, queries, owners = _settings(), load_queries(), _owners()
    pool: Any = None

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None]:
        nonlocal pool
        async with open_pool(settings, os.environ["DATABASE_URL"]) as opened:
            pool = opened
            yield

    # the leanest Litestar route measured: no dependency, the body encoded here
    @get("/v1/workouts/{workout_id:uuid}")
    async def get_workout(workout_id: FromPath[UUID]) -> Response[bytes]:
        async with pool.connection() as conn:
            workout = await Db(conn, queries, settings.slow_query_ms).one(
                "workouts/get", Workout, workout_id=workout_id, user_id=owners[workout_id]
            )
        return Response(msgspec.json.encode(workout), media_type=MediaType.JSON)

    return Litestar([get_workout], lifespan=[lifespan], openapi_config=None)


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    target = {"asgi": "bench.floor:asgi_app", "litestar": "bench.floor:litestar_app"}[kind]
    http_server(target, _settings(), host="127.0.0.1", port=port, workers=1).serve()


if __name__ == "__main__":
    main()
