"""The background jobs of webhooks, on the worker's procrastinate App (app/worker).

* `webhooks.dispatch`, periodic (every second, one waiting at a time): for about
  a second it looks every 100 ms for new change-log events (the fan-out) and for
  subscriptions with a delivery due, and defers a `webhooks.deliver` job for each (at most
  one waiting per subscription: `queueing_lock`). The API's requests do nothing for
  webhooks beyond writing their change-log row; the worker finds the work itself.
* `webhooks.prune`, daily: delivered and failed deliveries and processed events older than
  30 days are deleted.
* `webhooks.deliver` sends one subscription's due deliveries in order
  (app/webhooks/delivery.py), under that subscription's delivery lock.

A job lost with a killed worker costs nothing: the next dispatch finds the same events or
the same due deliveries and defers the job again, and a delivery whose POST was cut off is
still pending, so it is sent again with the same webhook-id.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from uuid import UUID

import procrastinate
from procrastinate import exceptions
from procrastinate.tasks import configure_task

from app.core.db import Db
from app.webhooks import delivery
from app.webhooks.metrics import WebhookMetrics
from app.worker import JobContext, app, settings_of
from app.worker.db import job_db

DISPATCH_WINDOW_S = 0.9  # each dispatch job polls this long; a new one starts every second
POLL_S = 0.1
QUEUE = "webhooks"


def _metrics(context: JobContext) -> WebhookMetrics | None:
    """The running worker's webhook metrics (none when the job runs outside a worker)."""
    metrics = getattr(context.additional_context.get("metrics"), "webhooks", None)
    return metrics if isinstance(metrics, WebhookMetrics) else None


async def _defer_delivery(jobs: procrastinate.App, subscription_id: UUID) -> None:
    """A `webhooks.deliver` job for the subscription, unless one is waiting already (it will
    send these deliveries too)."""
    with suppress(exceptions.AlreadyEnqueued):
        await configure_task(
            name="webhooks.deliver",
            job_manager=jobs.job_manager,  # the running worker's, not the App's at import
            queue=QUEUE,
            queueing_lock=f"webhook:{subscription_id}",
        ).defer_async(subscription_id=str(subscription_id))


async def dispatch_once(db: Db, jobs: procrastinate.App) -> int:
    """One pass: fan out new events, defer a delivery job for each subscription with work.
    How many jobs it asked for."""
    subscriptions: set[UUID] = set()
    while True:
        fanned = await delivery.fan_out(db)
        subscriptions.update(fanned)
        if len(fanned) < 100:
            break
    subscriptions.update(await delivery.due_subscriptions(db))
    for subscription_id in subscriptions:
        await _defer_delivery(jobs, subscription_id)
    return len(subscriptions)


@app.periodic(cron="* * * * * *", periodic_id="webhooks.dispatch")
@app.task(
    name="webhooks.dispatch",
    queue=QUEUE,
    # at most one waiting; no `lock`: a job waiting on a lock is only fetched at the
    # worker's next poll (seconds), and two dispatch passes at once are harmless anyway
    # (the fan-out skips what another locks, deliver jobs are deduplicated)
    queueing_lock="webhooks.dispatch",
    pass_context=True,
)
async def dispatch(context: JobContext, timestamp: int) -> None:
    settings = settings_of(context)
    deadline = time.monotonic() + DISPATCH_WINDOW_S
    async with job_db(settings) as db:
        while True:
            await dispatch_once(db, context.app)
            if time.monotonic() + POLL_S > deadline:
                return
            await asyncio.sleep(POLL_S)


@app.task(name="webhooks.deliver", queue=QUEUE, pass_context=True)
async def deliver(context: JobContext, *, subscription_id: str) -> None:
    settings = settings_of(context)
    async with job_db(settings) as db, delivery.new_client() as http:
        await delivery.deliver_subscription(
            db,
            http,
            subscription_id=UUID(subscription_id),
            allow_private=settings.webhook_allow_private,
            metrics=_metrics(context),
        )


@app.periodic(cron="17 3 * * *", periodic_id="webhooks.prune")
@app.task(name="webhooks.prune", queue=QUEUE, queueing_lock="webhooks.prune", pass_context=True)
async def prune(context: JobContext, timestamp: int) -> None:
    async with job_db(settings_of(context)) as db:
        await delivery.prune(db)
