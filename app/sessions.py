"""Sessions: training performed, optionally started from a workout (whose plan is copied).

Routes: `GET/POST /v1/sessions`, `GET/PATCH/DELETE /v1/sessions/{session_id}`,
`POST /v1/sessions/{session_id}/finish` and `/abandon`.

State machine: in_progress -> completed (finish) | abandoned (abandon). Finishing a
completed session or abandoning an abandoned one again changes nothing and answers the
session (a retried request from a phone that lost the first answer); every other move is
409 `illegal_transition`. At most one session per user is in progress (a second start is
409 `session_in_progress`, naming the running one).

Times are instants (RFC 3339 with an offset); `timezone` is the IANA zone the user trained
in (default UTC), used to show local times and to filter by local calendar day.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from psycopg import errors as pg

from app import audit
from app.core.db import Db
from app.core.enums import AuditAction, SessionStatus, WorkoutStatus
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.http import (
    ETAG_HEADER,
    IfMatch,
    IfNoneMatch,
    Violation,
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
from app.sets import SetRecord
from app.workouts import PlannedExercise, Workout

ENTITY = "sessions"

SessionName = Annotated[str, msgspec.Meta(max_length=100)]
Notes = Annotated[str, msgspec.Meta(max_length=10_000)]
Instant = Annotated[datetime, msgspec.Meta(tz=True, description="RFC 3339, with an offset")]
TimeZone = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$",
        description="IANA time zone name, e.g. Europe/Paris",
    ),
]
_TIMEZONE_ERROR = re.compile(r"time zone .* not recognized")


class Session(msgspec.Struct):
    id: UUID
    workout_id: UUID | None
    name: str
    status: SessionStatus
    started_at: datetime
    ended_at: datetime | None
    timezone: str
    notes: str
    exercises: list[PlannedExercise]  # the plan, copied from the workout when it started
    sets: list[SetRecord]
    version: int
    created_at: datetime
    updated_at: datetime


class SessionSummary(msgspec.Struct):
    id: UUID
    workout_id: UUID | None
    name: str
    status: SessionStatus
    started_at: datetime
    ended_at: datetime | None
    timezone: str
    notes: str
    set_count: int
    version: int
    created_at: datetime
    updated_at: datetime


class SessionPage(msgspec.Struct):
    items: list[SessionSummary]
    next_cursor: str | None


class SessionCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: UUID | None = None
    workout_id: UUID | None = None
    name: SessionName | msgspec.UnsetType = msgspec.UNSET  # default: the workout's name
    started_at: Instant | msgspec.UnsetType = msgspec.UNSET  # default: now
    timezone: TimeZone = "UTC"
    notes: Notes = ""


class SessionPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: SessionName | msgspec.UnsetType = msgspec.UNSET
    notes: Notes | msgspec.UnsetType = msgspec.UNSET
    started_at: Instant | msgspec.UnsetType = msgspec.UNSET
    ended_at: Instant | msgspec.UnsetType = msgspec.UNSET
    timezone: TimeZone | msgspec.UnsetType = msgspec.UNSET


class SessionEnd(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    ended_at: Instant | None = None  # default: now


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


def _not_found() -> NotFound:
    return NotFound("session_not_found", "No such session")


def _bad_timezone() -> Unprocessable:
    return Unprocessable(
        "invalid_timezone",
        "Unknown time zone (use an IANA name such as Europe/Paris)",
        details=[{"field": "timezone", "source": "body"}],
    )


def _is_timezone_error(exc: pg.Error) -> bool:
    return isinstance(exc, pg.InvalidParameterValue) and bool(
        _TIMEZONE_ERROR.search(exc.diag.message_primary or "")
    )


async def get_session_document(db: Db, *, session_id: UUID, user_id: UUID) -> Session:
    session = await db.one("sessions/get", Session, session_id=session_id, user_id=user_id)
    if session is None:
        raise _not_found()
    return session


@get(
    "/v1/sessions",
    operation_id="listSessions",
    summary="List sessions",
    description="Your sessions, latest start first, with their set counts (not the sets). "
    "`from` and `to` are calendar days (inclusive) in each session's own time zone. "
    "Cursor pagination.",
    tags=["sessions"],
    responses=responses(codes={400: "invalid_cursor"}),
)
async def list_sessions(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    limit: int = LimitParam,
    cursor: str | None = CursorParam,
    status: FromQuery[SessionStatus | None] = None,
    from_date: Annotated[
        date | None, QueryParameter(name="from", description="First day, YYYY-MM-DD")
    ] = None,
    to_date: Annotated[
        date | None, QueryParameter(name="to", description="Last day, YYYY-MM-DD")
    ] = None,
) -> SessionPage:
    after = decode_cursor(cursor, tuple[datetime, UUID])
    rows = await db.many(
        "sessions/list",
        SessionSummary,
        user_id=current_user.id,
        status=status,
        from_date=from_date,
        to_date=to_date,
        after_started_at=after[0] if after else None,
        after_id=after[1] if after else None,
        limit=limit + 1,
    )
    items, next_cursor = page_of(rows, limit, lambda s: (s.started_at, s.id))
    return SessionPage(items=items, next_cursor=next_cursor)


async def _session_in_progress(db: Db, user_id: UUID) -> Conflict:
    running = await db.scalar("sessions/in_progress", user_id=user_id)
    return Conflict(
        "session_in_progress",
        "You already have a session in progress; finish or abandon it first",
        details=[{"session_id": str(running)}] if running else None,
    )


@post(
    "/v1/sessions",
    operation_id="startSession",
    summary="Start a session",
    description="Starts a session in progress, empty or from one of your workouts (draft or "
    "active), whose exercises and targets are copied as the session's plan. Only one "
    "session can be in progress (409 `session_in_progress`). Send your own `id` to make "
    "the request safe to retry: a replay answers 200 with the stored session.",
    tags=["sessions"],
    response_headers=ETAG_HEADER,
    responses={
        **replay_response(Session),
        **responses(
            409,
            422,
            codes={
                409: "session_in_progress, workout_archived, id_conflict",
                422: "unknown_workout, invalid_timezone",
            },
        ),
    },
)
async def start_session(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    data: JSONBody[SessionCreate],
) -> Response[Session]:
    session_id = data.id or new_id()
    name = data.name
    if data.workout_id is not None:
        workout = await db.one(
            "workouts/get", Workout, workout_id=data.workout_id, user_id=current_user.id
        )
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
        if isinstance(name, msgspec.UnsetType):
            name = workout.name
    try:
        async with db.transaction():
            inserted = await db.scalar(
                "sessions/insert",
                session_id=session_id,
                user_id=current_user.id,
                workout_id=data.workout_id,
                name=name if isinstance(name, str) else "",
                started_at=unset_to_none(data.started_at),
                timezone=data.timezone,
                notes=data.notes,
            )
            if inserted is not None:
                if data.workout_id is not None:
                    await db.execute(
                        "sessions/copy_plan", session_id=session_id, user_id=current_user.id
                    )
                await audit.record(
                    db,
                    user_id=current_user.id,
                    action=AuditAction.CREATE,
                    entity_type=ENTITY,
                    entity_id=session_id,
                    metadata={"workout_id": str(data.workout_id) if data.workout_id else None},
                )
    except pg.UniqueViolation as exc:
        if exc.diag.constraint_name == "sessions_one_in_progress_per_user":
            raise await _session_in_progress(db, current_user.id) from None
        raise
    except pg.InvalidParameterValue as exc:
        if _is_timezone_error(exc):
            raise _bad_timezone() from None
        raise
    stored = await db.one("sessions/get", Session, session_id=session_id, user_id=current_user.id)
    if inserted is None:
        session = replayed_or_conflict(
            stored,
            data,
            ("workout_id", "name", "started_at", "timezone", "notes"),
            "session",
        )
    else:
        assert stored is not None  # committed just now
        session = stored
    return created(
        session, session.version, f"/v1/sessions/{session.id}", replayed=inserted is None
    )


@get(
    "/v1/sessions/{session_id:uuid}",
    operation_id="getSession",
    summary="Get a session",
    description="One of your sessions with its plan and its sets in order.",
    tags=["sessions"],
    response_headers=ETAG_HEADER,
    responses=responses(304, 404, codes={404: "session_not_found"}),
)
async def get_session(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    session_id: FromPath[UUID],
    if_none_match: IfNoneMatch = None,
) -> Response[Session]:
    session = await get_session_document(db, session_id=session_id, user_id=current_user.id)
    return conditional_get(session, session.version, if_none_match)


@patch(
    "/v1/sessions/{session_id:uuid}",
    operation_id="updateSession",
    summary="Change a session",
    description="Changes the name, notes, times or time zone. `ended_at` can only be set on "
    "a finished (or abandoned) session and not before `started_at` (422 `invalid_times`); "
    "the status changes through `finish` and `abandon`.",
    tags=["sessions"],
    response_headers=ETAG_HEADER,
    responses=responses(
        404, 412, 422, codes={404: "session_not_found", 422: "invalid_times, invalid_timezone"}
    ),
)
async def update_session(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    session_id: FromPath[UUID],
    data: JSONBody[SessionPatch],
    if_match: IfMatch = None,
) -> Response[Session]:
    versions = if_match_versions(if_match)
    try:
        async with db.transaction():
            version = await db.scalar(
                "sessions/update",
                session_id=session_id,
                user_id=current_user.id,
                if_match=versions,
                name=unset_to_none(data.name),
                notes=unset_to_none(data.notes),
                started_at=unset_to_none(data.started_at),
                ended_at=unset_to_none(data.ended_at),
                timezone=unset_to_none(data.timezone),
            )
            if version is None:
                current = await db.one(
                    "sessions/get", Session, session_id=session_id, user_id=current_user.id
                )
                if current is None:
                    raise _not_found()
                raise stale(versions, current.version) or _not_found()
            await audit.record(
                db,
                user_id=current_user.id,
                action=AuditAction.UPDATE,
                entity_type=ENTITY,
                entity_id=session_id,
                metadata={"fields": sent_fields(data)},
            )
    except pg.InvalidParameterValue as exc:
        if _is_timezone_error(exc):
            raise _bad_timezone() from None
        raise
    except pg.IntegrityError as exc:
        raise translate(exc, _CONSTRAINTS) from None
    session = await get_session_document(db, session_id=session_id, user_id=current_user.id)
    return with_etag(session, session.version)


async def _end_session(
    db: Db,
    *,
    user_id: UUID,
    session_id: UUID,
    status: SessionStatus,
    ended_at: datetime | None,
    if_match: str | None,
) -> Response[Session]:
    versions = if_match_versions(if_match)
    try:
        async with db.transaction():
            version = await db.scalar(
                "sessions/end",
                session_id=session_id,
                user_id=user_id,
                status=status,
                ended_at=ended_at,
                if_match=versions,
            )
            if version is not None:
                await audit.record(
                    db,
                    user_id=user_id,
                    action=AuditAction.UPDATE,
                    entity_type=ENTITY,
                    entity_id=session_id,
                    metadata={"fields": ["status", "ended_at"], "status": status.value},
                )
    except pg.IntegrityError as exc:
        raise translate(exc, _CONSTRAINTS) from None
    session = await get_session_document(db, session_id=session_id, user_id=user_id)
    if version is None and session.status != status:
        if session.status == SessionStatus.IN_PROGRESS:  # the If-Match was stale
            raise stale(versions, session.version) or Conflict(
                "conflict", "The session changed meanwhile; try again"
            )
        raise Conflict(
            "illegal_transition",
            f"A session cannot go from {session.status} to {status}",
            details=[{"field": "status", "from": session.status, "to": status}],
        )
    # ended now, or already ended this way: a retried finish/abandon changes nothing
    return with_etag(session, session.version)


@post(
    "/v1/sessions/{session_id:uuid}/finish",
    operation_id="finishSession",
    summary="Finish a session",
    description="in_progress -> completed, ending at `ended_at` (default now). Finishing a "
    "completed session again changes nothing; an abandoned one cannot be finished (409).",
    tags=["sessions"],
    status_code=200,
    response_headers=ETAG_HEADER,
    responses=responses(
        404,
        409,
        412,
        422,
        codes={404: "session_not_found", 409: "illegal_transition", 422: "invalid_times"},
    ),
)
async def finish_session(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    session_id: FromPath[UUID],
    data: JSONBody[SessionEnd | None] = None,
    if_match: IfMatch = None,
) -> Response[Session]:
    return await _end_session(
        db,
        user_id=current_user.id,
        session_id=session_id,
        status=SessionStatus.COMPLETED,
        ended_at=data.ended_at if data else None,
        if_match=if_match,
    )


@post(
    "/v1/sessions/{session_id:uuid}/abandon",
    operation_id="abandonSession",
    summary="Abandon a session",
    description="in_progress -> abandoned, ending at `ended_at` (default now). Its sets are "
    "kept but frozen. Abandoning again changes nothing; a completed session cannot be "
    "abandoned (409).",
    tags=["sessions"],
    status_code=200,
    response_headers=ETAG_HEADER,
    responses=responses(
        404,
        409,
        412,
        422,
        codes={404: "session_not_found", 409: "illegal_transition", 422: "invalid_times"},
    ),
)
async def abandon_session(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    session_id: FromPath[UUID],
    data: JSONBody[SessionEnd | None] = None,
    if_match: IfMatch = None,
) -> Response[Session]:
    return await _end_session(
        db,
        user_id=current_user.id,
        session_id=session_id,
        status=SessionStatus.ABANDONED,
        ended_at=data.ended_at if data else None,
        if_match=if_match,
    )


@delete(
    "/v1/sessions/{session_id:uuid}",
    operation_id="deleteSession",
    summary="Delete a session",
    description="Deletes the session with its plan and sets, whatever its status.",
    tags=["sessions"],
    responses=responses(404, 412, codes={404: "session_not_found"}),
)
async def delete_session(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    session_id: FromPath[UUID],
    if_match: IfMatch = None,
) -> None:
    versions = if_match_versions(if_match)
    async with db.transaction():
        status = await db.scalar(
            "sessions/delete", session_id=session_id, user_id=current_user.id, if_match=versions
        )
        if status is None:
            current = await db.one(
                "sessions/get", Session, session_id=session_id, user_id=current_user.id
            )
            if current is None:
                raise _not_found()
            raise stale(versions, current.version) or _not_found()
        await audit.record(
            db,
            user_id=current_user.id,
            action=AuditAction.DELETE,
            entity_type=ENTITY,
            entity_id=session_id,
            metadata={"status": str(status)},
        )


routes = [
    list_sessions,
    start_session,
    get_session,
    update_session,
    finish_session,
    abandon_session,
    delete_session,
]
