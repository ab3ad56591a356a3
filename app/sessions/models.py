"""The shapes of a session: the documents answered and the bodies accepted."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from app.core.enums import SessionStatus
from app.plans import PlannedExercise
from app.sets.models import Notes, SetRecord

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


class _SessionFields(msgspec.Struct):
    """What a session and its summary in a list both show first, in this order."""

    id: UUID
    workout_id: UUID | None
    name: str
    status: SessionStatus
    started_at: datetime
    ended_at: datetime | None
    timezone: str
    notes: str


class Session(_SessionFields):
    exercises: list[PlannedExercise]  # the plan, copied from the workout when it started
    sets: list[SetRecord]
    version: int
    created_at: datetime
    updated_at: datetime


class SessionSummary(_SessionFields):
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
