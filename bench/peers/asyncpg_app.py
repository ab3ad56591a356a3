"""The asyncpg peer: FastAPI + asyncpg + raw SQL + Pydantic, the four endpoints.

DATABASE_URL=... JWT_SECRET=... python -m bench.peers.asyncpg_app PORT
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID, uuid4

import asyncpg
from fastapi import Body, FastAPI, HTTPException, Query, Request

from bench.peers.common import (
    MAX_BATCH,
    POOL_SIZE,
    LoggedSets,
    SessionPage,
    SessionSummary,
    SetCreate,
    SetRecord,
    UserId,
    Workout,
    database,
    decode_cursor,
    encode_cursor,
    health,
    serve,
    weight_from_kg,
    weight_to_kg,
)

WORKOUT = """
SELECT w.id, w.name, w.description, w.status::text, w.version, w.created_at, w.updated_at,
       coalesce((
           SELECT json_agg(json_build_object(
                      'position', we.position, 'exercise_id', we.exercise_id,
                      'exercise_name', e.name, 'target_sets', we.target_sets,
                      'target_reps', we.target_reps, 'target_weight_kg', we.target_weight_kg,
                      'target_rest_s', we.target_rest_s, 'notes', we.notes,
                      'group', CASE WHEN we.group_key IS NOT NULL THEN json_build_object(
                          'key', we.group_key, 'kind', we.group_kind,
                          'position', we.group_position) END)
                  ORDER BY we.position)
           FROM workout_exercises we JOIN exercises e ON e.id = we.exercise_id
           WHERE we.workout_id = w.id AND we.user_id = w.user_id
       ), '[]') AS exercises
FROM workouts w
WHERE w.id = $1 AND w.user_id = $2
"""

SESSIONS = """
SELECT s.id, s.workout_id, s.name, s.status::text, s.started_at, s.ended_at, s.timezone,
       s.notes, s.version, s.created_at, s.updated_at,
       (SELECT count(*) FROM set_records r
        WHERE r.user_id = s.user_id AND r.session_id = s.id)::int AS set_count
FROM sessions s
WHERE s.user_id = $1
  AND (s.started_at, s.id) < (coalesce($2::timestamptz, 'infinity'),
                              coalesce($3::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
ORDER BY s.started_at DESC, s.id DESC
LIMIT $4
"""

LOCK_SESSION = """
SELECT status::text, next_set_position FROM sessions
WHERE id = $1 AND user_id = $2 FOR UPDATE
"""

USABLE_EXERCISES = """
SELECT id, name FROM exercises
WHERE id = ANY($1::uuid[]) AND (user_id IS NULL OR user_id = $2)
"""

INSERT_SETS = """
INSERT INTO set_records
    (id, session_id, user_id, exercise_id, position, set_type, reps, weight_kg, weight_unit,
     duration_s, distance_m, rpe, performed_at, notes)
SELECT i.id, $1, $2, i.exercise_id, i.position, i.set_type::set_type, i.reps, i.weight_kg,
       i.weight_unit::weight_unit, i.duration_s, i.distance_m, i.rpe,
       coalesce(i.performed_at, now()), i.notes
FROM unnest($3::uuid[], $4::uuid[], $5::int[], $6::text[], $7::int[], $8::numeric[],
            $9::text[], $10::int[], $11::numeric[], $12::numeric[], $13::timestamptz[],
            $14::text[])
     AS i(id, exercise_id, position, set_type, reps, weight_kg, weight_unit, duration_s,
          distance_m, rpe, performed_at, notes)
RETURNING id, exercise_id, position, set_type::text, reps, weight_kg, weight_unit::text,
          duration_s, distance_m, rpe, performed_at, notes, version, created_at, updated_at
"""

BUMP_SESSION = """
UPDATE sessions SET next_set_position = next_set_position + $3, version = version + 1,
                    updated_at = now()
WHERE id = $1 AND user_id = $2
RETURNING version
"""


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async def init(conn: asyncpg.Connection) -> None:
            await conn.set_type_codec(
                "json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
            )

        async with asyncpg.create_pool(
            **database(), min_size=2, max_size=POOL_SIZE, init=init
        ) as pool:
            app.state.pool = pool
            yield

    app = FastAPI(lifespan=lifespan, openapi_url=None)

    @app.get("/health")
    async def get_health() -> dict[str, Any]:
        return health()

    @app.get("/v1/workouts/{workout_id}", response_model=Workout)
    async def get_workout(request: Request, workout_id: UUID, user_id: UserId) -> Any:
        async with request.app.state.pool.acquire() as conn:
            row = await conn.fetchrow(WORKOUT, workout_id, user_id)
        if row is None:
            raise HTTPException(404, "No such workout")
        return Workout.model_validate(dict(row))

    @app.get("/v1/sessions", response_model=SessionPage)
    async def list_sessions(
        request: Request,
        user_id: UserId,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        cursor: str | None = None,
    ) -> Any:
        after = decode_cursor(cursor)
        async with request.app.state.pool.acquire() as conn:
            rows = await conn.fetch(
                SESSIONS, user_id, after and after[0], after and after[1], limit + 1
            )
        items = [SessionSummary.model_validate(dict(r)) for r in rows[:limit]]
        last = items[-1] if len(rows) > limit else None
        return SessionPage(
            items=items, next_cursor=last and encode_cursor(last.started_at, last.id)
        )

    @app.post("/v1/sessions/{session_id}/sets", response_model=LoggedSets, status_code=201)
    async def log_sets(
        request: Request,
        session_id: UUID,
        user_id: UserId,
        sets: Annotated[list[SetCreate], Body(min_length=1, max_length=MAX_BATCH)],
    ) -> Any:
        async with request.app.state.pool.acquire() as conn, conn.transaction():
            session = await conn.fetchrow(LOCK_SESSION, session_id, user_id)
            if session is None:
                raise HTTPException(404, "No such session")
            if session["status"] != "in_progress":
                raise HTTPException(409, "The session is not in progress")
            wanted = list({s.exercise_id for s in sets})
            names = dict(await conn.fetch(USABLE_EXERCISES, wanted, user_id))
            if len(names) != len(wanted):
                raise HTTPException(422, "No such exercise")
            first = session["next_set_position"]
            rows = await conn.fetch(
                INSERT_SETS,
                session_id,
                user_id,
                [s.id or uuid4() for s in sets],
                [s.exercise_id for s in sets],
                list(range(first, first + len(sets))),
                [s.set_type for s in sets],
                [s.reps for s in sets],
                [weight_to_kg(s.weight, s.weight_unit) for s in sets],
                [s.weight_unit for s in sets],
                [s.duration_s for s in sets],
                [s.distance_m for s in sets],
                [s.rpe for s in sets],
                [s.performed_at for s in sets],
                [s.notes for s in sets],
            )
            version = await conn.fetchval(BUMP_SESSION, session_id, user_id, len(sets))
        return LoggedSets(
            sets=[
                SetRecord(
                    **{k: v for k, v in dict(r).items() if k != "weight_kg"},
                    session_id=session_id,
                    exercise_name=names[r["exercise_id"]],
                    weight=weight_from_kg(r["weight_kg"], r["weight_unit"]),
                )
                for r in rows
            ],
            session_version=version,
        )

    return app


if __name__ == "__main__":
    serve("bench.peers.asyncpg_app:create_app")
