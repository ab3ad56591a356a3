"""Sets: what was performed, set by set, within a session.

Routes: `POST /v1/sessions/{session_id}/sets` (one set as a JSON object, or a batch of 1 to
500 as a JSON array: all or nothing), `GET/PATCH/DELETE
/v1/sessions/{session_id}/sets/{set_id}`.

* New sets are logged only on a session in progress (409 `session_not_in_progress`
  otherwise). A completed session still takes corrections (PATCH and DELETE of its sets);
  an abandoned session's sets are frozen (409 `session_abandoned`).
* Every change of a set also bumps its session's version: the session document
  (`GET /v1/sessions/{id}`) includes the sets, so its ETag must change with them.
  The log response carries the new `session_version` so a client need not re-read it.
* Weights are stored in kg (exact) and shown in the unit they were entered in; a weight
  without `weight_unit` is in the user's preferred unit. At most 3 decimals.
* Replaying a logged set (same client id, same content) shows it as stored and does not
  insert it again; a batch whose sets were all stored already answers 200 instead of 201.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from psycopg import errors as pg

from app import audit
from app.core.db import Db
from app.core.enums import AuditAction, SessionStatus, SetType, WeightUnit
from app.core.errors import BadRequest, Conflict, NotFound, Unprocessable
from app.core.http import (
    ETAG_HEADER,
    IfMatch,
    IfNoneMatch,
    Violation,
    conditional_get,
    decimals_at_most,
    if_match_versions,
    json_param,
    new_id,
    out_of_range,
    responses,
    sent_fields,
    stale,
    translate,
    unset_to_none,
    with_etag,
)
from app.core.request_log import current_request_id
from app.core.security import CurrentUser
from app.exercises import unknown_exercises
from app.stats import NewRecord, new_records

ENTITY = "set_records"
MAX_BATCH = 500
KG_PER_LB = Decimal("0.45359237")
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
Notes = Annotated[str, msgspec.Meta(max_length=10_000)]


class SetRecord(msgspec.Struct):
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
    version: int
    created_at: datetime
    updated_at: datetime


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


def _check_weight(weight: float | None, unit: WeightUnit | None) -> None:
    decimals_at_most(weight, 3, "weight")
    if weight is not None and unit == WeightUnit.KG and weight > MAX_WEIGHT_KG:
        raise ValueError(f"`weight` must be at most {MAX_WEIGHT_KG} kg")


class SetCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: UUID | None = None
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


# (the length is checked by the handler: Litestar drops constraints on a top-level body)
SetBatch = Annotated[
    list[SetCreate], msgspec.Meta(min_length=1, max_length=MAX_BATCH, description="1 to 500 sets")
]


class SetPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
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


_CONSTRAINTS = {
    "set_records_weight_kg_check": out_of_range(
        "weight", f"`weight` must be between 0 and {MAX_WEIGHT_KG} kg (3306.9 lb)"
    ),
    "set_records_exercise_id_fkey": Violation(
        Unprocessable, "unknown_exercise", "No such exercise", "exercise_id"
    ),
}


def _exact(value: float | None) -> Decimal | None:
    """A JSON number as the exact decimal the client wrote (floats print shortest-exact)."""
    return None if value is None else Decimal(repr(value))


def _session_not_found() -> NotFound:
    return NotFound("session_not_found", "No such session")


def _set_not_found() -> NotFound:
    return NotFound("set_not_found", "No such set in this session")


def _field(index: int, name: str, *, batch: bool) -> str:
    return f"[{index}].{name}" if batch else name


@post(
    "/v1/sessions/{session_id:uuid}/sets",
    operation_id="logSets",
    summary="Log sets",
    description="Logs one set (a JSON object) or a batch of 1 to 500 (a JSON array) on a "
    "session in progress, in one transaction: all or nothing. Sets are appended in request "
    "order. Each set may carry its own `id`: replaying sets already stored (same id, same "
    "content) shows them as stored instead of adding them twice, and a batch made only of "
    "replays answers 200. A weight without `weight_unit` is in your preferred unit. "
    "`records` lists the personal records the sets set (see GET /v1/stats/records): per "
    "set and kind, the new value and the one it beat.",
    tags=["sessions"],
    status_code=201,
    responses={
        200: ResponseSpec(
            data_container=LoggedSets,
            description="Every set was already stored (a replay): nothing new was logged",
        ),
        **responses(
            404,
            409,
            413,
            422,
            codes={
                400: "duplicate_id",
                404: "session_not_found",
                409: "session_not_in_progress, id_conflict",
                422: "unknown_exercise, out_of_range",
            },
        ),
    },
)
async def log_sets(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    session_id: FromPath[UUID],
    data: JSONBody[SetCreate | SetBatch],
) -> Response[LoggedSets]:
    batch = isinstance(data, list)
    sets = data if isinstance(data, list) else [data]
    if not 1 <= len(sets) <= MAX_BATCH:
        raise BadRequest(
            "validation_error",
            "The request is not valid",
            details=[
                {
                    "message": f"Expected `array` of length 1 to {MAX_BATCH}",
                    "field": "body",
                    "source": "body",
                }
            ],
        )
    seen: set[UUID] = set()
    for index, item in enumerate(sets):
        if item.id is None:
            item.id = new_id()
        elif item.id in seen:
            raise BadRequest(
                "duplicate_id",
                "Two sets of the batch have the same id",
                details=[{"field": _field(index, "id", batch=batch), "source": "body"}],
            )
        seen.add(item.id)
    sets_json, request_id = json_param(sets), current_request_id.get()

    async def log() -> tuple[SetLogOutcome | None, list[NewRecord]]:
        async with db.transaction():
            outcome = await db.one(
                "sets/log",
                SetLogOutcome,
                session_id=session_id,
                user_id=current_user.id,
                sets=sets_json,
                request_id=request_id,
            )
            if outcome is None or len(outcome.sets) != len(sets):
                return outcome, []  # not logged: the checks below say why
            ids = [record.id for record in outcome.sets]
            return outcome, await new_records(db, user_id=current_user.id, set_ids=ids)

    try:
        try:
            outcome, records = await log()
        except pg.UniqueViolation as exc:
            if exc.diag.constraint_name != "set_records_pkey":
                raise
            # the same set was logged concurrently (a retry racing the original): once it
            # is committed, running again sees it as a replay
            outcome, records = await log()
    except pg.IntegrityError as exc:
        raise translate(exc, _CONSTRAINTS) from None
    assert outcome is not None  # the statement always returns its one outcome row
    if not outcome.session_found:
        raise _session_not_found()
    if outcome.id_conflicts:
        raise Conflict(
            "id_conflict",
            "A set with this id already exists with different content",
            details=[
                {"field": _field(i, "id", batch=batch), "source": "body"}
                for i in outcome.id_conflicts
            ],
        )
    if outcome.fresh and outcome.session_status != SessionStatus.IN_PROGRESS:
        raise Conflict(
            "session_not_in_progress",
            f"Sets can only be logged on a session in progress; this one is "
            f"{outcome.session_status}",
        )
    if outcome.unknown_exercises:
        raise Unprocessable(
            "unknown_exercise",
            "No such exercise (use a system exercise or one of your own)",
            details=[
                {"field": _field(i, "exercise_id", batch=batch), "source": "body"}
                for i in outcome.unknown_exercises
            ],
        )
    if outcome.fresh and not outcome.created:
        raise Conflict(
            "session_not_in_progress", "The session ended while these sets were being logged"
        )
    assert outcome.session_version is not None
    body = LoggedSets(sets=outcome.sets, session_version=outcome.session_version, records=records)
    return Response(body, status_code=201 if outcome.created else 200)


@get(
    "/v1/sessions/{session_id:uuid}/sets/{set_id:uuid}",
    operation_id="getSet",
    summary="Get a set",
    description="One set of one of your sessions, with its ETag.",
    tags=["sessions"],
    response_headers=ETAG_HEADER,
    responses=responses(304, 404, codes={404: "set_not_found"}),
)
async def get_set(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    session_id: FromPath[UUID],
    set_id: FromPath[UUID],
    if_none_match: IfNoneMatch = None,
) -> Response[SetRecord]:
    record = await db.one(
        "sets/get", SetRecord, set_id=set_id, session_id=session_id, user_id=current_user.id
    )
    if record is None:
        raise _set_not_found()
    return conditional_get(record, record.version, if_none_match)


async def _lock_session_for_edit(db: Db, *, session_id: UUID, set_id: UUID, user_id: UUID) -> None:
    """Lock the set's session and bump its version; 404 or 409 when it cannot change."""
    version = await db.scalar("sessions/touch_for_sets", session_id=session_id, user_id=user_id)
    if version is None:
        record = await db.one(
            "sets/get", SetRecord, set_id=set_id, session_id=session_id, user_id=user_id
        )
        if record is None:
            raise _set_not_found()
        raise Conflict(
            "session_abandoned", "The session was abandoned; its sets can no longer change"
        )


async def _why_not_written(
    db: Db, *, session_id: UUID, set_id: UUID, user_id: UUID, if_match: list[int] | None
) -> Exception:
    record = await db.one(
        "sets/get", SetRecord, set_id=set_id, session_id=session_id, user_id=user_id
    )
    if record is None:
        return _set_not_found()
    return stale(if_match, record.version) or _set_not_found()


@patch(
    "/v1/sessions/{session_id:uuid}/sets/{set_id:uuid}",
    operation_id="updateSet",
    summary="Correct a set",
    description="Changes the fields given; `null` clears a measurement. Changing only "
    "`weight_unit` keeps the number and reads it in the new unit. Sets of a session in "
    "progress or completed can be corrected; an abandoned session's cannot.",
    tags=["sessions"],
    response_headers=ETAG_HEADER,
    responses=responses(
        404,
        409,
        412,
        422,
        codes={
            404: "set_not_found",
            409: "session_abandoned",
            422: "unknown_exercise, out_of_range",
        },
    ),
)
async def update_set(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    session_id: FromPath[UUID],
    set_id: FromPath[UUID],
    data: JSONBody[SetPatch],
    if_match: IfMatch = None,
) -> Response[SetRecord]:
    versions = if_match_versions(if_match)
    fields = sent_fields(data)
    exercise_id = unset_to_none(data.exercise_id)
    try:
        async with db.transaction():
            await _lock_session_for_edit(
                db, session_id=session_id, set_id=set_id, user_id=current_user.id
            )
            if exercise_id is not None and await unknown_exercises(
                db, user_id=current_user.id, exercise_ids=[exercise_id]
            ):
                raise Unprocessable(
                    "unknown_exercise",
                    "No such exercise (use a system exercise or one of your own)",
                    details=[{"field": "exercise_id", "source": "body"}],
                )
            record = await db.one(
                "sets/update",
                SetRecord,
                set_id=set_id,
                session_id=session_id,
                user_id=current_user.id,
                if_match=versions,
                fields=fields,
                exercise_id=exercise_id,
                set_type=unset_to_none(data.set_type),
                reps=unset_to_none(data.reps),
                weight=_exact(unset_to_none(data.weight)),
                weight_unit=unset_to_none(data.weight_unit),
                duration_s=unset_to_none(data.duration_s),
                distance_m=_exact(unset_to_none(data.distance_m)),
                rpe=_exact(unset_to_none(data.rpe)),
                performed_at=unset_to_none(data.performed_at),
                notes=unset_to_none(data.notes),
            )
            if record is None:
                raise await _why_not_written(
                    db,
                    session_id=session_id,
                    set_id=set_id,
                    user_id=current_user.id,
                    if_match=versions,
                )
            await audit.record(
                db,
                user_id=current_user.id,
                action=AuditAction.UPDATE,
                entity_type=ENTITY,
                entity_id=set_id,
                metadata={"session_id": str(session_id), "fields": fields},
            )
    except pg.IntegrityError as exc:
        raise translate(exc, _CONSTRAINTS) from None
    return with_etag(record, record.version)


@delete(
    "/v1/sessions/{session_id:uuid}/sets/{set_id:uuid}",
    operation_id="deleteSet",
    summary="Delete a set",
    description="Deletes one set; the others keep their positions. Not on an abandoned session.",
    tags=["sessions"],
    responses=responses(404, 409, 412, codes={404: "set_not_found", 409: "session_abandoned"}),
)
async def delete_set(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    session_id: FromPath[UUID],
    set_id: FromPath[UUID],
    if_match: IfMatch = None,
) -> None:
    versions = if_match_versions(if_match)
    async with db.transaction():
        await _lock_session_for_edit(
            db, session_id=session_id, set_id=set_id, user_id=current_user.id
        )
        exercise_id = await db.scalar(
            "sets/delete",
            set_id=set_id,
            session_id=session_id,
            user_id=current_user.id,
            if_match=versions,
        )
        if exercise_id is None:
            raise await _why_not_written(
                db,
                session_id=session_id,
                set_id=set_id,
                user_id=current_user.id,
                if_match=versions,
            )
        await audit.record(
            db,
            user_id=current_user.id,
            action=AuditAction.DELETE,
            entity_type=ENTITY,
            entity_id=set_id,
            metadata={"session_id": str(session_id), "exercise_id": str(exercise_id)},
        )


routes = [log_sets, get_set, update_set, delete_set]
