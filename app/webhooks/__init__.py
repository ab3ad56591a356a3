"""Webhooks: a user's events POSTed to URLs of their choice, signed (Standard Webhooks).

Routes: `GET/POST /v1/webhooks`, `GET/PATCH/DELETE /v1/webhooks/{webhook_id}`,
`POST /v1/webhooks/{webhook_id}/rotate-secret`, `GET /v1/webhooks/{webhook_id}/deliveries`,
`POST /v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry`,
`POST /v1/webhooks/{webhook_id}/test`. Delivery itself is app/webhooks/delivery.py, run by
the worker.

* A subscription has a URL, the event types wanted (null: all), enabled or not, and a
  description. At most 10 per user (422 `webhook_limit_reached`).
* The signing secret is made by the server and shown in the answer to the create, and to a
  rotation, only. A rotation keeps the secret it replaces signing too for 24 hours, so
  receivers can switch without losing a delivery.
* The URL is checked when written (app/webhooks/addresses.py) and its host again at every
  delivery: public addresses only, https in production.
* Creates are safe to retry with the client's own `id` (a replay answers 200 without the
  secret: rotate it if the first answer was lost).

The Structs are in `models.py`, the operations (plain functions running `queries/webhooks/`)
in `operations.py`; this module holds the handlers and the router.
"""

from __future__ import annotations

from uuid import UUID

from litestar import Response, Router, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from app.core.config import Settings
from app.core.db import Db
from app.core.http import (
    CREATED_HEADERS,
    ETAG_HEADER,
    IfMatch,
    IfNoneMatch,
    conditional_get,
    created,
    if_match_versions,
    replay_response,
    responses,
    with_etag,
)
from app.core.pagination import CursorParam, LimitParam
from app.core.security import CurrentUser
from app.users import provide_settings
from app.webhooks.models import (
    Delivery,
    DeliveryPage,
    NoOptions,
    SecretRotation,
    Webhook,
    WebhookCreate,
    WebhookPage,
    WebhookPatch,
    WebhookWithSecret,
)
from app.webhooks.operations import (
    create_webhook,
    delete_webhook,
    get_webhook,
    list_deliveries,
    list_webhooks,
    redeliver,
    rotate_secret,
    send_test,
    update_webhook,
)

_NOT_FOUND = "webhook_not_found"
_URL_REFUSED = "invalid_url, https_required, private_address"


@get(
    "/",
    operation_id="listWebhooks",
    summary="List webhook subscriptions",
    description="Your webhook subscriptions, oldest first (never their secrets). Cursor "
    "pagination.",
    responses=responses(codes={400: "invalid_cursor"}),
)
async def index(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    limit: int = LimitParam,
    cursor: str | None = CursorParam,
) -> WebhookPage:
    return await list_webhooks(db, user_id=current_user.id, limit=limit, cursor=cursor)


@post(
    "/",
    operation_id="createWebhook",
    summary="Subscribe a URL to your events",
    description="Creates a subscription: `url` (https in production, on a public address), "
    "`event_types` (default null: every event type), `enabled` (default true) and "
    "`description`. The answer carries the signing `secret`, shown this once: keep it to "
    "verify the signatures. At most 10 subscriptions (422 `webhook_limit_reached`). Send your "
    "own `id` to make the request safe to retry: a replay answers 200 with the stored "
    "subscription, without its secret (rotate it if the first answer was lost).",
    response_headers=CREATED_HEADERS,
    responses={
        201: ResponseSpec(
            data_container=WebhookWithSecret,
            description="Created: the subscription and its signing secret, shown this once",
        ),
        **replay_response(Webhook),
        **responses(
            409,
            422,
            codes={409: "id_conflict", 422: f"{_URL_REFUSED}, webhook_limit_reached"},
        ),
    },
)
async def create(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    settings: NamedDependency[Settings],
    data: JSONBody[WebhookCreate],
) -> Response[Webhook]:
    webhook, replayed = await create_webhook(
        db, user_id=current_user.id, data=data, settings=settings
    )
    return created(webhook, webhook.version, f"/v1/webhooks/{webhook.id}", replayed=replayed)


@get(
    "/{webhook_id:uuid}",
    operation_id="getWebhook",
    summary="Get a webhook subscription",
    description="One of your webhook subscriptions (never its secret).",
    response_headers=ETAG_HEADER,
    responses=responses(304, 404, codes={404: _NOT_FOUND}),
)
async def show(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    webhook_id: FromPath[UUID],
    if_none_match: IfNoneMatch = None,
) -> Response[Webhook]:
    webhook = await get_webhook(db, user_id=current_user.id, webhook_id=webhook_id)
    return conditional_get(webhook, webhook.version, if_none_match)


@patch(
    "/{webhook_id:uuid}",
    operation_id="updateWebhook",
    summary="Change a webhook subscription",
    description="Changes the fields given: `url`, `event_types` (null: every event type), "
    "`enabled`, `description`. Enabling a subscription that was disabled after failing "
    "clears its count of failures.",
    response_headers=ETAG_HEADER,
    responses=responses(404, 412, 422, codes={404: _NOT_FOUND, 422: _URL_REFUSED}),
)
async def update(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    settings: NamedDependency[Settings],
    webhook_id: FromPath[UUID],
    data: JSONBody[WebhookPatch],
    if_match: IfMatch = None,
) -> Response[Webhook]:
    webhook = await update_webhook(
        db,
        user_id=current_user.id,
        webhook_id=webhook_id,
        data=data,
        if_match=if_match_versions(if_match),
        settings=settings,
    )
    return with_etag(webhook, webhook.version)


@post(
    "/{webhook_id:uuid}/rotate-secret",
    operation_id="rotateWebhookSecret",
    summary="Rotate a webhook's signing secret",
    description="Makes a new signing secret and answers it, shown this once. For 24 hours "
    "(until `previous_secret_expires_at`) deliveries are signed with both the new and the "
    "replaced secret, so a receiver verifying either accepts them; a secret replaced before "
    'that stops signing at once. With `{"revoke_previous": true}` (a leaked secret) the '
    "replaced secret stops signing at once.",
    status_code=200,
    response_headers=ETAG_HEADER,
    responses=responses(404, 412, codes={404: _NOT_FOUND}),
)
async def rotate(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    webhook_id: FromPath[UUID],
    data: JSONBody[SecretRotation | None] = None,
    if_match: IfMatch = None,
) -> Response[WebhookWithSecret]:
    webhook = await rotate_secret(
        db,
        user_id=current_user.id,
        webhook_id=webhook_id,
        if_match=if_match_versions(if_match),
        revoke_previous=data.revoke_previous if data else False,
    )
    return with_etag(webhook, webhook.version)


@delete(
    "/{webhook_id:uuid}",
    operation_id="deleteWebhook",
    summary="Delete a webhook subscription",
    description="Deletes one of your webhook subscriptions and its delivery log; nothing more "
    "is sent to it.",
    responses=responses(404, 412, codes={404: _NOT_FOUND}),
)
async def remove(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    webhook_id: FromPath[UUID],
    if_match: IfMatch = None,
) -> None:
    await delete_webhook(
        db, user_id=current_user.id, webhook_id=webhook_id, if_match=if_match_versions(if_match)
    )


@get(
    "/{webhook_id:uuid}/deliveries",
    operation_id="listWebhookDeliveries",
    summary="A webhook's delivery log",
    description="The deliveries of one of your subscriptions, newest first: the event "
    "(`event_type`, its change-log `position`, the `payload` POSTed), its `webhook-id` "
    "(`message_id`), `status`, `attempts`, `last_status_code`, `last_error`, "
    "`next_attempt_at` (while pending) and `delivered_at`. Cursor pagination.",
    responses=responses(404, codes={400: "invalid_cursor", 404: _NOT_FOUND}),
)
async def deliveries(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    webhook_id: FromPath[UUID],
    limit: int = LimitParam,
    cursor: str | None = CursorParam,
) -> DeliveryPage:
    return await list_deliveries(
        db, user_id=current_user.id, webhook_id=webhook_id, limit=limit, cursor=cursor
    )


@post(
    "/{webhook_id:uuid}/deliveries/{delivery_id:uuid}/retry",
    operation_id="retryWebhookDelivery",
    summary="Send a delivery again",
    description="Queues the event of this delivery again, after what is already queued for "
    "the subscription, with the same `webhook-id` (a receiver that has it already can "
    "drop it). Answers the new delivery.",
    status_code=202,
    responses=responses(404, codes={404: f"{_NOT_FOUND}, delivery_not_found"}),
)
async def retry(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    webhook_id: FromPath[UUID],
    delivery_id: FromPath[UUID],
    data: JSONBody[NoOptions | None] = None,
) -> Delivery:
    return await redeliver(
        db, user_id=current_user.id, webhook_id=webhook_id, delivery_id=delivery_id
    )


@post(
    "/{webhook_id:uuid}/test",
    operation_id="testWebhook",
    summary="Send a test event",
    description="Queues a `webhook.test` event for this subscription, after what is "
    "already queued for it (a disabled subscription keeps it until enabled). Answers the "
    "delivery; follow it in the delivery log.",
    status_code=202,
    responses=responses(404, codes={404: _NOT_FOUND}),
)
async def queue_test_event(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    webhook_id: FromPath[UUID],
    data: JSONBody[NoOptions | None] = None,
) -> Delivery:
    return await send_test(db, user_id=current_user.id, webhook_id=webhook_id)


router = Router(
    "/v1/webhooks",
    route_handlers=[
        index,
        create,
        show,
        update,
        rotate,
        remove,
        deliveries,
        retry,
        queue_test_event,
    ],
    tags=["webhooks"],
    dependencies={"settings": Provide(provide_settings, sync_to_thread=False)},
)
