"""The exercise catalogue: system exercises (shared, read-only) plus each user's own.

Routes: `GET /v1/exercises` (search, filters, cursor pages), `POST /v1/exercises`,
`GET/PATCH/DELETE /v1/exercises/{exercise_id}`. Writing to a system exercise is 403
`exercise_read_only`; another user's custom exercise is simply not found (404).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from psycopg import errors as pg

from app import audit
from app.core.db import Db
from app.core.enums import AuditAction, ExerciseCategory, MuscleGroup
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.core.http import (
    ETAG_HEADER,
    IfMatch,
    IfNoneMatch,
    Violation,
    clean_name,
    conditional_get,
    created,
    if_match_versions,
    new_id,
    replay_response,
    replayed_or_conflict,
    responses,
    sent_fields,
    stale,
    translate,
    unset_to_none,
    with_etag,
)
from app.core.pagination import CursorParam, LimitParam, decode_cursor, page_of
from app.core.security import CurrentUser

ENTITY = "exercises"

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, description="1 to 100 characters")]
Description = Annotated[str, msgspec.Meta(max_length=10_000)]
SecondaryMuscles = Annotated[
    list[MuscleGroup],
    msgspec.Meta(max_length=20, description="Other muscle groups trained (not the primary one)"),
]


class Exercise(msgspec.Struct):
    id: UUID
    name: str
    category: ExerciseCategory
    primary_muscle: MuscleGroup
    secondary_muscles: list[MuscleGroup]
    description: str
    custom: bool  # the caller's own exercise (false: the read-only system catalogue)
    version: int
    created_at: datetime
    updated_at: datetime


class ExercisePage(msgspec.Struct):
    items: list[Exercise]
    next_cursor: str | None


def _check_muscles(
    primary: MuscleGroup | msgspec.UnsetType, secondary: list[MuscleGroup] | msgspec.UnsetType
) -> None:
    if isinstance(secondary, list):
        if len(set(secondary)) != len(secondary):
            raise ValueError("`secondary_muscles` lists a muscle group twice")
        if not isinstance(primary, msgspec.UnsetType) and primary in secondary:
            raise ValueError("`secondary_muscles` must not repeat the primary muscle")


class ExerciseCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: UUID | None = None
    name: Name
    category: ExerciseCategory
    primary_muscle: MuscleGroup
    secondary_muscles: SecondaryMuscles = msgspec.field(default_factory=list)
    description: Description = ""

    def __post_init__(self) -> None:
        self.name = clean_name(self.name)
        _check_muscles(self.primary_muscle, self.secondary_muscles)


class ExercisePatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    category: ExerciseCategory | msgspec.UnsetType = msgspec.UNSET
    primary_muscle: MuscleGroup | msgspec.UnsetType = msgspec.UNSET
    secondary_muscles: SecondaryMuscles | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if isinstance(self.name, str):
            self.name = clean_name(self.name)
        _check_muscles(self.primary_muscle, self.secondary_muscles)


_CREATE_FIELDS = ("name", "category", "primary_muscle", "secondary_muscles", "description")

_CONSTRAINTS = {
    "exercises_user_id_name_key": Violation(
        Conflict, "exercise_name_taken", "You already have an exercise with this name", "name"
    ),
    "exercises_secondary_muscles_check": Violation(
        Unprocessable,
        "invalid_muscles",
        "`secondary_muscles` must not repeat the primary muscle",
        "secondary_muscles",
    ),
}


def escape_like(text: str) -> str:
    """`text` as a literal inside a LIKE pattern (backslash is LIKE's default escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def unknown_exercises(db: Db, *, user_id: UUID, exercise_ids: list[UUID]) -> list[UUID]:
    """The ids among `exercise_ids` the user cannot use (neither system nor their own)."""
    if not exercise_ids:
        return []
    unknown: list[UUID] = await db.scalar(
        "exercises/unknown", exercise_ids=exercise_ids, user_id=user_id
    )
    return unknown


def _not_found() -> NotFound:
    return NotFound("exercise_not_found", "No such exercise")


async def _why_not_written(
    db: Db, *, exercise_id: UUID, user_id: UUID, if_match: list[int] | None
) -> Exception:
    """After an UPDATE/DELETE touched no row: 404, 403 (system exercise) or 412."""
    current = await db.one("exercises/get", Exercise, exercise_id=exercise_id, user_id=user_id)
    if current is None:
        return _not_found()
    if not current.custom:
        return Forbidden(
            "exercise_read_only", "System exercises cannot be changed; create your own instead"
        )
    return stale(if_match, current.version) or _not_found()


@get(
    "/v1/exercises",
    operation_id="listExercises",
    summary="List exercises",
    description="The system catalogue plus your own exercises, by name. `q` searches names "
    "case- and accent-insensitively; `muscle_group` filters on the primary muscle; "
    "`mine=true` lists only your own. Cursor pagination.",
    tags=["exercises"],
    responses=responses(codes={400: "invalid_cursor"}),
)
async def list_exercises(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    limit: int = LimitParam,
    cursor: str | None = CursorParam,
    q: Annotated[
        str | None, QueryParameter(max_length=100, description="Search in names (anywhere)")
    ] = None,
    category: FromQuery[ExerciseCategory | None] = None,
    muscle_group: Annotated[
        MuscleGroup | None, QueryParameter(description="Primary muscle group")
    ] = None,
    mine: Annotated[bool, QueryParameter(description="Only your own exercises")] = False,
) -> ExercisePage:
    after = decode_cursor(cursor, tuple[str, UUID])
    search = " ".join(q.split()) if q else ""
    rows = await db.many(
        "exercises/list",
        Exercise,
        user_id=current_user.id,
        mine=mine,
        category=category,
        muscle_group=muscle_group,
        q=escape_like(search) if search else None,
        after_name=after[0] if after else None,
        after_id=after[1] if after else None,
        limit=limit + 1,
    )
    items, next_cursor = page_of(rows, limit, lambda e: (e.name, e.id))
    return ExercisePage(items=items, next_cursor=next_cursor)


@post(
    "/v1/exercises",
    operation_id="createExercise",
    summary="Create a custom exercise",
    description="Creates one of your own exercises. Send your own `id` to make the request "
    "safe to retry: a replay answers 200 with the stored exercise.",
    tags=["exercises"],
    response_headers=ETAG_HEADER,
    responses={
        **replay_response(Exercise),
        **responses(409, codes={409: "exercise_name_taken, id_conflict"}),
    },
)
async def create_exercise(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    data: JSONBody[ExerciseCreate],
) -> Response[Exercise]:
    exercise_id = data.id or new_id()
    try:
        async with db.transaction():
            exercise = await db.one(
                "exercises/insert",
                Exercise,
                exercise_id=exercise_id,
                user_id=current_user.id,
                name=data.name,
                category=data.category,
                primary_muscle=data.primary_muscle,
                secondary_muscles=list(data.secondary_muscles),
                description=data.description,
            )
            if exercise is not None:
                await audit.record(
                    db,
                    user_id=current_user.id,
                    action=AuditAction.CREATE,
                    entity_type=ENTITY,
                    entity_id=exercise.id,
                    metadata={"name": exercise.name},
                )
    except pg.IntegrityError as exc:
        raise translate(exc, _CONSTRAINTS) from None
    replayed = exercise is None
    if exercise is None:
        stored = await db.one(
            "exercises/get", Exercise, exercise_id=exercise_id, user_id=current_user.id
        )
        exercise = replayed_or_conflict(
            stored if stored is not None and stored.custom else None,
            data,
            _CREATE_FIELDS,
            "custom exercise",
        )
    return created(exercise, exercise.version, f"/v1/exercises/{exercise.id}", replayed=replayed)


@get(
    "/v1/exercises/{exercise_id:uuid}",
    operation_id="getExercise",
    summary="Get an exercise",
    description="A system exercise or one of your own, with its ETag.",
    tags=["exercises"],
    response_headers=ETAG_HEADER,
    responses=responses(304, 404, codes={404: "exercise_not_found"}),
)
async def get_exercise(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    exercise_id: FromPath[UUID],
    if_none_match: IfNoneMatch = None,
) -> Response[Exercise]:
    exercise = await db.one(
        "exercises/get", Exercise, exercise_id=exercise_id, user_id=current_user.id
    )
    if exercise is None:
        raise _not_found()
    return conditional_get(exercise, exercise.version, if_none_match)


@patch(
    "/v1/exercises/{exercise_id:uuid}",
    operation_id="updateExercise",
    summary="Change a custom exercise",
    description="Changes the fields given. System exercises are read-only (403).",
    tags=["exercises"],
    response_headers=ETAG_HEADER,
    responses=responses(
        403,
        404,
        409,
        412,
        422,
        codes={
            403: "exercise_read_only",
            404: "exercise_not_found",
            409: "exercise_name_taken",
            422: "invalid_muscles",
        },
    ),
)
async def update_exercise(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    exercise_id: FromPath[UUID],
    data: JSONBody[ExercisePatch],
    if_match: IfMatch = None,
) -> Response[Exercise]:
    versions = if_match_versions(if_match)
    changed = sent_fields(data)
    try:
        async with db.transaction():
            exercise = await db.one(
                "exercises/update",
                Exercise,
                exercise_id=exercise_id,
                user_id=current_user.id,
                if_match=versions,
                name=unset_to_none(data.name),
                category=unset_to_none(data.category),
                primary_muscle=unset_to_none(data.primary_muscle),
                secondary_muscles=unset_to_none(data.secondary_muscles),
                description=unset_to_none(data.description),
            )
            if exercise is None:
                raise await _why_not_written(
                    db, exercise_id=exercise_id, user_id=current_user.id, if_match=versions
                )
            await audit.record(
                db,
                user_id=current_user.id,
                action=AuditAction.UPDATE,
                entity_type=ENTITY,
                entity_id=exercise_id,
                metadata={"fields": changed},
            )
    except pg.IntegrityError as exc:
        raise translate(exc, _CONSTRAINTS) from None
    return with_etag(exercise, exercise.version)


@delete(
    "/v1/exercises/{exercise_id:uuid}",
    operation_id="deleteExercise",
    summary="Delete a custom exercise",
    description="Deletes one of your own exercises. An exercise that a plan or a logged set "
    "uses cannot be deleted (409 `exercise_in_use`).",
    tags=["exercises"],
    responses=responses(
        403,
        404,
        409,
        412,
        codes={403: "exercise_read_only", 404: "exercise_not_found", 409: "exercise_in_use"},
    ),
)
async def delete_exercise(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    exercise_id: FromPath[UUID],
    if_match: IfMatch = None,
) -> None:
    versions = if_match_versions(if_match)
    try:
        async with db.transaction():
            name = await db.scalar(
                "exercises/delete",
                exercise_id=exercise_id,
                user_id=current_user.id,
                if_match=versions,
            )
            if name is None:
                raise await _why_not_written(
                    db, exercise_id=exercise_id, user_id=current_user.id, if_match=versions
                )
            await audit.record(
                db,
                user_id=current_user.id,
                action=AuditAction.DELETE,
                entity_type=ENTITY,
                entity_id=exercise_id,
                metadata={"name": name},
            )
    except pg.ForeignKeyViolation:
        raise Conflict(
            "exercise_in_use",
            "This exercise is used by a workout plan or by logged sets; remove those first",
        ) from None


routes = [list_exercises, create_exercise, get_exercise, update_exercise, delete_exercise]
