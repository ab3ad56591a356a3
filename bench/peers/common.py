"""What both peers share: the Pydantic shapes of the four endpoints, the access-token check
(the same HS256 tokens Kinetria issues, verified on every request with PyJWT), the cursor
and the server (Granian as `kinetria serve` runs it: ASGI, uvloop, one worker, keep-alive).

This is the code a competent team would write for the same endpoints; it is not Kinetria's
and shares none of it, so the peers run in an environment of their own (bench/peers/
pyproject.toml), apart from Kinetria's dependencies.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

import jwt
from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

POOL_SIZE = int(os.environ.get("DB_POOL_MAX_SIZE", "10"))  # Kinetria's default pool
MAX_BATCH = 100
LB = Decimal("0.45359237")

# ---- the shapes -------------------------------------------------------------------------


class ExerciseGroup(BaseModel):
    key: str
    kind: str
    position: int


class PlannedExercise(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    exercise_id: UUID
    exercise_name: str
    target_sets: int | None
    target_reps: int | None
    target_weight_kg: float | None
    target_rest_s: int | None
    notes: str
    group: ExerciseGroup | None


class Workout(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    description: str
    status: str
    exercises: list[PlannedExercise]
    version: int
    created_at: datetime
    updated_at: datetime


class SessionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    workout_id: UUID | None
    name: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    timezone: str
    notes: str
    set_count: int
    version: int
    created_at: datetime
    updated_at: datetime


class SessionPage(BaseModel):
    items: list[SessionSummary]
    next_cursor: str | None


class SetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID | None = None
    exercise_id: UUID
    set_type: Literal["normal", "warmup", "dropset", "failure"] = "normal"
    reps: int | None = Field(default=None, ge=0, le=1000)
    weight: Decimal | None = Field(default=None, ge=0)
    weight_unit: Literal["kg", "lb"] = "kg"
    duration_s: int | None = Field(default=None, ge=0, le=86400)
    distance_m: Decimal | None = Field(default=None, ge=0, le=1_000_000)
    rpe: Decimal | None = Field(default=None, ge=1, le=10)
    performed_at: datetime | None = None
    notes: str = Field(default="", max_length=10_000)


class SetRecord(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    session_id: UUID
    exercise_id: UUID
    exercise_name: str
    position: int
    set_type: str
    reps: int | None
    weight: float | None
    weight_unit: str
    duration_s: int | None
    distance_m: float | None
    rpe: float | None
    performed_at: datetime
    notes: str
    version: int
    created_at: datetime
    updated_at: datetime


class LoggedSets(BaseModel):
    sets: list[SetRecord]
    session_version: int


def weight_to_kg(weight: Decimal | None, unit: str) -> Decimal | None:
    return None if weight is None or unit == "kg" else weight * LB


def weight_from_kg(weight_kg: Decimal | None, unit: str) -> float | None:
    if weight_kg is None:
        return None
    return float(weight_kg if unit == "kg" else round(weight_kg / LB, 3))


# ---- authentication ---------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False)
_SECRET = os.environ.get("JWT_SECRET", "")


def current_user_id(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> UUID:
    if credentials is None:
        raise HTTPException(401, "Not authenticated")
    try:
        claims = jwt.decode(
            credentials.credentials,
            _SECRET,
            algorithms=["HS256"],
            audience="kinetria-api",
            issuer="kinetria",
            options={"require": ["iss", "aud", "sub", "exp", "iat", "jti", "typ"]},
        )
    except jwt.PyJWTError as error:
        raise HTTPException(401, "Invalid token") from error
    if claims.get("typ") != "access":
        raise HTTPException(401, "Invalid token")
    return UUID(claims["sub"])


UserId = Annotated[UUID, Depends(current_user_id)]


# ---- cursors ----------------------------------------------------------------------------


def encode_cursor(started_at: datetime, session_id: UUID) -> str:
    raw = json.dumps([started_at.isoformat(), str(session_id)]).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    if cursor is None:
        return None
    try:
        started_at, session_id = json.loads(
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        )
        return datetime.fromisoformat(started_at), UUID(session_id)
    except (ValueError, TypeError) as error:
        raise HTTPException(400, "Invalid cursor") from error


def health() -> dict[str, Any]:
    return {"status": "ok", "service": "peer", "version": "0.1.0"}


# ---- the server -------------------------------------------------------------------------


def serve(target: str) -> None:
    """Granian with `kinetria serve`'s settings: `python -m bench.peers.X PORT`."""
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.http import HTTP1Settings

    Granian(
        target,
        factory=True,
        address="127.0.0.1",
        port=int(sys.argv[1]),
        workers=1,
        interface=Interfaces.ASGI,
        loop=Loops.uvloop,
        backlog=1024,
        backpressure=1024,
        http1_settings=HTTP1Settings(header_read_timeout=30_000, keep_alive=True),
        log_level="warning",  # type: ignore[arg-type]
    ).serve()


def database() -> dict[str, Any]:
    """DATABASE_URL (a libpq URL, the socket directory in `?host=` or not) as connect
    arguments, for asyncpg and SQLAlchemy alike."""
    from urllib.parse import parse_qs, unquote, urlsplit

    url = urlsplit(os.environ["DATABASE_URL"])
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    return {
        "host": query.get("host") or url.hostname or "127.0.0.1",
        "port": int(query.get("port") or url.port or 5432),
        "user": unquote(url.username or "postgres"),
        "password": unquote(url.password) if url.password else None,
        "database": url.path.lstrip("/") or "postgres",
    }
