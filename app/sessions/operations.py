"""What can be done to sessions, each in one call that owns its transaction, its audit row
and the translation of what the database refused."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Generator
from contextlib import asynccontextmanager, contextmanager
from datetime import date
from uuid import UUID

import msgspec
from psycopg import errors as pg

from app import changelog
from app.core.db import Db
from app.core.enums import ChangeEventType, SessionStatus, WorkoutStatus
from app.core.errors import ApiError, Conflict, NotFound, Unprocessable
from app.core.http import (
    Violation,
    found,
    json_param,
    new_id,
    refused_write,
    replayed_or_conflict,
    stale,
    unset_to_none,
    writing,
)
from app.core.metrics import count_training_session
from app.core.pagination import Keyset
from app.plans import PlannedExercises, plan_refusal
from app.sessions.models import (
    Session,
    SessionCreate,
    SessionEnd,
    SessionPage,
    SessionPatch,
    SessionSummary,
)
from app.workouts import Workout

ENTITY = "sessions"

_CONSTRAINTS = {
    "sessions_ended_after_started_check": Violation(
        Unprocessable, "invalid_times", "`ended_at` must not be before `started_at`", "ended_at"
    ),
    "sessions_in_progress_has_no_end_check": Violation(
        Unprocessable,
        "invalid_times",
        "A session in progress has no end time; finish it instead",
        "ended_at",
    ),
}
_TIMEZONE_ERROR = re.compile(r"time zone .* not recognized")
# what a replayed start must repeat to be the same request
_CREATE_FIELDS = ("workout_id", "name", "started_at", "timezone", "notes")


def _not_found() -> NotFound:
    return NotFound("session_not_found", "No such session")


@contextmanager
def unknown_time_zone_refused() -> Generator[None]:
    """A `timezone` of the body that PostgreSQL does not know (AT TIME ZONE fails in the
    statement) as 422 `invalid_timezone`."""
    try:
        yield
    except pg.InvalidParameterValue as exc:
        if not _TIMEZONE_ERROR.search(exc.diag.message_primary or ""):
            raise
        raise Unprocessable(
            "invalid_timezone",
            "Unknown time zone (use an IANA name such as Europe/Paris)",
            details=[{"field": "timezone", "source": "body"}],
        ) from None


@asynccontextmanager
async def _writing(db: Db, user_id: UUID) -> AsyncGenerator[None]:
    """One transaction writing the user's sessions, where what the database refuses becomes
    the client's error: a broken time rule, an unknown time zone, or a second session in
    progress (naming the one that runs)."""
    try:
        with unknown_time_zone_refused():
            async with writing(db, _CONSTRAINTS):
                yield
    except pg.UniqueViolation as exc:
        if exc.diag.constraint_name != "sessions_one_in_progress_per_user":
            raise
        running = await db.scalar("sessions/in_progress", user_id=user_id)
        raise Conflict(
            "session_in_progress",
            "You already have a session in progress; finish or abandon it first",
            details=[{"session_id": str(running)}] if running else None,
        ) from None


async def _changed(db: Db, user_id: UUID, event_type: ChangeEventType, session_id: UUID) -> Session:
    """The session as it now is, its change recorded (inside the caller's transaction)."""
    session = await db.one("sessions/get", Session, session_id=session_id, user_id=user_id)
    assert session is not None  # changed by this transaction
    await changelog.record_one(
        db,
        user_id=user_id,
        event_type=event_type,
        entity_id=session_id,
        version=session.version,
        document=changelog.session_document(session),
    )
    return session


async def _refusal(db: Db, user_id: UUID, session_id: UUID, if_match: list[int] | None) -> ApiError:
    """After an UPDATE/DELETE touched no row: 404, or 412 for a stale If-Match."""
    current = await db.one("sessions/get", Session, session_id=session_id, user_id=user_id)
    version = None if current is None else current.version
    return refused_write(version, if_match, _not_found())


# the order of the list: latest start first
BY_START = Keyset.of(SessionSummary, "started_at", "id")


async def list_sessions(
    db: Db,
    *,
    user_id: UUID,
    limit: int,
    cursor: str | None = None,
    status: SessionStatus | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
) -> SessionPage:
    """One page of the user's sessions, latest start first."""
    after = BY_START.after(cursor)
    rows = await db.many(
        "sessions/list",
        SessionSummary,
        user_id=user_id,
        status=status,
        from_date=from_date,
        to_date=to_date,
        after_started_at=after[0],
        after_id=after[1],
        limit=limit + 1,
    )
    return SessionPage(*BY_START.page(rows, limit))


async def get_session(db: Db, *, user_id: UUID, session_id: UUID) -> Session:
    return found(
        await db.one("sessions/get", Session, session_id=session_id, user_id=user_id), _not_found
    )


async def _workout_to_train(db: Db, user_id: UUID, workout_id: UUID) -> Workout:
    workout = await db.one("workouts/get", Workout, workout_id=workout_id, user_id=user_id)
    if workout is None:
        raise Unprocessable(
            "unknown_workout",
            "No such workout",
            details=[{"field": "workout_id", "source": "body"}],
        )
    if workout.status == WorkoutStatus.ARCHIVED:
        raise Conflict(
            "workout_archived", "This workout is archived; make it active to train with it"
        )
    return workout


async def start_session(db: Db, *, user_id: UUID, data: SessionCreate) -> tuple[Session, bool]:
    """The session, and True when `data` replays an earlier start (nothing is written)."""
    session_id = data.id or new_id()
    name = data.name
    if data.workout_id is not None:
        workout = await _workout_to_train(db, user_id, data.workout_id)
        if isinstance(name, msgspec.UnsetType):
            name = workout.name
    created: Session | None = None
    async with _writing(db, user_id):
        inserted = await db.scalar(
            "sessions/insert",
            session_id=session_id,
            user_id=user_id,
            workout_id=data.workout_id,
            name=name if isinstance(name, str) else "",
            started_at=unset_to_none(data.started_at),
            timezone=data.timezone,
            notes=data.notes,
        )
        if inserted is not None:
            if data.workout_id is not None:
                await db.execute("sessions/copy_plan", session_id=session_id, user_id=user_id)
            created = await _changed(db, user_id, ChangeEventType.SESSION_CREATED, session_id)
    if created is None:
        stored = await db.one("sessions/get", Session, session_id=session_id, user_id=user_id)
        return replayed_or_conflict(stored, data, _CREATE_FIELDS, "session"), True
    count_training_session("started")
    return created, False


async def update_session(
    db: Db, *, user_id: UUID, session_id: UUID, data: SessionPatch, if_match: list[int] | None
) -> Session:
    async with _writing(db, user_id):
        version = await db.scalar(
            "sessions/update",
            session_id=session_id,
            user_id=user_id,
            if_match=if_match,
            name=unset_to_none(data.name),
            notes=unset_to_none(data.notes),
            started_at=unset_to_none(data.started_at),
            ended_at=unset_to_none(data.ended_at),
            timezone=unset_to_none(data.timezone),
        )
        if version is None:
            raise await _refusal(db, user_id, session_id, if_match)
        return await _changed(db, user_id, ChangeEventType.SESSION_UPDATED, session_id)


async def end_session(
    db: Db,
    *,
    user_id: UUID,
    session_id: UUID,
    status: SessionStatus,
    data: SessionEnd | None = None,
    if_match: list[int] | None = None,
) -> Session:
    """End a session in progress as `status` (completed or abandoned), at `data.ended_at`
    (default now). Ending it again the same way changes nothing: a retried finish or abandon
    answers the session."""
    ended: Session | None = None
    async with _writing(db, user_id):
        version = await db.scalar(
            "sessions/end",
            session_id=session_id,
            user_id=user_id,
            status=status,
            ended_at=data.ended_at if data else None,
            if_match=if_match,
        )
        if version is not None:
            event_type = (
                ChangeEventType.SESSION_COMPLETED
                if status == SessionStatus.COMPLETED
                else ChangeEventType.SESSION_ABANDONED
            )
            ended = await _changed(db, user_id, event_type, session_id)
    if ended is not None:
        count_training_session(status.value)  # completed or abandoned, counted once
        return ended
    session = await get_session(db, user_id=user_id, session_id=session_id)
    if version is None and session.status != status:
        if session.status == SessionStatus.IN_PROGRESS:  # the If-Match was stale
            raise stale(if_match, session.version) or Conflict(
                "conflict", "The session changed meanwhile; try again"
            )
        raise Conflict(
            "illegal_transition",
            f"A session cannot go from {session.status} to {status}",
            details=[{"field": "status", "from": session.status, "to": status}],
        )
    return session


async def replace_session_plan(
    db: Db, *, user_id: UUID, session_id: UUID, plan: PlannedExercises, if_match: list[int] | None
) -> Session:
    """Replace the session's plan (its exercises, targets and groups) in one transaction.
    In progress or completed; an abandoned session is frozen (409)."""
    refusal = await plan_refusal(db, user_id=user_id, plan=plan)
    async with db.transaction():
        version = await db.scalar(
            "sessions/touch_plan", session_id=session_id, user_id=user_id, if_match=if_match
        )
        if version is None:
            current = await db.one("sessions/get", Session, session_id=session_id, user_id=user_id)
            if current is not None and current.status == SessionStatus.ABANDONED:
                raise Conflict(
                    "session_abandoned", "The session was abandoned; its plan can no longer change"
                )
            raise refused_write(current and current.version, if_match, _not_found())
        if refusal is not None:
            raise refusal
        await db.execute("sessions/clear_plan", session_id=session_id, user_id=user_id)
        if plan:
            await db.execute(
                "sessions/insert_plan",
                session_id=session_id,
                user_id=user_id,
                exercises=json_param(plan),
            )
        return await _changed(db, user_id, ChangeEventType.SESSION_UPDATED, session_id)


async def delete_session(
    db: Db, *, user_id: UUID, session_id: UUID, if_match: list[int] | None
) -> None:
    async with db.transaction():
        status = await db.scalar(
            "sessions/delete", session_id=session_id, user_id=user_id, if_match=if_match
        )
        if status is None:
            raise await _refusal(db, user_id, session_id, if_match)
        await changelog.record_one(
            db, user_id=user_id, event_type=ChangeEventType.SESSION_DELETED, entity_id=session_id
        )
