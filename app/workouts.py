"""Workouts: a user's plans (templates), each an ordered list of exercises with targets.

Routes: `GET/POST /v1/workouts`, `GET/PATCH/DELETE /v1/workouts/{workout_id}`,
`PUT /v1/workouts/{workout_id}/exercises` (replaces the whole list atomically).

Status moves: draft -> active -> archived, and archived -> active; staying put is allowed,
anything else is 409 `illegal_transition`. The exercise list is part of the workout
document: replacing it bumps the workout's version (and so its ETag). The plan's shapes,
groups (supersets and circuits) included, are in `app/plans.py`.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import patch, put
from litestar.params import Body, QueryParameter

from app import changelog
from app.core.db import Db
from app.core.enums import ChangeEventType, WorkoutStatus
from app.core.errors import ApiError, Conflict, NotFound
from app.core.http import (
    CreateBody,
    RequestBody,
    Stored,
    clean_name,
    found,
    json_param,
    new_id,
    refused_write,
    replayed_or_conflict,
    stale,
    unset_to_none,
)
from app.core.pagination import Keyset, Page
from app.core.resource import Resource
from app.exercises import Description, Name
from app.plans import MAX_EXERCISES, PlannedExercise, PlannedExercises, plan_refusal

ENTITY = "workouts"
_not_found = partial(NotFound, "workout_not_found", "No such workout")
ALLOWED_MOVES = {
    (WorkoutStatus.DRAFT, WorkoutStatus.ACTIVE),
    (WorkoutStatus.ACTIVE, WorkoutStatus.ARCHIVED),
    (WorkoutStatus.ARCHIVED, WorkoutStatus.ACTIVE),
}


class Workout(Stored):
    id: UUID
    name: str
    description: str
    status: WorkoutStatus
    exercises: list[PlannedExercise]


class WorkoutPage(Page):
    items: list[Workout]


class WorkoutCreate(CreateBody, kw_only=True):
    name: Name
    description: Description = ""

    def __post_init__(self) -> None:
        self.name = clean_name(self.name)


class WorkoutPatch(RequestBody):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    status: WorkoutStatus | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if isinstance(self.name, str):
            self.name = clean_name(self.name)


async def _updated(db: Db, user_id: UUID, workout_id: UUID) -> Workout:
    """The workout as it now is, its change recorded."""
    workout = await get_workout(db, user_id=user_id, workout_id=workout_id)
    await changelog.record_change(
        db, user_id=user_id, event_type=ChangeEventType.WORKOUT_UPDATED, document=workout
    )
    return workout


async def _refusal(
    db: Db,
    user_id: UUID,
    workout_id: UUID,
    if_match: list[int] | None,
    status: WorkoutStatus | None = None,
) -> ApiError:
    """After a write touched no row: 404, 412, or 409 when moving to `status` is not allowed."""
    current = await db.one("workouts/get", Workout, workout_id=workout_id, user_id=user_id)
    if current is None:
        return _not_found()
    fresh = stale(if_match, current.version) is None
    if fresh and status is not None and (current.status, status) not in ALLOWED_MOVES:
        return Conflict(
            "illegal_transition",
            f"A workout cannot go from {current.status} to {status}",
            details=[{"field": "status", "from": current.status, "to": status}],
        )
    return refused_write(current.version, if_match, _not_found())  # 404: deleted meanwhile


# the order of the list: newest first
BY_CREATION = Keyset.of(Workout, "created_at", "id")


async def list_workouts(
    db: Db, *, user_id: UUID, limit: int, cursor: str | None, statuses: list[WorkoutStatus] | None
) -> WorkoutPage:
    """One page of the user's workouts (without `statuses`: the draft and active ones)."""
    shown = statuses or (WorkoutStatus.DRAFT, WorkoutStatus.ACTIVE)
    after = BY_CREATION.after(cursor)
    rows = await db.many(
        "workouts/list",
        Workout,
        user_id=user_id,
        statuses=[s.value for s in shown],
        after_created_at=after[0],
        after_id=after[1],
        limit=limit + 1,
    )
    return WorkoutPage(*BY_CREATION.page(rows, limit))


async def get_workout(db: Db, *, user_id: UUID, workout_id: UUID) -> Workout:
    return found(
        await db.one("workouts/get", Workout, workout_id=workout_id, user_id=user_id), _not_found
    )


async def create_workout(db: Db, *, user_id: UUID, data: WorkoutCreate) -> tuple[Workout, bool]:
    """The workout, and True when `data` replays an earlier create (nothing is written)."""
    workout_id = data.id or new_id()
    async with db.transaction():
        workout = await db.one(
            "workouts/insert",
            Workout,
            workout_id=workout_id,
            user_id=user_id,
            name=data.name,
            description=data.description,
        )
        if workout is not None:
            await changelog.record_change(
                db, user_id=user_id, event_type=ChangeEventType.WORKOUT_CREATED, document=workout
            )
            return workout, False
    stored = await db.one("workouts/get", Workout, workout_id=workout_id, user_id=user_id)
    return replayed_or_conflict(stored, data, ("name", "description"), "workout"), True


async def update_workout(
    db: Db, *, user_id: UUID, workout_id: UUID, data: WorkoutPatch, if_match: list[int] | None
) -> Workout:
    status = unset_to_none(data.status)
    async with db.transaction():
        version = await db.scalar(
            "workouts/update",
            workout_id=workout_id,
            user_id=user_id,
            if_match=if_match,
            name=unset_to_none(data.name),
            description=unset_to_none(data.description),
            status=status,
        )
        if version is None:
            raise await _refusal(db, user_id, workout_id, if_match, status)
        return await _updated(db, user_id, workout_id)


async def replace_workout_exercises(
    db: Db, *, user_id: UUID, workout_id: UUID, plan: PlannedExercises, if_match: list[int] | None
) -> Workout:
    refusal = await plan_refusal(db, user_id=user_id, plan=plan)
    async with db.transaction():
        version = await db.scalar(
            "workouts/touch", workout_id=workout_id, user_id=user_id, if_match=if_match
        )
        if version is None:
            raise await _refusal(db, user_id, workout_id, if_match)
        if refusal is not None:
            raise refusal
        await db.execute("workouts/clear_exercises", workout_id=workout_id, user_id=user_id)
        if plan:
            await db.execute(
                "workouts/insert_exercises",
                workout_id=workout_id,
                user_id=user_id,
                exercises=json_param(plan),
            )
        return await _updated(db, user_id, workout_id)


async def delete_workout(
    db: Db, *, user_id: UUID, workout_id: UUID, if_match: list[int] | None
) -> None:
    async with db.transaction():
        name = await db.scalar(
            "workouts/delete", workout_id=workout_id, user_id=user_id, if_match=if_match
        )
        if name is None:
            raise await _refusal(db, user_id, workout_id, if_match)
        await changelog.record_one(
            db, user_id=user_id, event_type=ChangeEventType.WORKOUT_DELETED, entity_id=workout_id
        )


WORKOUTS = Resource("/v1/workouts", "workout_id", tags=["workouts"])
_NOT_FOUND = {404: "workout_not_found"}

index = WORKOUTS.index(
    list_workouts,
    filters={
        "status": (
            Annotated[
                list[WorkoutStatus] | None,
                QueryParameter(description="Only these statuses (default: draft and active)"),
            ],
            None,
        )
    },
    passed_as={"status": "statuses"},
    operation_id="listWorkouts",
    summary="List workouts",
    description="Your workouts, newest first, each with its exercises. Without `status`, "
    "archived workouts are left out; repeat `status` to list several. Cursor pagination.",
)
create = WORKOUTS.create(
    create_workout,
    codes={409: "id_conflict"},
    operation_id="createWorkout",
    summary="Create a workout",
    description="Creates a draft workout with no exercises; add them with "
    "`PUT /v1/workouts/{id}/exercises`. Send your own `id` to make the request safe to "
    "retry: a replay answers 200 with the stored workout.",
)
show = WORKOUTS.show(
    get_workout,
    codes=_NOT_FOUND,
    operation_id="getWorkout",
    summary="Get a workout",
    description="One of your workouts with its exercises and targets in order.",
)
update = WORKOUTS.write(
    patch,
    update_workout,
    codes={**_NOT_FOUND, 409: "illegal_transition"},
    operation_id="updateWorkout",
    summary="Change a workout",
    description="Changes the fields given. `status` moves draft -> active -> archived and "
    "archived -> active; other moves are 409 `illegal_transition`.",
)
replace = WORKOUTS.write(
    put,
    replace_workout_exercises,
    path="/exercises",
    body=Annotated[PlannedExercises, Body(max_items=MAX_EXERCISES)],
    body_as="plan",
    codes={**_NOT_FOUND, 422: "unknown_exercise, invalid_group"},
    operation_id="replaceWorkoutExercises",
    summary="Replace a workout's exercises",
    description="Replaces the whole ordered list of exercises and targets in one "
    "transaction (the array order is the position order; an empty array clears it). "
    "Every exercise must be a system exercise or one of your own (422 `unknown_exercise`). "
    "Exercises may be grouped into supersets or circuits: those sharing `group.key` are one "
    "group of two or more, all of one `group.kind`, ordered inside it by the array (or by "
    "`group.position` when given); 422 `invalid_group` otherwise. "
    "Answers the whole workout, with its new ETag.",
)
remove = WORKOUTS.remove(
    delete_workout,
    codes=_NOT_FOUND,
    operation_id="deleteWorkout",
    summary="Delete a workout",
    description="Deletes the workout and its exercise list. Sessions started from it stay "
    "(their `workout_id` becomes null; their copy of the plan is kept).",
)
router = WORKOUTS.router(index, create, show, update, replace, remove)
