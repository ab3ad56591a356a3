"""The plan of a workout and of a session: an ordered list of exercises with targets, some of
them grouped into supersets or circuits.

A workout's plan is replaced with `PUT /v1/workouts/{id}/exercises`, a session's (copied from
its workout when it started) with `PUT /v1/sessions/{id}/exercises`; both take the same body
and show the same `PlannedExercise` documents.

**Groups.** An exercise may carry `group`: `{"key": "A", "kind": "superset"}`. Exercises that
share a `key` are one group, performed back to back (`superset`) or as rounds (`circuit`); the
exercises of one group must name the same `kind`, and a group has at least two exercises
(422 `invalid_group` otherwise). The order inside a group (`group.position`, 0-based) is the
order of the array, unless the request gives `position`s: then members are ordered by them
(ties and members without one by the array). What is stored and shown is always 0, 1, 2 ...
for each group, so a document read with GET can be sent back as it is. Without `group` (or
with `"group": null`) an exercise stands alone, as before groups existed.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated
from uuid import UUID

import msgspec

from app.core.db import Db
from app.core.enums import ExerciseGroupKind
from app.core.errors import Unprocessable
from app.core.http import Notes, RequestBody, decimals_at_most
from app.exercises import unknown_exercises

MAX_EXERCISES = 100

GroupKey = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Names the group within this plan (e.g. `A`, or a UUID); 1 to 40 of "
        "A-Z a-z 0-9 _ . : -",
    ),
]


class ExerciseGroup(msgspec.Struct):
    """The superset or circuit an exercise of a plan belongs to."""

    key: str
    kind: ExerciseGroupKind
    position: int  # 0-based order inside the group


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
    group: ExerciseGroup | None  # None: not part of a superset or circuit


class ExerciseGroupIn(RequestBody, kw_only=True):
    key: GroupKey
    kind: ExerciseGroupKind = ExerciseGroupKind.SUPERSET
    position: (
        Annotated[
            int,
            msgspec.Meta(ge=0, le=MAX_EXERCISES - 1, description="Order inside the group"),
        ]
        | None
    ) = None


class PlannedExerciseIn(RequestBody, kw_only=True):
    exercise_id: UUID
    target_sets: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    target_reps: Annotated[int, msgspec.Meta(ge=0, le=1000)] | None = None
    target_weight_kg: (
        Annotated[float, msgspec.Meta(ge=0, le=1000, description="Kilograms, 3 decimals at most")]
        | None
    ) = None
    target_rest_s: Annotated[int, msgspec.Meta(ge=0, le=3600)] | None = None
    notes: Notes = ""
    group: ExerciseGroupIn | None = None  # default: not grouped

    def __post_init__(self) -> None:
        decimals_at_most(self.target_weight_kg, 3, "target_weight_kg")


PlannedExercises = Annotated[
    list[PlannedExerciseIn],
    msgspec.Meta(max_length=MAX_EXERCISES, description="The exercises in order (position 0 first)"),
]


def group_problems(plan: list[PlannedExerciseIn]) -> list[dict[str, str]]:
    """Field errors of the groups of `plan`: a member whose kind is not the kind of the
    group's first member, and groups of a single exercise."""
    kinds: dict[str, ExerciseGroupKind] = {}
    members: dict[str, list[int]] = defaultdict(list)
    problems: list[dict[str, str]] = []
    for index, item in enumerate(plan):
        group = item.group
        if group is None:
            continue
        kind = kinds.setdefault(group.key, group.kind)
        if kind != group.kind:
            problems.append(
                {
                    "field": f"[{index}].group.kind",
                    "source": "body",
                    "message": f"group {group.key!r} is a {kind}",
                }
            )
        members[group.key].append(index)
    for key, indexes in members.items():
        if len(indexes) == 1:
            problems.append(
                {
                    "field": f"[{indexes[0]}].group.key",
                    "source": "body",
                    "message": f"group {key!r} has one exercise; a group needs two or more",
                }
            )
    return problems


async def plan_refusal(
    db: Db, *, user_id: UUID, plan: list[PlannedExerciseIn]
) -> Unprocessable | None:
    """Why `plan` cannot be stored for the user, if it cannot: an exercise they cannot use
    (422 `unknown_exercise`), or a malformed group (422 `invalid_group`)."""
    exercise_ids = [item.exercise_id for item in plan]
    unknown = await unknown_exercises(db, user_id=user_id, exercise_ids=exercise_ids)
    if unknown:
        return Unprocessable(
            "unknown_exercise",
            "No such exercise (use a system exercise or one of your own)",
            details=[
                {"field": f"[{index}].exercise_id", "exercise_id": str(exercise_id)}
                for index, exercise_id in enumerate(exercise_ids)
                if exercise_id in unknown
            ],
        )
    problems = group_problems(plan)
    if problems:
        return Unprocessable(
            "invalid_group",
            "Exercises sharing a group key form one group of two or more, all of one kind",
            details=problems,
        )
    return None
