"""The shapes of a session: the documents answered and the bodies accepted."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from app.core.enums import SessionStatus
from app.core.http import CreateBody, Notes, RequestBody, Stored
from app.core.pagination import Page
from app.plans import PlannedExercise
from app.sets.models import SetRecord

SessionName = Annotated[str, msgspec.Meta(max_length=100)]
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


class SessionFields(Stored):
    """What a session, its summary in a list and its document in the change log all show
    first, in this order."""

    id: UUID
    workout_id: UUID | None
    name: str
    status: SessionStatus
    started_at: datetime
    ended_at: datetime | None
    timezone: str
    notes: str


class Session(SessionFields):
    exercises: list[PlannedExercise]  # the plan, copied from the workout when it started
    sets: list[SetRecord]


class SessionSummary(SessionFields):
    set_count: int


class SessionPage(Page):
    items: list[SessionSummary]


class SessionCreate(CreateBody, kw_only=True):
    workout_id: UUID | None = None
    name: SessionName | msgspec.UnsetType = msgspec.UNSET  # default: the workout's name
    started_at: Instant | msgspec.UnsetType = msgspec.UNSET  # default: now
    timezone: TimeZone = "UTC"
    notes: Notes = ""


class SessionPatch(RequestBody):
    name: SessionName | msgspec.UnsetType = msgspec.UNSET
    notes: Notes | msgspec.UnsetType = msgspec.UNSET
    started_at: Instant | msgspec.UnsetType = msgspec.UNSET
    ended_at: Instant | msgspec.UnsetType = msgspec.UNSET
    timezone: TimeZone | msgspec.UnsetType = msgspec.UNSET


class SessionEnd(RequestBody):
    ended_at: Instant | None = None  # default: now
