"""The shapes of the sync feed and the snapshot.

An event is one of the types below, told apart by `event_type` (a tagged union: in the
OpenAPI document, one schema per event type and a discriminator on `event_type`); its
`document` is the entity as the API shows it, or `null` for a delete (a tombstone). A
session's document is the session without its `sets`: each set has its own events. A
snapshot item is told apart by `entity_type` the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from app.body_measurements.models import BodyMeasurement
from app.core.enums import ChangeEntityType
from app.exercises import Exercise
from app.plans import PlannedExercise
from app.sessions.models import SessionFields
from app.sets.models import SetRecord
from app.users import User
from app.webhooks.models import Webhook
from app.workouts import Workout

Position = Annotated[int, msgspec.Meta(ge=1, description="The event's place in your feed")]


class SessionDocument(SessionFields):
    """A session as events and snapshots carry it: GET /v1/sessions/{id} without `sets`."""

    exercises: list[PlannedExercise]


# --- events ---------------------------------------------------------------------------------


class _Event(msgspec.Struct, kw_only=True, tag_field="event_type"):
    position: Position
    entity_type: ChangeEntityType
    entity_id: UUID
    version: int | None  # the entity's version after the change; null for a delete
    created_at: datetime  # when the change's transaction began


class _Tombstone(_Event):
    document: None


class ExerciseCreated(_Event, tag="exercise.created"):
    document: Exercise


class ExerciseUpdated(_Event, tag="exercise.updated"):
    document: Exercise


class ExerciseDeleted(_Tombstone, tag="exercise.deleted"):
    pass


class WorkoutCreated(_Event, tag="workout.created"):
    document: Workout


class WorkoutUpdated(_Event, tag="workout.updated"):
    document: Workout


class WorkoutDeleted(_Tombstone, tag="workout.deleted"):
    pass


class SessionCreated(_Event, tag="session.created"):
    document: SessionDocument


class SessionUpdated(_Event, tag="session.updated"):
    document: SessionDocument


class SessionCompleted(_Event, tag="session.completed"):
    document: SessionDocument


class SessionAbandoned(_Event, tag="session.abandoned"):
    document: SessionDocument


class SessionDeleted(_Tombstone, tag="session.deleted"):
    pass


class SetCreated(_Event, tag="set.created"):
    document: SetRecord


class SetUpdated(_Event, tag="set.updated"):
    document: SetRecord


class SetDeleted(_Tombstone, tag="set.deleted"):
    pass


class ProfileUpdated(_Event, tag="profile.updated"):
    document: User


class BodyMeasurementCreated(_Event, tag="body_measurement.created"):
    document: BodyMeasurement


class BodyMeasurementUpdated(_Event, tag="body_measurement.updated"):
    document: BodyMeasurement


class BodyMeasurementDeleted(_Tombstone, tag="body_measurement.deleted"):
    pass


class WebhookDisabled(_Event, tag="webhook.disabled"):
    """One of your webhook subscriptions was disabled after 50 failed delivery attempts in a
    row: the subscription as GET /v1/webhooks/{id} shows it (never its secret). A notice:
    subscriptions are not otherwise in the feed, nor in snapshots."""

    document: Webhook


ChangeEvent = (
    ExerciseCreated
    | ExerciseUpdated
    | ExerciseDeleted
    | WorkoutCreated
    | WorkoutUpdated
    | WorkoutDeleted
    | SessionCreated
    | SessionUpdated
    | SessionCompleted
    | SessionAbandoned
    | SessionDeleted
    | SetCreated
    | SetUpdated
    | SetDeleted
    | ProfileUpdated
    | BodyMeasurementCreated
    | BodyMeasurementUpdated
    | BodyMeasurementDeleted
    | WebhookDisabled
)


class ChangePage(msgspec.Struct):
    """A page of the feed. `next_cursor` is where to continue: after the last event served,
    or the cursor given when nothing new has happened (poll again with it)."""

    items: list[ChangeEvent]
    next_cursor: str
    has_more: bool


class FeedRead(msgspec.Struct):
    """What queries/sync/changes.sql reads: the user's counter and a page of events (JSON)."""

    pruned_through: int
    last_position: int
    events: str


# --- the snapshot ---------------------------------------------------------------------------


class _Item(msgspec.Struct, kw_only=True, tag_field="entity_type"):
    entity_id: UUID
    version: int


class ExerciseItem(_Item, tag="exercise"):
    document: Exercise


class WorkoutItem(_Item, tag="workout"):
    document: Workout


class SessionItem(_Item, tag="session"):
    document: SessionDocument


class SetItem(_Item, tag="set"):
    document: SetRecord


class ProfileItem(_Item, tag="profile"):
    document: User


class BodyMeasurementItem(_Item, tag="body_measurement"):
    document: BodyMeasurement


SnapshotItem = (
    ExerciseItem | WorkoutItem | SessionItem | SetItem | ProfileItem | BodyMeasurementItem
)


class SnapshotPage(msgspec.Struct):
    """A page of a snapshot. `next_cursor` is the next page's (null on the last page);
    `changes_cursor` is the feed's cursor the snapshot is exact at: once every page is
    applied, GET /v1/sync/changes?cursor=<changes_cursor> continues from it."""

    items: list[SnapshotItem]
    next_cursor: str | None
    changes_cursor: str


class SnapshotRead(msgspec.Struct):
    """What queries/sync/snapshot_page.sql reads: the snapshot's position and a page (JSON)."""

    position: int
    items: str
