"""The shapes of a webhook subscription: the document answered and the bodies accepted."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec

from app.core.enums import ChangeEventType, WebhookDeliveryStatus, WebhookDisabledReason

Url = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=2048,
        description="Where events are POSTed: an absolute http(s) URL (https in production), "
        "on a public address",
    ),
]
EventTypes = Annotated[
    list[ChangeEventType],
    msgspec.Meta(
        min_length=1,
        max_length=100,
        description="The event types wanted; null (the default): every event type",
    ),
]
Description = Annotated[str, msgspec.Meta(max_length=500)]

_SPACES = re.compile(r"\s+")


class Webhook(msgspec.Struct, kw_only=True):
    id: UUID
    url: str
    event_types: list[ChangeEventType] | None  # null: every event type
    enabled: bool
    # by_user: turned off with PATCH; failures: after 50 failed delivery attempts in a row
    disabled_reason: WebhookDisabledReason | None
    description: str
    # until when the secret before the latest rotation still signs (null: no such secret)
    previous_secret_expires_at: datetime | None
    consecutive_failures: int
    version: int
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(Webhook, kw_only=True):
    """A subscription with its signing secret: the answer to a create or a rotation, the
    only times the secret is shown."""

    secret: str


class Delivery(msgspec.Struct):
    id: UUID
    sequence: int
    message_id: str  # the webhook-id header, the same on every attempt
    event_type: str
    position: int | None  # in the change log; null for webhook.* events and resends
    payload: dict[str, Any]
    status: WebhookDeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None  # while pending
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookPage(msgspec.Struct):
    items: list[Webhook]
    next_cursor: str | None


class DeliveryPage(msgspec.Struct):
    items: list[Delivery]
    next_cursor: str | None


def _clean(description: str) -> str:
    return _SPACES.sub(" ", description).strip()


def _distinct(event_types: list[ChangeEventType] | None) -> list[ChangeEventType] | None:
    return None if event_types is None else list(dict.fromkeys(event_types))


class WebhookCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: UUID | None = None
    url: Url
    event_types: EventTypes | None = None
    enabled: bool = True
    description: Description = ""

    def __post_init__(self) -> None:
        self.description = _clean(self.description)
        self.event_types = _distinct(self.event_types)


class WebhookPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    url: Url | msgspec.UnsetType = msgspec.UNSET
    # null: every event type
    event_types: EventTypes | msgspec.UnsetType | None = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if isinstance(self.description, str):
            self.description = _clean(self.description)
        if not isinstance(self.event_types, msgspec.UnsetType):
            self.event_types = _distinct(self.event_types)


class SecretRotation(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # true: the replaced secret stops signing at once (it leaked), instead of in 24 hours
    revoke_previous: bool = False


class NoOptions(msgspec.Struct, forbid_unknown_fields=True):
    """The body of a route that takes no options: none, or `{}`."""
