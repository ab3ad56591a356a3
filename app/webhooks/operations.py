"""What can be done to webhook subscriptions, each in one call that owns its transaction, its
audit row and the translation of what the database refused.

The audit log records who created, changed, rotated and deleted which subscription, with
the fields changed and the URL's host; never a secret (nor the URL's path and query, which
some receivers use to carry a token of their own)."""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import msgspec

from app import audit
from app.core.config import Environment, Settings
from app.core.db import Db
from app.core.enums import AuditAction
from app.core.errors import ApiError, NotFound, Unprocessable
from app.core.http import (
    Violation,
    constraint_errors,
    found,
    new_id,
    refused_write,
    replayed_or_conflict,
    sent_fields,
    unset_to_none,
)
from app.core.pagination import Keyset
from app.webhooks.addresses import RefusedUrl, check_url
from app.webhooks.models import (
    Delivery,
    DeliveryPage,
    SecretRotation,
    Webhook,
    WebhookCreate,
    WebhookPage,
    WebhookPatch,
    WebhookWithSecret,
)

ENTITY = "webhook_subscriptions"
MAX_PER_USER = 10
SECRET_BYTES = 32

_CONSTRAINTS = {
    "webhook_subscriptions_url_check": Violation(
        Unprocessable, "invalid_url", "`url` must be an absolute http or https URL", "url"
    ),
}
# what a replayed create must repeat to be the same request
_CREATE_FIELDS = ("url", "event_types", "enabled", "description")


def new_secret() -> str:
    """A signing secret as Standard Webhooks writes it: `whsec_` and 32 random bytes in
    base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _not_found() -> NotFound:
    return NotFound("webhook_not_found", "No such webhook subscription")


def checked_url(url: str, settings: Settings) -> str:
    """The URL if a subscription may have it; 422 otherwise (see app/webhooks/addresses)."""
    try:
        return check_url(
            url,
            require_https=settings.env == Environment.PRODUCTION,
            allow_private=settings.webhook_allow_private,
        )
    except RefusedUrl as exc:
        raise Unprocessable(
            exc.code, exc.message, details=[{"field": "url", "message": exc.message}]
        ) from None


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


async def _audit(
    db: Db, user_id: UUID, action: AuditAction, webhook_id: UUID, metadata: dict[str, Any]
) -> None:
    await audit.record(
        db,
        user_id=user_id,
        action=action,
        entity_type=ENTITY,
        entity_id=webhook_id,
        metadata=metadata,
    )


async def _find(db: Db, user_id: UUID, webhook_id: UUID) -> Webhook | None:
    return await db.one("webhooks/get", Webhook, webhook_id=webhook_id, user_id=user_id)


async def _refused(db: Db, user_id: UUID, webhook_id: UUID, if_match: list[int] | None) -> ApiError:
    """Why a conditional write of the subscription touched no row: 412 or 404."""
    current = await _find(db, user_id, webhook_id)
    return refused_write(current and current.version, if_match, _not_found())


# the orders of the lists: subscriptions oldest first, deliveries newest first
BY_CREATION = Keyset.of(Webhook, "created_at", "id")
BY_SEQUENCE = Keyset.of(Delivery, "sequence")


async def list_webhooks(db: Db, *, user_id: UUID, limit: int, cursor: str | None) -> WebhookPage:
    """One page of the user's subscriptions, oldest first."""
    after = BY_CREATION.after(cursor)
    rows = await db.many(
        "webhooks/list",
        Webhook,
        user_id=user_id,
        after_created_at=after[0],
        after_id=after[1],
        limit=limit + 1,
    )
    return WebhookPage(*BY_CREATION.page(rows, limit))


async def get_webhook(db: Db, *, user_id: UUID, webhook_id: UUID) -> Webhook:
    return found(await _find(db, user_id, webhook_id), _not_found)


async def create_webhook(
    db: Db, *, user_id: UUID, data: WebhookCreate, settings: Settings
) -> tuple[Webhook, bool]:
    """The subscription (with its secret when created now), and True when `data` replays an
    earlier create (nothing written; the secret is not shown again)."""
    checked_url(data.url, settings)
    webhook_id = data.id or new_id()
    with constraint_errors(_CONSTRAINTS):
        async with db.transaction():
            await db.scalar("webhooks/lock_owner", user_id=user_id)
            created = await db.one(
                "webhooks/insert",
                WebhookWithSecret,
                webhook_id=webhook_id,
                user_id=user_id,
                url=data.url,
                event_types=data.event_types,
                enabled=data.enabled,
                description=data.description,
                secret=new_secret(),
                max_count=MAX_PER_USER,
            )
            if created is not None:
                metadata = {"host": _host(created.url), "event_types": created.event_types}
                await _audit(db, user_id, AuditAction.CREATE, webhook_id, metadata)
                return created, False
            stored = await _find(db, user_id, webhook_id)
            if stored is None and await db.scalar("webhooks/count", user_id=user_id) >= (
                MAX_PER_USER
            ):
                raise Unprocessable(
                    "webhook_limit_reached",
                    f"You have {MAX_PER_USER} webhook subscriptions, the most there can be; "
                    "delete one first",
                )
    return replayed_or_conflict(stored, data, _CREATE_FIELDS, "webhook subscription"), True


async def update_webhook(
    db: Db,
    *,
    user_id: UUID,
    webhook_id: UUID,
    data: WebhookPatch,
    if_match: list[int] | None,
    settings: Settings,
) -> Webhook:
    url = unset_to_none(data.url)
    if url is not None:
        checked_url(url, settings)
    with constraint_errors(_CONSTRAINTS):
        async with db.transaction():
            webhook = await db.one(
                "webhooks/update",
                Webhook,
                webhook_id=webhook_id,
                user_id=user_id,
                if_match=if_match,
                url=url,
                set_event_types=data.event_types is not msgspec.UNSET,
                event_types=unset_to_none(data.event_types),
                enabled=unset_to_none(data.enabled),
                description=unset_to_none(data.description),
            )
            if webhook is None:
                raise await _refused(db, user_id, webhook_id, if_match)
            metadata: dict[str, Any] = {"fields": sent_fields(data)}
            if url is not None:
                metadata["host"] = _host(url)
            await _audit(db, user_id, AuditAction.UPDATE, webhook_id, metadata)
    return webhook


async def rotate_secret(
    db: Db,
    *,
    user_id: UUID,
    webhook_id: UUID,
    data: SecretRotation | None,
    if_match: list[int] | None,
) -> WebhookWithSecret:
    """A new signing secret, shown this once; the one it replaces signs too for 24 h (not at
    all with `revoke_previous`)."""
    revoke_previous = data.revoke_previous if data else False
    async with db.transaction():
        webhook = await db.one(
            "webhooks/rotate_secret",
            WebhookWithSecret,
            webhook_id=webhook_id,
            user_id=user_id,
            if_match=if_match,
            secret=new_secret(),
            revoke_previous=revoke_previous,
        )
        if webhook is None:
            raise await _refused(db, user_id, webhook_id, if_match)
        await _audit(
            db,
            user_id,
            AuditAction.UPDATE,
            webhook_id,
            {"secret_rotated": True, "previous_revoked": revoke_previous},
        )
    return webhook


async def delete_webhook(
    db: Db, *, user_id: UUID, webhook_id: UUID, if_match: list[int] | None
) -> None:
    async with db.transaction():
        deleted = await db.scalar(
            "webhooks/delete", webhook_id=webhook_id, user_id=user_id, if_match=if_match
        )
        if deleted is None:
            raise await _refused(db, user_id, webhook_id, if_match)
        await _audit(db, user_id, AuditAction.DELETE, webhook_id, {})


# --- the delivery log -----------------------------------------------------------------------


async def list_deliveries(
    db: Db, *, user_id: UUID, webhook_id: UUID, limit: int, cursor: str | None
) -> DeliveryPage:
    """One page of a subscription's deliveries, newest first."""
    await get_webhook(db, user_id=user_id, webhook_id=webhook_id)
    before = BY_SEQUENCE.after(cursor)
    rows = await db.many(
        "webhooks/list_deliveries",
        Delivery,
        webhook_id=webhook_id,
        user_id=user_id,
        before_sequence=before[0],
        limit=limit + 1,
    )
    return DeliveryPage(*BY_SEQUENCE.page(rows, limit))


async def redeliver(db: Db, *, user_id: UUID, webhook_id: UUID, delivery_id: UUID) -> Delivery:
    """The delivery sent again: a new pending delivery of the same event and webhook-id."""
    await get_webhook(db, user_id=user_id, webhook_id=webhook_id)
    delivery = await db.one(
        "webhooks/redeliver",
        Delivery,
        new_id=new_id(),
        delivery_id=delivery_id,
        webhook_id=webhook_id,
        user_id=user_id,
    )
    if delivery is None:
        raise NotFound("delivery_not_found", "No such delivery of this webhook subscription")
    return delivery


async def send_test(db: Db, *, user_id: UUID, webhook_id: UUID) -> Delivery:
    """A webhook.test delivery queued for the subscription."""
    delivery = await db.one(
        "webhooks/send_test", Delivery, delivery_id=new_id(), webhook_id=webhook_id, user_id=user_id
    )
    if delivery is None:
        raise _not_found()
    return delivery
