"""What can be done to body measurements, each in one call that owns its transaction, its
audit row and the translation of what the database refused."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from datetime import date
from uuid import UUID

from app import changelog
from app.body_measurements.models import (
    BodyMeasurement,
    BodyMeasurementCreate,
    BodyMeasurementPage,
    BodyMeasurementPatch,
)
from app.core.db import Db
from app.core.enums import BodyMeasurementKind, ChangeEventType
from app.core.errors import ApiError, NotFound, Unprocessable
from app.core.http import (
    Violation,
    enum_values,
    exact,
    found,
    new_id,
    out_of_range,
    refused_write,
    replayed_or_conflict,
    unset_to_none,
    writing,
)
from app.core.pagination import Keyset
from app.sessions.operations import unknown_time_zone_refused

ENTITY = "body_measurements"

_CONSTRAINTS = {
    "body_measurements_unit_check": Violation(
        Unprocessable,
        "invalid_unit",
        "This unit does not fit the kind: kg or lb for body_weight, percent for body_fat, "
        "cm or in for a circumference",
        "unit",
    ),
    "body_measurements_metric_value_check": out_of_range(
        "value", "`value` must be above 0 and at most 700 kg (1543.235 lb), 100 % or 500 cm"
    ),
}
# what a replayed create must repeat to be the same request
_CREATE_FIELDS = ("kind", "value", "unit", "measured_at", "timezone", "notes")


def _not_found() -> NotFound:
    return NotFound("body_measurement_not_found", "No such body measurement")


@asynccontextmanager
async def _writing(db: Db) -> AsyncGenerator[None]:
    """One transaction writing the user's measurements, where what the database refuses
    becomes the client's error: a unit that does not fit, a value out of range, an unknown
    time zone."""
    with unknown_time_zone_refused():
        async with writing(db, _CONSTRAINTS):
            yield


async def _find(db: Db, user_id: UUID, measurement_id: UUID) -> BodyMeasurement | None:
    return await db.one(
        "body_measurements/get",
        BodyMeasurement,
        measurement_id=measurement_id,
        user_id=user_id,
    )


async def _refusal(
    db: Db, user_id: UUID, measurement_id: UUID, if_match: list[int] | None
) -> ApiError:
    """After an UPDATE/DELETE touched no row: 404, or 412 for a stale If-Match."""
    current = await _find(db, user_id, measurement_id)
    return refused_write(current and current.version, if_match, _not_found())


# the order of the list: latest first
BY_TIME = Keyset.of(BodyMeasurement, "measured_at", "id")


async def list_measurements(
    db: Db,
    *,
    user_id: UUID,
    limit: int,
    cursor: str | None = None,
    kinds: list[BodyMeasurementKind] | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
) -> BodyMeasurementPage:
    """One page of the user's measurements, latest first."""
    after = BY_TIME.after(cursor)
    rows = await db.many(
        "body_measurements/list",
        BodyMeasurement,
        user_id=user_id,
        kinds=enum_values(kinds),
        from_date=from_date,
        to_date=to_date,
        after_measured_at=after[0],
        after_id=after[1],
        limit=limit + 1,
    )
    return BodyMeasurementPage(*BY_TIME.page(rows, limit))


async def get_measurement(db: Db, *, user_id: UUID, measurement_id: UUID) -> BodyMeasurement:
    return found(await _find(db, user_id, measurement_id), _not_found)


async def record_measurement(
    db: Db, *, user_id: UUID, data: BodyMeasurementCreate
) -> tuple[BodyMeasurement, bool]:
    """The measurement, and True when `data` replays an earlier create (nothing written)."""
    measurement_id = data.id or new_id()
    async with _writing(db):
        measurement = await db.one(
            "body_measurements/insert",
            BodyMeasurement,
            measurement_id=measurement_id,
            user_id=user_id,
            kind=data.kind,
            value=exact(data.value),
            unit=unset_to_none(data.unit),
            measured_at=unset_to_none(data.measured_at),
            timezone=data.timezone,
            notes=data.notes,
        )
        if measurement is not None:
            await changelog.record_change(
                db,
                user_id=user_id,
                event_type=ChangeEventType.BODY_MEASUREMENT_CREATED,
                document=measurement,
            )
            return measurement, False
    stored = await _find(db, user_id, measurement_id)
    return replayed_or_conflict(stored, data, _CREATE_FIELDS, "body measurement"), True


async def update_measurement(
    db: Db,
    *,
    user_id: UUID,
    measurement_id: UUID,
    data: BodyMeasurementPatch,
    if_match: list[int] | None,
) -> BodyMeasurement:
    async with _writing(db):
        measurement = await db.one(
            "body_measurements/update",
            BodyMeasurement,
            measurement_id=measurement_id,
            user_id=user_id,
            if_match=if_match,
            kind=unset_to_none(data.kind),
            value=exact(unset_to_none(data.value)),
            unit=unset_to_none(data.unit),
            measured_at=unset_to_none(data.measured_at),
            timezone=unset_to_none(data.timezone),
            notes=unset_to_none(data.notes),
        )
        if measurement is None:
            raise await _refusal(db, user_id, measurement_id, if_match)
        await changelog.record_change(
            db,
            user_id=user_id,
            event_type=ChangeEventType.BODY_MEASUREMENT_UPDATED,
            document=measurement,
        )
    return measurement


async def delete_measurement(
    db: Db, *, user_id: UUID, measurement_id: UUID, if_match: list[int] | None
) -> None:
    async with db.transaction():
        kind = await db.scalar(
            "body_measurements/delete",
            measurement_id=measurement_id,
            user_id=user_id,
            if_match=if_match,
        )
        if kind is None:
            raise await _refusal(db, user_id, measurement_id, if_match)
        await changelog.record_one(
            db,
            user_id=user_id,
            event_type=ChangeEventType.BODY_MEASUREMENT_DELETED,
            entity_id=measurement_id,
        )
