"""The exercise catalogue: system exercises (shared, read-only) plus each user's own.

Routes: `GET /v1/exercises` (search, filters, cursor pages), `POST /v1/exercises`,
`GET/PATCH/DELETE /v1/exercises/{exercise_id}`. Writing to a system exercise is 403
`exercise_read_only`; another user's custom exercise is simply not found (404).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import patch
from litestar.params import FromQuery, QueryParameter
from psycopg import errors as pg

from app import changelog
from app.core.db import Db
from app.core.enums import ChangeEventType, ExerciseCategory, MuscleGroup
from app.core.errors import ApiError, Conflict, Forbidden, NotFound, Unprocessable
from app.core.http import (
    CreateBody,
    Notes,
    RequestBody,
    Stored,
    Violation,
    clean_name,
    found,
    new_id,
    refused_write,
    replayed_or_conflict,
    unset_to_none,
    writing,
)
from app.core.pagination import Keyset, Page
from app.core.resource import Resource

ENTITY = "exercises"
_not_found = partial(NotFound, "exercise_not_found", "No such exercise")
_REPEATS_PRIMARY = "`secondary_muscles` must not repeat the primary muscle"

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, description="1 to 100 characters")]
Description = Notes
SecondaryMuscles = Annotated[
    list[MuscleGroup],
    msgspec.Meta(
        max_length=20,
        description="Other muscle groups trained (not the primary one), each once",
        extra_json_schema={"uniqueItems": True},  # checked by _check_muscles
    ),
]


class Exercise(Stored):
    id: UUID
    name: str
    category: ExerciseCategory
    primary_muscle: MuscleGroup
    secondary_muscles: list[MuscleGroup]
    description: str
    custom: bool  # the caller's own exercise (false: the read-only system catalogue)


class ExercisePage(Page):
    items: list[Exercise]


def _check_muscles(
    primary: MuscleGroup | msgspec.UnsetType, secondary: list[MuscleGroup] | msgspec.UnsetType
) -> None:
    if isinstance(secondary, list):
        if len(set(secondary)) != len(secondary):
            raise ValueError("`secondary_muscles` lists a muscle group twice")
        if not isinstance(primary, msgspec.UnsetType) and primary in secondary:
            raise ValueError(_REPEATS_PRIMARY)


class ExerciseCreate(CreateBody, kw_only=True):
    name: Name
    category: ExerciseCategory
    primary_muscle: MuscleGroup
    secondary_muscles: SecondaryMuscles = msgspec.field(default_factory=list)
    description: Description = ""

    def __post_init__(self) -> None:
        self.name = clean_name(self.name)
        _check_muscles(self.primary_muscle, self.secondary_muscles)


class ExercisePatch(RequestBody):
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
        Unprocessable, "invalid_muscles", _REPEATS_PRIMARY, "secondary_muscles"
    ),
}


def escape_like(text: str) -> str:
    """`text` as a literal inside a LIKE pattern (backslash is LIKE's default escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def unknown_exercises(db: Db, *, user_id: UUID, exercise_ids: list[UUID]) -> list[UUID]:
    """The ids among `exercise_ids` the user cannot use (neither system nor their own)."""
    if not exercise_ids:
        return []
    return await db.scalar("exercises/unknown", exercise_ids=exercise_ids, user_id=user_id)


async def _refusal(
    db: Db, user_id: UUID, exercise_id: UUID, if_match: list[int] | None
) -> ApiError:
    """After an UPDATE/DELETE touched no row: 404, 403 (system exercise) or 412."""
    current = await db.one("exercises/get", Exercise, exercise_id=exercise_id, user_id=user_id)
    if current is not None and not current.custom:
        return Forbidden(
            "exercise_read_only", "System exercises cannot be changed; create your own instead"
        )
    version = None if current is None else current.version
    return refused_write(version, if_match, _not_found())


# the order of the list: by name
BY_NAME = Keyset.of(Exercise, "name", "id")


async def list_exercises(
    db: Db,
    *,
    user_id: UUID,
    limit: int,
    cursor: str | None,
    q: str | None,
    category: ExerciseCategory | None,
    muscle_group: MuscleGroup | None,
    mine: bool,
) -> ExercisePage:
    """One page of the exercises the user can see, by name then id."""
    search = " ".join(q.split()) if q else ""
    after = BY_NAME.after(cursor)
    rows = await db.many(
        "exercises/list",
        Exercise,
        user_id=user_id,
        mine=mine,
        category=category,
        muscle_group=muscle_group,
        q=escape_like(search) if search else None,
        after_name=after[0],
        after_id=after[1],
        limit=limit + 1,
    )
    return ExercisePage(*BY_NAME.page(rows, limit))


async def get_exercise(db: Db, *, user_id: UUID, exercise_id: UUID) -> Exercise:
    return found(
        await db.one("exercises/get", Exercise, exercise_id=exercise_id, user_id=user_id),
        _not_found,
    )


async def create_exercise(db: Db, *, user_id: UUID, data: ExerciseCreate) -> tuple[Exercise, bool]:
    """The exercise, and True when `data` replays an earlier create (nothing is written)."""
    exercise_id = data.id or new_id()
    async with writing(db, _CONSTRAINTS):
        exercise = await db.one(
            "exercises/insert",
            Exercise,
            exercise_id=exercise_id,
            user_id=user_id,
            name=data.name,
            category=data.category,
            primary_muscle=data.primary_muscle,
            secondary_muscles=list(data.secondary_muscles),
            description=data.description,
        )
        if exercise is not None:
            await changelog.record_change(
                db,
                user_id=user_id,
                event_type=ChangeEventType.EXERCISE_CREATED,
                document=exercise,
            )
            return exercise, False
    stored = await db.one("exercises/get", Exercise, exercise_id=exercise_id, user_id=user_id)
    custom = stored if stored is not None and stored.custom else None
    return replayed_or_conflict(custom, data, _CREATE_FIELDS, "custom exercise"), True


async def update_exercise(
    db: Db, *, user_id: UUID, exercise_id: UUID, data: ExercisePatch, if_match: list[int] | None
) -> Exercise:
    async with writing(db, _CONSTRAINTS):
        exercise = await db.one(
            "exercises/update",
            Exercise,
            exercise_id=exercise_id,
            user_id=user_id,
            if_match=if_match,
            name=unset_to_none(data.name),
            category=unset_to_none(data.category),
            primary_muscle=unset_to_none(data.primary_muscle),
            secondary_muscles=unset_to_none(data.secondary_muscles),
            description=unset_to_none(data.description),
        )
        if exercise is None:
            raise await _refusal(db, user_id, exercise_id, if_match)
        await changelog.record_change(
            db, user_id=user_id, event_type=ChangeEventType.EXERCISE_UPDATED, document=exercise
        )
    return exercise


async def delete_exercise(
    db: Db, *, user_id: UUID, exercise_id: UUID, if_match: list[int] | None
) -> None:
    # whatever foreign key refuses the delete, a plan, session or set still uses the exercise
    try:
        async with db.transaction():
            name = await db.scalar(
                "exercises/delete", exercise_id=exercise_id, user_id=user_id, if_match=if_match
            )
            if name is None:
                raise await _refusal(db, user_id, exercise_id, if_match)
            await changelog.record_one(
                db,
                user_id=user_id,
                event_type=ChangeEventType.EXERCISE_DELETED,
                entity_id=exercise_id,
            )
    except pg.ForeignKeyViolation:
        raise Conflict(
            "exercise_in_use",
            "This exercise is used by a workout plan or by logged sets; remove those first",
        ) from None


EXERCISES = Resource("/v1/exercises", "exercise_id", tags=["exercises"])
_READ_ONLY = {403: "exercise_read_only", 404: "exercise_not_found"}

index = EXERCISES.index(
    list_exercises,
    filters={
        "q": (
            Annotated[
                str | None, QueryParameter(max_length=100, description="Search in names (anywhere)")
            ],
            None,
        ),
        "category": (FromQuery[ExerciseCategory | None], None),
        "muscle_group": (
            Annotated[MuscleGroup | None, QueryParameter(description="Primary muscle group")],
            None,
        ),
        "mine": (Annotated[bool, QueryParameter(description="Only your own exercises")], False),
    },
    operation_id="listExercises",
    summary="List exercises",
    description="The system catalogue plus your own exercises, by name. `q` searches names "
    "case- and accent-insensitively; `muscle_group` filters on the primary muscle; "
    "`mine=true` lists only your own. Cursor pagination.",
)
create = EXERCISES.create(
    create_exercise,
    codes={409: "exercise_name_taken, id_conflict"},
    operation_id="createExercise",
    summary="Create a custom exercise",
    description="Creates one of your own exercises. Send your own `id` to make the request "
    "safe to retry: a replay answers 200 with the stored exercise.",
)
show = EXERCISES.show(
    get_exercise,
    codes={404: "exercise_not_found"},
    operation_id="getExercise",
    summary="Get an exercise",
    description="A system exercise or one of your own, with its ETag.",
)
update = EXERCISES.write(
    patch,
    update_exercise,
    codes={**_READ_ONLY, 409: "exercise_name_taken", 422: "invalid_muscles"},
    operation_id="updateExercise",
    summary="Change a custom exercise",
    description="Changes the fields given. System exercises are read-only (403).",
)
remove = EXERCISES.remove(
    delete_exercise,
    codes={**_READ_ONLY, 409: "exercise_in_use"},
    operation_id="deleteExercise",
    summary="Delete a custom exercise",
    description="Deletes one of your own exercises. An exercise that a plan or a logged set "
    "uses cannot be deleted (409 `exercise_in_use`).",
)
router = EXERCISES.router(index, create, show, update, remove)
