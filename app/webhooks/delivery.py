"""Delivering webhooks: new change-log events become deliveries (the fan-out), and each
subscription's deliveries are POSTed in order, signed, retried with backoff (the sender).
Both are plain functions of a Db, run by background jobs (app/webhooks/jobs.py); none of
this runs in a request.

* **Fan-out** (`fan_out`): for subscriptions whose owner's change log grew past
  `enqueued_through`, one pending delivery per new event of a wanted type, in change-log
  order, and the subscription's position moves on, in one statement (queries/webhooks/
  fan_out.sql). Workers running it at once take different subscriptions (SKIP LOCKED).
* **Sender** (`deliver_subscription`): holds the subscription's delivery lock (a session
  advisory lock: one sender per subscription, released by PostgreSQL if the worker dies)
  and sends the head of its queue while it is due; a failed attempt is rescheduled with
  exponential backoff and jitter, and the deliveries after it wait (change-log order per
  subscription). About 24 hours after a delivery was made it is marked failed and the
  queue moves on. After 50 failed attempts in a row the subscription is disabled, and a
  `webhook.disabled` event about it is written to its owner's change log in the same
  transaction (the sync feed shows it; the fan-out sends it to the user's other enabled
  subscriptions).
* **At least once.** A delivery is marked delivered only after a 2xx answer, in the
  transaction that records it in `processed_events`; a worker killed between the POST and
  that commit leaves it pending, and it is sent again with the same `webhook-id`.
* **One HTTP request** (`send`): to the address resolved and checked now
  (app/webhooks/addresses.py), connect timeout 3 s, 10 s in all, no redirects followed, at
  most 4 KiB of the answer read; Standard Webhooks headers, signed with the current secret
  and, for 24 h after a rotation, the previous one.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import msgspec
from standardwebhooks.webhooks import Webhook as Signer

from app.changelog import record_one
from app.core.db import Db
from app.core.enums import ChangeEventType
from app.webhooks.addresses import RefusedAddress, resolve
from app.webhooks.metrics import WebhookMetrics
from app.webhooks.models import Webhook

log = logging.getLogger("kinetria.webhooks")

CONNECT_TIMEOUT_S = 3.0
REQUEST_TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 4096
RETRY_FOR = timedelta(hours=24)
BACKOFF_BASE_S = 10.0  # the first retry, doubled each time
BACKOFF_MAX_S = 4 * 3600.0  # the longest wait between two attempts
JITTER = 0.2  # each wait is drawn from ±20 % around its value
MAX_CONSECUTIVE_FAILURES = 50
PROCESSED_HANDLER = "webhooks.deliver"
KEEP_LOG = timedelta(days=30)  # delivered and failed deliveries, and processed events
USER_AGENT = "Kinetria-Webhooks/1"


class SubscriptionId(msgspec.Struct):
    id: UUID


class DueDelivery(msgspec.Struct):
    id: UUID
    subscription_id: UUID
    user_id: UUID
    message_id: str
    event_type: str
    payload: dict[str, Any]
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    event_at: datetime | None  # the change-log event's time; None for tests and resends
    url: str
    secrets: list[str]


class Outcome(msgspec.Struct):
    """What one attempt got: a status code (any answer), or an error (no answer)."""

    status_code: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signature(secrets: list[str], message_id: str, timestamp: datetime, body: str) -> str:
    """The webhook-signature header: `v1,<base64 HMAC-SHA256>` for each secret, space
    separated (Standard Webhooks)."""
    return " ".join(Signer(s).sign(message_id, timestamp, body) for s in secrets)


def backoff_s(failed_attempts: int, *, base_s: float = BACKOFF_BASE_S) -> float:
    """The wait before the next attempt after `failed_attempts` failures: `base_s` doubled
    each time, at most 4 h, with ±20 % jitter so that receivers coming back up are not hit
    by every retry at once. With the defaults: 10 s, 20 s, 40 s, … 2.8 h, then every 4 h,
    about 14 attempts in the 24 h."""
    wait = min(base_s * 2 ** max(failed_attempts - 1, 0), BACKOFF_MAX_S)
    return wait * random.uniform(1 - JITTER, 1 + JITTER)


def new_client() -> httpx.AsyncClient:
    """The HTTP client deliveries go through: no redirects, no proxies from the
    environment, certificates verified."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(REQUEST_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
    )


async def send(
    http: httpx.AsyncClient,
    *,
    url: str,
    message_id: str,
    secrets: list[str],
    body: str,
    allow_private: bool,
) -> Outcome:
    """POST one delivery, once."""
    try:
        destination = await resolve(url, allow_private=allow_private)
    except RefusedAddress as exc:
        return Outcome(error=str(exc))
    now = datetime.now(UTC)
    headers = {
        "Host": destination.host,
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature(secrets, message_id, now, body),
    }
    extensions = {"sni_hostname": destination.server_name}
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_S):
            request = http.build_request(
                "POST", destination.url, headers=headers, content=body, extensions=extensions
            )
            response = await http.send(request, stream=True)
            try:
                read = 0
                async for chunk in response.aiter_raw():
                    read += len(chunk)
                    if read >= MAX_RESPONSE_BYTES:
                        break  # the rest is never read
            finally:
                await response.aclose()
    except TimeoutError:
        return Outcome(error=f"no answer within {REQUEST_TIMEOUT_S:g} s")
    except httpx.ConnectTimeout:
        return Outcome(error=f"could not connect within {CONNECT_TIMEOUT_S:g} s")
    except httpx.HTTPError as exc:
        return Outcome(error=f"{type(exc).__name__}: {exc}"[:1000] or type(exc).__name__)
    outcome = Outcome(status_code=response.status_code)
    if not outcome.delivered:
        where = response.headers.get("location")
        outcome.error = (
            f"redirect to {where} not followed"
            if 300 <= response.status_code < 400 and where
            else f"HTTP {response.status_code}"
        )
    return outcome


async def fan_out(db: Db, *, batch: int = 100) -> list[UUID]:
    """New change-log events as deliveries; the subscriptions that got some. Run until it
    returns fewer than `batch` to catch up."""
    rows = await db.many("webhooks/fan_out", SubscriptionId, batch=batch)
    return [row.id for row in rows]


async def due_subscriptions(db: Db, *, limit: int = 1000) -> list[UUID]:
    """Subscriptions with a pending delivery due now."""
    rows = await db.many("webhooks/due", SubscriptionId, limit=limit)
    return [row.id for row in rows]


async def deliver_subscription(
    db: Db,
    http: httpx.AsyncClient,
    *,
    subscription_id: UUID,
    allow_private: bool,
    backoff_base_s: float = BACKOFF_BASE_S,
    max_deliveries: int = 500,
    metrics: WebhookMetrics | None = None,
) -> None:
    """Send the due head of one subscription's queue, then the next, until the queue is
    empty, its head not due or an attempt fails (then the rest waits), or `max_deliveries`
    were sent. Nothing when another sender holds the subscription."""
    if not await db.scalar("webhooks/try_lock", subscription_id=subscription_id):
        return
    try:
        for _ in range(max_deliveries):
            head = await db.one(
                "webhooks/next_delivery", DueDelivery, subscription_id=subscription_id
            )
            if head is None or head.next_attempt_at > datetime.now(UTC):
                return
            if not await _attempt(db, http, head, allow_private, backoff_base_s, metrics):
                return
    finally:
        await db.scalar("webhooks/unlock", subscription_id=subscription_id)


async def _attempt(
    db: Db,
    http: httpx.AsyncClient,
    head: DueDelivery,
    allow_private: bool,
    base_s: float,
    metrics: WebhookMetrics | None,
) -> bool:
    """One attempt of `head`: whether it was delivered (then go on with the next)."""
    event_id = str(head.id)
    if await db.scalar("webhooks/processed", handler=PROCESSED_HANDLER, event_id=event_id):
        # delivered by an earlier run whose bookkeeping committed: never POST it twice
        await db.execute("webhooks/delivered", delivery_id=head.id, status_code=None)
        return True
    body = msgspec.json.encode(head.payload).decode()
    started = time.perf_counter()
    outcome = await send(
        http,
        url=head.url,
        message_id=head.message_id,
        secrets=head.secrets,
        body=body,
        allow_private=allow_private,
    )
    duration = time.perf_counter() - started
    log.info(
        "webhook attempt",
        extra={
            "subscription_id": str(head.subscription_id),
            "delivery_id": event_id,
            "event_type": head.event_type,
            "attempt": head.attempts + 1,
            "status_code": outcome.status_code,
            "error": outcome.error,
            "duration_ms": round(duration * 1000, 1),
        },
    )
    if metrics is not None:
        metrics.attempt_duration.observe(duration)
    if outcome.delivered:
        async with db.transaction():
            await db.scalar(
                "webhooks/record_processed", handler=PROCESSED_HANDLER, event_id=event_id
            )
            await db.execute(
                "webhooks/delivered", delivery_id=head.id, status_code=outcome.status_code
            )
        if metrics is not None:
            _count_delivered(metrics, head)
        return True
    await _failed(db, head, outcome, base_s, metrics)
    return False


async def _failed(
    db: Db, head: DueDelivery, outcome: Outcome, base_s: float, metrics: WebhookMetrics | None
) -> None:
    """Record a failed attempt of `head`: its next attempt after a backoff, or its end when
    it is past RETRY_FOR; the subscription disabled after too many failures in a row."""
    next_attempt_at = datetime.now(UTC) + timedelta(
        seconds=backoff_s(head.attempts + 1, base_s=base_s)
    )
    async with db.transaction():
        disabled = await db.scalar(
            "webhooks/attempt_failed",
            delivery_id=head.id,
            status_code=outcome.status_code,
            error=outcome.error or "",
            next_attempt_at=next_attempt_at,
            give_up_at=head.created_at + RETRY_FOR,
            max_failures=MAX_CONSECUTIVE_FAILURES,
        )
        if disabled:
            await _record_disabled(db, head)
    if metrics is not None:
        metrics.attempts.labels("refused" if outcome.status_code is not None else "no_answer").inc()
        if next_attempt_at > head.created_at + RETRY_FOR:  # as attempt_failed decides
            metrics.deliveries.labels("failed").inc()
        if disabled:
            metrics.disabled.inc()


def _count_delivered(metrics: WebhookMetrics, head: DueDelivery) -> None:
    metrics.attempts.labels("delivered").inc()
    metrics.deliveries.labels("delivered").inc()
    if head.event_at is not None:
        metrics.delay.observe(max(0.0, (datetime.now(UTC) - head.event_at).total_seconds()))


async def _record_disabled(db: Db, head: DueDelivery) -> None:
    """`webhook.disabled` in the owner's change log, in the transaction that disabled the
    subscription: the user's other enabled subscriptions get it through the fan-out."""
    subscription = await db.one(
        "webhooks/disabled_document",
        Webhook,
        subscription_id=head.subscription_id,
        user_id=head.user_id,
    )
    if subscription is None:  # gone meanwhile: nothing to tell
        return
    log.warning(
        "webhook subscription disabled",
        extra={"subscription_id": str(head.subscription_id), "reason": "failures"},
    )
    await record_one(
        db,
        user_id=head.user_id,
        event_type=ChangeEventType.WEBHOOK_DISABLED,
        entity_id=head.subscription_id,
        version=subscription.version,
        document=msgspec.to_builtins(subscription),
    )


async def prune(db: Db, *, keep: timedelta = KEEP_LOG, batch: int = 10_000) -> None:
    """Forget delivered and failed deliveries, and processed events, older than `keep`, in
    batches (short transactions, no long lock)."""
    before = datetime.now(UTC) - keep
    while await db.execute("webhooks/prune_deliveries", before=before, limit=batch) == batch:
        pass
    while await db.execute("webhooks/prune_processed", before=before, limit=batch) == batch:
        pass
