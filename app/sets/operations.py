"""What can be done to sets, each in one call that owns its transaction, its audit rows and
the translation of what the database refused."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import errors as pg

from app import changelog
from app.changelog import Change
from app.core.db import Db
from app.core.enums import ChangeEventType, SessionStatus
from app.core.errors import ApiError, BadRequest, Conflict, NotFound, Unprocessable
from app.core.http import (
    Violation,
    constraint_errors,
    exact,
    json_param,
    new_id,
    out_of_range,
    refused_write,
    sent_fields,
    unset_to_none,
    writing,
)
from app.core.metrics import count_sets_logged
from app.core.request_log import current_request_id
from app.exercises import unknown_exercises
from app.sets.models import (
    MAX_BATCH,
    MAX_WEIGHT_KG,
    LoggedSets,
    SetCreate,
    SetLogOutcome,
    SetPatch,
    SetRecord,
)
from app.stats.models import NewRecord
from app.stats.operations import new_records

ENTITY = "set_records"

_CONSTRAINTS = {
    "set_records_weight_kg_check": out_of_range(
        "weight", f"`weight` must be between 0 and {MAX_WEIGHT_KG} kg (3306.9 lb)"
    ),
    "set_records_exercise_id_fkey": Violation(
        Unprocessable, "unknown_exercise", "No such exercise", "exercise_id"
    ),
}


def _set_not_found() -> NotFound:
    return NotFound("set_not_found", "No such set in this session")


def _unknown_exercise(fields: list[str]) -> Unprocessable:
    return Unprocessable(
        "unknown_exercise",
        "No such exercise (use a system exercise or one of your own)",
        details=[{"field": field, "source": "body"} for field in fields],
    )


def _field(index: int, name: str, *, batch: bool) -> str:
    return f"[{index}].{name}" if batch else name


async def _changed(db: Db, user_id: UUID, change: Change, session_document: dict[str, Any]) -> None:
    """Record a change of a set and the session's new version that comes with it."""
    session = Change(
        event_type=ChangeEventType.SESSION_UPDATED,
        entity_id=session_document["id"],
        version=session_document["version"],
        document=session_document,
    )
    await changelog.record(db, user_id=user_id, changes=[change, session])


async def _find(db: Db, user_id: UUID, session_id: UUID, set_id: UUID) -> SetRecord | None:
    return await db.one(
        "sets/get", SetRecord, set_id=set_id, session_id=session_id, user_id=user_id
    )


async def _refusal(
    db: Db, user_id: UUID, session_id: UUID, set_id: UUID, if_match: list[int] | None
) -> ApiError:
    """After an UPDATE/DELETE touched no row: 404, or 412 for a stale If-Match."""
    current = await _find(db, user_id, session_id, set_id)
    version = None if current is None else current.version
    return refused_write(version, if_match, _set_not_found())


async def _lock_session_for_edit(
    db: Db, user_id: UUID, session_id: UUID, set_id: UUID
) -> dict[str, Any]:
    """Lock the set's session and bump its version; 404 or 409 when it cannot change. The
    session as change events carry it."""
    document = await db.scalar("sessions/touch_for_sets", session_id=session_id, user_id=user_id)
    if document is None:
        if await _find(db, user_id, session_id, set_id) is None:
            raise _set_not_found()
        raise Conflict(
            "session_abandoned", "The session was abandoned; its sets can no longer change"
        )
    return document


# --- logging sets ---------------------------------------------------------------------------


def _with_ids(sets: list[SetCreate], *, batch: bool) -> list[SetCreate]:
    """The sets to log, each with its id (the client's, or a new one); 400 for a batch of the
    wrong length or one that names an id twice."""
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
    return sets


async def _log(
    db: Db, user_id: UUID, session_id: UUID, sets: list[SetCreate]
) -> tuple[SetLogOutcome, list[NewRecord]]:
    async with db.transaction():
        outcome = await db.one(
            "sets/log",
            SetLogOutcome,
            session_id=session_id,
            user_id=user_id,
            sets=json_param(sets),
            request_id=current_request_id.get(),
        )
        assert outcome is not None  # the statement always returns its one outcome row
        if len(outcome.sets) != len(sets):
            return outcome, []  # not logged: _not_logged says why
        if outcome.created == len(sets):
            return outcome, outcome.records  # all new: compared with personal_bests
        # some replay sets logged before: their records are those they set then, compared
        # with the user's other sets (which personal_bests, holding them, cannot say)
        ids = [record.id for record in outcome.sets]
        return outcome, await new_records(db, user_id=user_id, set_ids=ids)


def _not_logged(outcome: SetLogOutcome, *, batch: bool) -> ApiError | None:
    """Why the statement logged nothing, if it did not."""
    if not outcome.session_found:
        return NotFound("session_not_found", "No such session")
    if outcome.id_conflicts:
        return Conflict(
            "id_conflict",
            "A set with this id already exists with different content",
            details=[
                {"field": _field(i, "id", batch=batch), "source": "body"}
                for i in outcome.id_conflicts
            ],
        )
    if outcome.fresh and outcome.session_status != SessionStatus.IN_PROGRESS:
        return Conflict(
            "session_not_in_progress",
            f"Sets can only be logged on a session in progress; this one is "
            f"{outcome.session_status}",
        )
    if outcome.unknown_exercises:
        return _unknown_exercise(
            [_field(i, "exercise_id", batch=batch) for i in outcome.unknown_exercises]
        )
    if outcome.fresh and not outcome.created:
        return Conflict(
            "session_not_in_progress", "The session ended while these sets were being logged"
        )
    return None


async def log_sets(
    db: Db, *, user_id: UUID, session_id: UUID, data: SetCreate | list[SetCreate]
) -> tuple[LoggedSets, bool]:
    """Log one set or a batch, all or nothing: the sets as stored, and True when every one
    of them replays a set logged before (nothing is written)."""
    batch = isinstance(data, list)
    sets = _with_ids(data if isinstance(data, list) else [data], batch=batch)
    with constraint_errors(_CONSTRAINTS):
        try:
            outcome, records = await _log(db, user_id, session_id, sets)
        except pg.UniqueViolation as exc:
            if exc.diag.constraint_name != "set_records_pkey":
                raise
            # the same set was logged concurrently (a retry racing the original): once it
            # is committed, running again sees it as a replay
            outcome, records = await _log(db, user_id, session_id, sets)
    refusal = _not_logged(outcome, batch=batch)
    if refusal is not None:
        raise refusal
    assert outcome.session_version is not None
    logged = LoggedSets(sets=outcome.sets, session_version=outcome.session_version, records=records)
    count_sets_logged(outcome.created)
    return logged, not outcome.created


# --- one set --------------------------------------------------------------------------------


async def get_set(db: Db, *, user_id: UUID, session_id: UUID, set_id: UUID) -> SetRecord:
    record = await _find(db, user_id, session_id, set_id)
    if record is None:
        raise _set_not_found()
    return record


async def update_set(
    db: Db,
    *,
    user_id: UUID,
    session_id: UUID,
    set_id: UUID,
    data: SetPatch,
    if_match: list[int] | None,
) -> SetRecord:
    fields = sent_fields(data)
    exercise_id = unset_to_none(data.exercise_id)
    async with writing(db, _CONSTRAINTS):
        session = await _lock_session_for_edit(db, user_id, session_id, set_id)
        if exercise_id is not None and await unknown_exercises(
            db, user_id=user_id, exercise_ids=[exercise_id]
        ):
            raise _unknown_exercise(["exercise_id"])
        record = await db.one(
            "sets/update",
            SetRecord,
            set_id=set_id,
            session_id=session_id,
            user_id=user_id,
            if_match=if_match,
            fields=fields,
            exercise_id=exercise_id,
            set_type=unset_to_none(data.set_type),
            reps=unset_to_none(data.reps),
            weight=exact(unset_to_none(data.weight)),
            weight_unit=unset_to_none(data.weight_unit),
            duration_s=unset_to_none(data.duration_s),
            distance_m=exact(unset_to_none(data.distance_m)),
            rpe=exact(unset_to_none(data.rpe)),
            performed_at=unset_to_none(data.performed_at),
            notes=unset_to_none(data.notes),
        )
        if record is None:
            raise await _refusal(db, user_id, session_id, set_id, if_match)
        change = Change(
            event_type=ChangeEventType.SET_UPDATED,
            entity_id=set_id,
            version=record.version,
            document=record,
        )
        await _changed(db, user_id, change, session)
    return record


async def delete_set(
    db: Db, *, user_id: UUID, session_id: UUID, set_id: UUID, if_match: list[int] | None
) -> None:
    async with db.transaction():
        session = await _lock_session_for_edit(db, user_id, session_id, set_id)
        exercise_id = await db.scalar(
            "sets/delete", set_id=set_id, session_id=session_id, user_id=user_id, if_match=if_match
        )
        if exercise_id is None:
            raise await _refusal(db, user_id, session_id, set_id, if_match)
        change = Change(event_type=ChangeEventType.SET_DELETED, entity_id=set_id)
        await _changed(db, user_id, change, session)
