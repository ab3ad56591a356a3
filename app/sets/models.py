"""The shapes of a set: the documents answered and the bodies accepted (weights in the unit
entered, at most 3 decimals, at most 1500 kg)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from app.core.enums import SessionStatus, SetType, WeightUnit
from app.core.http import CreateBody, Notes, RequestBody, Stored, decimals_at_most
from app.stats.models import NewRecord

MAX_BATCH = 500
MAX_WEIGHT_KG = 1500

Reps = Annotated[int, msgspec.Meta(ge=0, le=1000)]
Weight = Annotated[
    float,
    msgspec.Meta(
        ge=0,
        le=3306.9,
        description="In `weight_unit`; at most 1500 kg (3306.9 lb), 3 decimals at most",
    ),
]
DurationS = Annotated[int, msgspec.Meta(ge=0, le=86_400, description="Seconds")]
DistanceM = Annotated[float, msgspec.Meta(ge=0, le=1_000_000, description="Metres")]
Rpe = Annotated[
    float,
    msgspec.Meta(ge=1, le=10, multiple_of=0.5, description="Perceived exertion, 1 to 10 by 0.5"),
]
PerformedAt = Annotated[datetime, msgspec.Meta(tz=True)]


class SetRecord(Stored):
    id: UUID
    session_id: UUID
    exercise_id: UUID
    exercise_name: str
    position: int
    set_type: SetType
    reps: int | None
    weight: float | None
    weight_unit: WeightUnit
    duration_s: int | None
    distance_m: float | None
    rpe: float | None
    performed_at: datetime
    notes: str


class LoggedSets(msgspec.Struct):
    """The answer to logging sets: the sets as stored, in request order."""

    sets: list[SetRecord]
    session_version: int  # the session's new version (its ETag), now that it holds them
    # the personal records these sets set, decided in the transaction that logged them
    records: list[NewRecord]


class SetLogOutcome(msgspec.Struct):
    """What queries/sets/log.sql did (internal)."""

    session_found: bool
    session_status: SessionStatus | None
    session_version: int | None
    fresh: int
    created: int
    id_conflicts: list[int]
    unknown_exercises: list[int]
    sets: list[SetRecord]
    # the records the inserted sets set, from personal_bests (see the statement's header)
    records: list[NewRecord]


def _check_weight(weight: float | None, unit: WeightUnit | None) -> None:
    decimals_at_most(weight, 3, "weight")
    if weight is not None and unit == WeightUnit.KG and weight > MAX_WEIGHT_KG:
        raise ValueError(f"`weight` must be at most {MAX_WEIGHT_KG} kg")


class SetCreate(CreateBody, kw_only=True):
    exercise_id: UUID
    set_type: SetType = SetType.NORMAL
    reps: Reps | None = None
    weight: Weight | None = None
    weight_unit: WeightUnit | None = None
    duration_s: DurationS | None = None
    distance_m: DistanceM | None = None
    rpe: Rpe | None = None
    performed_at: PerformedAt | None = None
    notes: Notes = ""

    def __post_init__(self) -> None:
        if (
            self.reps is None
            and self.weight is None
            and self.duration_s is None
            and (self.distance_m is None)
        ):
            raise ValueError(
                "a set needs at least one of `reps`, `weight`, `duration_s`, `distance_m`"
            )
        _check_weight(self.weight, self.weight_unit)


# (the length is checked by log_sets: Litestar drops constraints on a top-level body)
SetBatch = Annotated[
    list[SetCreate], msgspec.Meta(min_length=1, max_length=MAX_BATCH, description="1 to 500 sets")
]


class SetPatch(RequestBody):
    exercise_id: UUID | msgspec.UnsetType = msgspec.UNSET
    set_type: SetType | msgspec.UnsetType = msgspec.UNSET
    reps: Reps | msgspec.UnsetType | None = msgspec.UNSET
    weight: Weight | msgspec.UnsetType | None = msgspec.UNSET
    weight_unit: WeightUnit | msgspec.UnsetType = msgspec.UNSET
    duration_s: DurationS | msgspec.UnsetType | None = msgspec.UNSET
    distance_m: DistanceM | msgspec.UnsetType | None = msgspec.UNSET
    rpe: Rpe | msgspec.UnsetType | None = msgspec.UNSET
    performed_at: PerformedAt | msgspec.UnsetType = msgspec.UNSET
    notes: Notes | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        weight = self.weight if isinstance(self.weight, float) else None
        unit = self.weight_unit if isinstance(self.weight_unit, WeightUnit) else None
        _check_weight(weight, unit)
