"""The shapes of a body measurement: the document answered and the bodies accepted."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from app.core.enums import BodyMeasurementKind, BodyMeasurementUnit
from app.core.http import CreateBody, Notes, RequestBody, Stored, decimals_at_most
from app.core.pagination import Page
from app.sessions.models import Instant, TimeZone

Value = Annotated[
    float,
    msgspec.Meta(
        gt=0,
        le=1600,
        description="In `unit`, 3 decimals at most; above 0 and at most 700 kg (1543.235 lb), "
        "100 % or 500 cm (196.85 in)",
    ),
]


class BodyMeasurement(Stored):
    id: UUID
    kind: BodyMeasurementKind
    value: float  # in `unit`, as entered
    unit: BodyMeasurementUnit
    measured_at: datetime
    timezone: str
    notes: str


class BodyMeasurementPage(Page):
    items: list[BodyMeasurement]


class BodyMeasurementCreate(CreateBody, kw_only=True):
    kind: BodyMeasurementKind
    value: Value
    # default: your preferred weight unit (body weight), cm or in after it (circumferences),
    # percent (body fat)
    unit: BodyMeasurementUnit | msgspec.UnsetType = msgspec.UNSET
    measured_at: Instant | msgspec.UnsetType = msgspec.UNSET  # default: now
    timezone: TimeZone = "UTC"
    notes: Notes = ""

    def __post_init__(self) -> None:
        decimals_at_most(self.value, 3, "value")


class BodyMeasurementPatch(RequestBody):
    kind: BodyMeasurementKind | msgspec.UnsetType = msgspec.UNSET
    value: Value | msgspec.UnsetType = msgspec.UNSET
    unit: BodyMeasurementUnit | msgspec.UnsetType = msgspec.UNSET
    measured_at: Instant | msgspec.UnsetType = msgspec.UNSET
    timezone: TimeZone | msgspec.UnsetType = msgspec.UNSET
    notes: Notes | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if isinstance(self.value, float):
            decimals_at_most(self.value, 3, "value")
