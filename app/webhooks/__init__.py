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

`models.py` holds a subscription's documents and the bodies accepted, `operations.py` the
plain functions that run `queries/webhooks/`; the routes are declared here.
"""

from __future__ import annotations

from litestar import Response, delete, get, patch, post
from litestar.params import JSONBody

from app.core.calls import calling, shown_once
from app.core.dependencies import NEEDS_SETTINGS, SETTINGS
from app.core.http import CREATED_HEADERS, ETAG_HEADER, responses
from app.core.resource import PAGING, Resource, listing
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


WEBHOOKS = Resource("/v1/webhooks", "webhook_id", tags=["webhooks"])
_ID = (WEBHOOKS.param,)

index = listing(
    list_webhooks,
    WebhookPage,
    operation_id="listWebhooks",
    summary="List webhook subscriptions",
    description="Your webhook subscriptions, oldest first (never their secrets). Cursor "
    "pagination.",
)
create = calling(
    post,
    "/",
    create_webhook,
    Response[Webhook],
    needs=NEEDS_SETTINGS,
    body=JSONBody[WebhookCreate],
    creates=WEBHOOKS.path,
    operation_id="createWebhook",
    summary="Subscribe a URL to your events",
    description="Creates a subscription: `url` (https in production, on a public address), "
    "`event_types` (default null: every event type), `enabled` (default true) and "
    "`description`. The answer carries the signing `secret`, shown this once: keep it to "
    "verify the signatures. At most 10 subscriptions (422 `webhook_limit_reached`). Send your "
    "own `id` to make the request safe to retry: a replay answers 200 with the stored "
    "subscription, without its secret (rotate it if the first answer was lost).",
    response_headers=CREATED_HEADERS,
    responses=shown_once(
        WebhookWithSecret,
        Webhook,
        "Created: the subscription and its signing secret, shown this once",
        409,
        422,
        codes={409: "id_conflict", 422: f"{_URL_REFUSED}, webhook_limit_reached"},
    ),
)
show = calling(
    get,
    WEBHOOKS.item,
    get_webhook,
    Response[Webhook],
    path_ids=_ID,
    if_none_match=True,
    operation_id="getWebhook",
    summary="Get a webhook subscription",
    description="One of your webhook subscriptions (never its secret).",
    response_headers=ETAG_HEADER,
    responses=responses(304, 404, codes={404: _NOT_FOUND}),
)
update = calling(
    patch,
    WEBHOOKS.item,
    update_webhook,
    Response[Webhook],
    path_ids=_ID,
    needs=NEEDS_SETTINGS,
    body=JSONBody[WebhookPatch],
    if_match=True,
    etagged=True,
    operation_id="updateWebhook",
    summary="Change a webhook subscription",
    description="Changes the fields given: `url`, `event_types` (null: every event type), "
    "`enabled`, `description`. Enabling a subscription that was disabled after failing "
    "clears its count of failures.",
    response_headers=ETAG_HEADER,
    responses=responses(404, 412, 422, codes={404: _NOT_FOUND, 422: _URL_REFUSED}),
)
rotate = calling(
    post,
    f"{WEBHOOKS.item}/rotate-secret",
    rotate_secret,
    Response[WebhookWithSecret],
    path_ids=_ID,
    body=(JSONBody[SecretRotation | None], None),
    if_match=True,
    etagged=True,
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
remove = calling(
    delete,
    WEBHOOKS.item,
    delete_webhook,
    None,
    path_ids=_ID,
    if_match=True,
    operation_id="deleteWebhook",
    summary="Delete a webhook subscription",
    description="Deletes one of your webhook subscriptions and its delivery log; nothing more "
    "is sent to it.",
    responses=responses(404, 412, codes={404: _NOT_FOUND}),
)
deliveries = calling(
    get,
    f"{WEBHOOKS.item}/deliveries",
    list_deliveries,
    DeliveryPage,
    path_ids=_ID,
    needs=PAGING,
    operation_id="listWebhookDeliveries",
    summary="A webhook's delivery log",
    description="The deliveries of one of your subscriptions, newest first: the event "
    "(`event_type`, its change-log `position`, the `payload` POSTed), its `webhook-id` "
    "(`message_id`), `status`, `attempts`, `last_status_code`, `last_error`, "
    "`next_attempt_at` (while pending) and `delivered_at`. Cursor pagination.",
    responses=responses(404, codes={400: "invalid_cursor", 404: _NOT_FOUND}),
)
retry = calling(
    post,
    f"{WEBHOOKS.item}/deliveries/{{delivery_id:uuid}}/retry",
    redeliver,
    Delivery,
    path_ids=(WEBHOOKS.param, "delivery_id"),
    body=(JSONBody[NoOptions | None], None),
    body_as=None,
    operation_id="retryWebhookDelivery",
    summary="Send a delivery again",
    description="Queues the event of this delivery again, after what is already queued for "
    "the subscription, with the same `webhook-id` (a receiver that has it already can "
    "drop it). Answers the new delivery.",
    status_code=202,
    responses=responses(404, codes={404: f"{_NOT_FOUND}, delivery_not_found"}),
)
queue_test_event = calling(
    post,
    f"{WEBHOOKS.item}/test",
    send_test,
    Delivery,
    path_ids=_ID,
    body=(JSONBody[NoOptions | None], None),
    body_as=None,
    operation_id="testWebhook",
    summary="Send a test event",
    description="Queues a `webhook.test` event for this subscription, after what is "
    "already queued for it (a disabled subscription keeps it until enabled). Answers the "
    "delivery; follow it in the delivery log.",
    status_code=202,
    responses=responses(404, codes={404: _NOT_FOUND}),
)

router = WEBHOOKS.router(
    index,
    create,
    show,
    update,
    rotate,
    remove,
    deliveries,
    retry,
    queue_test_event,
    dependencies=SETTINGS,
)
