"""Workouts: a user's plans (templates), each an ordered list of exercises with targets.

Routes: `GET/POST /v1/workouts`, `GET/PATCH/DELETE /v1/workouts/{workout_id}`,
`PUT /v1/workouts/{workout_id}/exercises` (replaces the whole list atomically).

Status moves: draft -> active -> archived, and archived -> active; staying put is allowed,
anything else is 409 `illegal_transition`. The exercise list is part of the workout
document: replacing it bumps the workout's version (and so its ETag).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import Body, FromPath, JSONBody, QueryParameter

from app import audit
from app.core.db import Db
from app.core.enums import AuditAction, WorkoutStatus
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.http import (
    ETAG_HEADER,
    IfMatch,
    IfNoneMatch,
    clean_name,
    conditional_get,
    created,
    decimals_at_most,
    if_match_versions,
    json_param,
    new_id,
    replay_response,
    replayed_or_conflict,
    responses,
    sent_fields,
    stale,
    unset_to_none,
    with_etag,
)
from app.core.pagination import CursorParam, LimitParam, decode_cursor, page_of
from app.core.security import CurrentUser
from app.exercises import unknown_exercises

ENTITY = "workouts"
MAX_EXERCISES = 100

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, description="1 to 100 characters")]
Description = Annotated[str, msgspec.Meta(max_length=10_000)]
Notes = Annotated[str, msgspec.Meta(max_length=10_000)]

ALLOWED_MOVES = {
    (WorkoutStatus.DRAFT, WorkoutStatus.ACTIVE),
    (WorkoutStatus.ACTIVE, WorkoutStatus.ARCHIVED),
    (WorkoutStatus.ARCHIVED, WorkoutStatus.ACTIVE),
}


class PlannedExercise(msgspec.Struct):
    """One exercise of a plan (a workout's, or the copy a session started from)."""

    position: int
    exercise_id: UUID
    exercise_name: str
    target_sets: int | None
    target_reps: int | None
    target_weight_kg: float | None
    target_rest_s: int | None
    notes: str


class Workout(msgspec.Struct):
    id: UUID
    name: str
    description: str
    status: WorkoutStatus
    exercises: list[PlannedExercise]
    version: int
    created_at: datetime
    updated_at: datetime


class WorkoutPage(msgspec.Struct):
    items: list[Workout]
    next_cursor: str | None


class PlannedExerciseIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    exercise_id: UUID
    target_sets: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    target_reps: Annotated[int, msgspec.Meta(ge=0, le=1000)] | None = None
    target_weight_kg: (
        Annotated[float, msgspec.Meta(ge=0, le=1000, description="Kilograms, 3 decimals at most")]
        | None
    ) = None
    target_rest_s: Annotated[int, msgspec.Meta(ge=0, le=3600)] | None = None
    notes: Notes = ""

    def __post_init__(self) -> None:
        decimals_at_most(self.target_weight_kg, 3, "target_weight_kg")


PlannedExercises = Annotated[
    list[PlannedExerciseIn],
    msgspec.Meta(max_length=MAX_EXERCISES, description="The exercises in order (position 0 first)"),
]


class WorkoutCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: UUID | None = None
    name: Name
    description: Description = ""

    def __post_init__(self) -> None:
        self.name = clean_name(self.name)


class WorkoutPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    status: WorkoutStatus | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if isinstance(self.name, str):
            self.name = clean_name(self.name)


def _not_found() -> NotFound:
    return NotFound("workout_not_found", "No such workout")


async def _why_not_written(
    db: Db,
    *,
    workout_id: UUID,
    user_id: UUID,
    if_match: list[int] | None,
    status: WorkoutStatus | None = None,
) -> Exception:
    """After a write touched no row: 404, 412, or 409 for a status move not allowed."""
    current = await db.one("workouts/get", Workout, workout_id=workout_id, user_id=user_id)
    if current is None:
        return _not_found()
    precondition = stale(if_match, current.version)
    if precondition is not None:
        return precondition
    if status is not None and (current.status, status) not in ALLOWED_MOVES:
        return Conflict(
            "illegal_transition",
            f"A workout cannot go from {current.status} to {status}",
            details=[{"field": "status", "from": current.status, "to": status}],
        )
    return _not_found()  # deleted meanwhile


async def get_workout_document(db: Db, *, workout_id: UUID, user_id: UUID) -> Workout:
    workout = await db.one("workouts/get", Workout, workout_id=workout_id, user_id=user_id)
    if workout is None:
        raise _not_found()
    return workout


@get(
    "/v1/workouts",
    operation_id="listWorkouts",
    summary="List workouts",
    description="Your workouts, newest first, each with its exercises. Without `status`, "
    "archived workouts are left out; repeat `status` to list several. Cursor pagination.",
    tags=["workouts"],
    responses=responses(codes={400: "invalid_cursor"}),
)
async def list_workouts(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    limit: int = LimitParam,
    cursor: str | None = CursorParam,
    status: Annotated[
        list[WorkoutStatus] | None,
        QueryParameter(description="Only these statuses (default: draft and active)"),
    ] = None,
) -> WorkoutPage:
    after = decode_cursor(cursor, tuple[datetime, UUID])
    statuses = status or [WorkoutStatus.DRAFT, WorkoutStatus.ACTIVE]
    rows = await db.many(
        "workouts/list",
        Workout,
        user_id=current_user.id,
        statuses=[s.value for s in statuses],
        after_created_at=after[0] if after else None,
        after_id=after[1] if after else None,
        limit=limit + 1,
    )
    items, next_cursor = page_of(rows, limit, lambda w: (w.created_at, w.id))
    return WorkoutPage(items=items, next_cursor=next_cursor)


@post(
    "/v1/workouts",
    operation_id="createWorkout",
    summary="Create a workout",
    description="Creates a draft workout with no exercises; add them with "
    "`PUT /v1/workouts/{id}/exercises`. Send your own `id` to make the request safe to "
    "retry: a replay answers 200 with the stored workout.",
    tags=["workouts"],
    response_headers=ETAG_HEADER,
    responses={**replay_response(Workout), **responses(409, codes={409: "id_conflict"})},
)
async def create_workout(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    data: JSONBody[WorkoutCreate],
) -> Response[Workout]:
    workout_id = data.id or new_id()
    async with db.transaction():
        workout = await db.one(
            "workouts/insert",
            Workout,
            workout_id=workout_id,
            user_id=current_user.id,
            name=data.name,
            description=data.description,
        )
        if workout is not None:
            await audit.record(
                db,
                user_id=current_user.id,
                action=AuditAction.CREATE,
                entity_type=ENTITY,
                entity_id=workout.id,
                metadata={"name": workout.name},
            )
    replayed = workout is None
    if workout is None:
        stored = await db.one(
            "workouts/get", Workout, workout_id=workout_id, user_id=current_user.id
        )
        workout = replayed_or_conflict(stored, data, ("name", "description"), "workout")
    return created(workout, workout.version, f"/v1/workouts/{workout.id}", replayed=replayed)


@get(
    "/v1/workouts/{workout_id:uuid}",
    operation_id="getWorkout",
    summary="Get a workout",
    description="One of your workouts with its exercises and targets in order.",
    tags=["workouts"],
    response_headers=ETAG_HEADER,
    responses=responses(304, 404, codes={404: "workout_not_found"}),
)
async def get_workout(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    workout_id: FromPath[UUID],
    if_none_match: IfNoneMatch = None,
) -> Response[Workout]:
    workout = await get_workout_document(db, workout_id=workout_id, user_id=current_user.id)
    return conditional_get(workout, workout.version, if_none_match)


@patch(
    "/v1/workouts/{workout_id:uuid}",
    operation_id="updateWorkout",
    summary="Change a workout",
    description="Changes the fields given. `status` moves draft -> active -> archived and "
    "archived -> active; other moves are 409 `illegal_transition`.",
    tags=["workouts"],
    response_headers=ETAG_HEADER,
    responses=responses(404, 409, 412, codes={404: "workout_not_found", 409: "illegal_transition"}),
)
async def update_workout(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    workout_id: FromPath[UUID],
    data: JSONBody[WorkoutPatch],
    if_match: IfMatch = None,
) -> Response[Workout]:
    versions = if_match_versions(if_match)
    status = unset_to_none(data.status)
    async with db.transaction():
        version = await db.scalar(
            "workouts/update",
            workout_id=workout_id,
            user_id=current_user.id,
            if_match=versions,
            name=unset_to_none(data.name),
            description=unset_to_none(data.description),
            status=status,
        )
        if version is None:
            raise await _why_not_written(
                db,
                workout_id=workout_id,
                user_id=current_user.id,
                if_match=versions,
                status=status,
            )
        metadata: dict[str, object] = {"fields": sent_fields(data)}
        if status is not None:
            metadata["status"] = status.value
        await audit.record(
            db,
            user_id=current_user.id,
            action=AuditAction.UPDATE,
            entity_type=ENTITY,
            entity_id=workout_id,
            metadata=metadata,
        )
        workout = await get_workout_document(db, workout_id=workout_id, user_id=current_user.id)
    return with_etag(workout, workout.version)


@put(
    "/v1/workouts/{workout_id:uuid}/exercises",
    operation_id="replaceWorkoutExercises",
    summary="Replace a workout's exercises",
    description="Replaces the whole ordered list of exercises and targets in one "
    "transaction (the array order is the position order; an empty array clears it). "
    "Every exercise must be a system exercise or one of your own (422 `unknown_exercise`). "
    "Answers the whole workout, with its new ETag.",
    tags=["workouts"],
    response_headers=ETAG_HEADER,
    responses=responses(404, 412, 422, codes={404: "workout_not_found", 422: "unknown_exercise"}),
)
async def replace_workout_exercises(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    workout_id: FromPath[UUID],
    data: Annotated[PlannedExercises, Body(max_items=MAX_EXERCISES)],
    if_match: IfMatch = None,
) -> Response[Workout]:
    versions = if_match_versions(if_match)
    unknown = await unknown_exercises(
        db, user_id=current_user.id, exercise_ids=[item.exercise_id for item in data]
    )
    async with db.transaction():
        version = await db.scalar(
            "workouts/touch", workout_id=workout_id, user_id=current_user.id, if_match=versions
        )
        if version is None:
            raise await _why_not_written(
                db, workout_id=workout_id, user_id=current_user.id, if_match=versions
            )
        if unknown:
            raise Unprocessable(
                "unknown_exercise",
                "No such exercise (use a system exercise or one of your own)",
                details=[
                    {"field": f"[{index}].exercise_id", "exercise_id": str(item.exercise_id)}
                    for index, item in enumerate(data)
                    if item.exercise_id in unknown
                ],
            )
        await db.execute("workouts/clear_exercises", workout_id=workout_id, user_id=current_user.id)
        if data:
            await db.execute(
                "workouts/insert_exercises",
                workout_id=workout_id,
                user_id=current_user.id,
                exercises=json_param(data),
            )
        await audit.record(
            db,
            user_id=current_user.id,
            action=AuditAction.UPDATE,
            entity_type=ENTITY,
            entity_id=workout_id,
            metadata={"fields": ["exercises"], "exercise_count": len(data)},
        )
        workout = await get_workout_document(db, workout_id=workout_id, user_id=current_user.id)
    return with_etag(workout, workout.version)


@delete(
    "/v1/workouts/{workout_id:uuid}",
    operation_id="deleteWorkout",
    summary="Delete a workout",
    description="Deletes the workout and its exercise list. Sessions started from it stay "
    "(their `workout_id` becomes null; their copy of the plan is kept).",
    tags=["workouts"],
    responses=responses(404, 412, codes={404: "workout_not_found"}),
)
async def delete_workout(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    workout_id: FromPath[UUID],
    if_match: IfMatch = None,
) -> None:
    versions = if_match_versions(if_match)
    async with db.transaction():
        name = await db.scalar(
            "workouts/delete", workout_id=workout_id, user_id=current_user.id, if_match=versions
        )
        if name is None:
            raise await _why_not_written(
                db, workout_id=workout_id, user_id=current_user.id, if_match=versions
            )
        await audit.record(
            db,
            user_id=current_user.id,
            action=AuditAction.DELETE,
            entity_type=ENTITY,
            entity_id=workout_id,
            metadata={"name": name},
        )


routes = [
    list_workouts,
    create_workout,
    get_workout,
    update_workout,
    replace_workout_exercises,
    delete_workout,
]
