"""Sessions: training performed, optionally started from a workout (whose plan is copied).

Routes: `GET/POST /v1/sessions`, `GET/PATCH/DELETE /v1/sessions/{session_id}`,
`POST /v1/sessions/{session_id}/finish` and `/abandon`, `PUT /v1/sessions/{session_id}/exercises`
(replaces the session's plan, with its supersets and circuits: see app/plans.py).

State machine: in_progress -> completed (finish) | abandoned (abandon). Finishing a
completed session or abandoning an abandoned one again changes nothing and answers the
session (a retried request from a phone that lost the first answer); every other move is
409 `illegal_transition`. At most one session per user is in progress (a second start is
409 `session_in_progress`, naming the running one).

Times are instants (RFC 3339 with an offset); `timezone` is the IANA zone the user trained
in (default UTC), used to show local times and to filter by local calendar day.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from litestar import patch, post, put
from litestar.handlers import HTTPRouteHandler
from litestar.params import Body, FromQuery

from app.core.enums import SessionStatus
from app.core.resource import FromDay, Resource, ToDay
from app.plans import MAX_EXERCISES, PlannedExercises
from app.sessions.operations import (
    delete_session,
    end_session,
    get_session,
    list_sessions,
    replace_session_plan,
    start_session,
    update_session,
)

SESSIONS = Resource("/v1/sessions", "session_id", tags=["sessions"])
_NOT_FOUND = {404: "session_not_found"}

index = SESSIONS.index(
    list_sessions,
    filters={
        "status": (FromQuery[SessionStatus | None], None),
        "from_date": (FromDay, None),
        "to_date": (ToDay, None),
    },
    operation_id="listSessions",
    summary="List sessions",
    description="Your sessions, latest start first, with their set counts (not the sets). "
    "`from` and `to` are calendar days (inclusive) in each session's own time zone. "
    "Cursor pagination.",
)
start = SESSIONS.create(
    start_session,
    codes={
        409: "session_in_progress, workout_archived, id_conflict",
        422: "unknown_workout, invalid_timezone",
    },
    operation_id="startSession",
    summary="Start a session",
    description="Starts a session in progress, empty or from one of your workouts (draft or "
    "active), whose exercises and targets are copied as the session's plan. Only one "
    "session can be in progress (409 `session_in_progress`). Send your own `id` to make "
    "the request safe to retry: a replay answers 200 with the stored session.",
)
show = SESSIONS.show(
    get_session,
    codes=_NOT_FOUND,
    operation_id="getSession",
    summary="Get a session",
    description="One of your sessions with its plan and its sets in order.",
)
update = SESSIONS.write(
    patch,
    update_session,
    codes={**_NOT_FOUND, 422: "invalid_times, invalid_timezone"},
    operation_id="updateSession",
    summary="Change a session",
    description="Changes the name, notes, times or time zone. `ended_at` can only be set on "
    "a finished (or abandoned) session and not before `started_at` (422 `invalid_times`); "
    "the status changes through `finish` and `abandon`.",
)


_END_CODES = {404: "session_not_found", 409: "illegal_transition", 422: "invalid_times"}


def _ending(status: SessionStatus, path: str, **doc: Any) -> HTTPRouteHandler:
    """The route that ends a session in progress as `status`: finish and abandon differ in
    nothing else."""
    return SESSIONS.write(
        post,
        partial(end_session, status=status),
        path=path,
        codes=_END_CODES,
        status_code=200,
        **doc,
    )


finish = _ending(
    SessionStatus.COMPLETED,
    "/finish",
    operation_id="finishSession",
    summary="Finish a session",
    description="in_progress -> completed, ending at `ended_at` (default now). Finishing a "
    "completed session again changes nothing; an abandoned one cannot be finished (409).",
)
abandon = _ending(
    SessionStatus.ABANDONED,
    "/abandon",
    operation_id="abandonSession",
    summary="Abandon a session",
    description="in_progress -> abandoned, ending at `ended_at` (default now). Its sets are "
    "kept but frozen. Abandoning again changes nothing; a completed session cannot be "
    "abandoned (409).",
)


replace_plan = SESSIONS.write(
    put,
    replace_session_plan,
    path="/exercises",
    body=Annotated[PlannedExercises, Body(max_items=MAX_EXERCISES)],
    body_as="plan",
    codes={
        **_NOT_FOUND,
        409: "session_abandoned",
        422: "unknown_exercise, invalid_group",
    },
    operation_id="replaceSessionExercises",
    summary="Replace a session's plan",
    description="Replaces the session's whole plan (copied from its workout when it started, "
    "or empty) in one transaction, with the body of `PUT /v1/workouts/{id}/exercises`: the "
    "array order is the position order, an empty array clears it, exercises sharing "
    "`group.key` are one superset or circuit (422 `invalid_group` unless two or more of one "
    "kind). The workout it came from is left as it is. A session in progress or completed "
    "can change its plan; an abandoned one cannot (409 `session_abandoned`). Answers the "
    "whole session, with its new ETag.",
)
remove = SESSIONS.remove(
    delete_session,
    codes=_NOT_FOUND,
    operation_id="deleteSession",
    summary="Delete a session",
    description="Deletes the session with its plan and sets, whatever its status.",
)
router = SESSIONS.router(index, start, show, update, finish, abandon, replace_plan, remove)
