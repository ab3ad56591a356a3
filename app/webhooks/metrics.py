"""Prometheus metrics of webhook delivery, from prometheus-client, on the worker's registry
(its `/metrics`, app/worker/run.py). Built by the worker at start, nothing at import time;
the delivery functions take it as an argument. Labels are a few fixed words.

* `kinetria_webhook_attempts_total{outcome}`: POSTs made: `delivered` (a 2xx), `refused`
  (an answer that is not a 2xx, redirects included), `no_answer` (no connection, a timeout,
  or an address refused at delivery).
* `kinetria_webhook_deliveries_total{outcome}`: deliveries that ended: `delivered`, or
  `failed` (given up about 24 hours after it was made).
* `kinetria_webhook_subscriptions_disabled_total`: subscriptions turned off after 50 failed
  attempts in a row.
* `kinetria_webhook_attempt_duration_seconds`: one POST, from resolving the host to the
  answer read (at most 4 KiB).
* `kinetria_webhook_delivery_delay_seconds`: from the change that made the event (the
  change-log row's time, its transaction's start) to the 2xx, for change-log events (not
  tests or resends); retried deliveries count with their whole wait.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

ATTEMPT_OUTCOMES = ("delivered", "refused", "no_answer")
DELIVERY_OUTCOMES = ("delivered", "failed")
ATTEMPT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# commit to delivery: fine steps around the 1 s target, then the retry schedule's scale
DELAY_BUCKETS = (
    0.05,
    0.1,
    0.2,
    0.3,
    0.5,
    0.75,
    1.0,
    1.5,
    2.0,
    5.0,
    10.0,
    60.0,
    600.0,
    3600.0,
    6 * 3600.0,
    24 * 3600.0,
)


class WebhookMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.attempts = Counter(
            "kinetria_webhook_attempts",
            "Webhook POSTs, by outcome: delivered (2xx), refused (another answer), no_answer "
            "(connection error, timeout or address refused)",
            ["outcome"],
            registry=r,
        )
        self.deliveries = Counter(
            "kinetria_webhook_deliveries",
            "Webhook deliveries that ended, by outcome: delivered, or failed (given up after "
            "about 24 h of retries)",
            ["outcome"],
            registry=r,
        )
        self.disabled = Counter(
            "kinetria_webhook_subscriptions_disabled",
            "Webhook subscriptions disabled after 50 failed attempts in a row",
            registry=r,
        )
        self.attempt_duration = Histogram(
            "kinetria_webhook_attempt_duration_seconds",
            "One webhook POST: resolving the host, connecting, sending, reading the answer",
            buckets=ATTEMPT_BUCKETS,
            registry=r,
        )
        self.delay = Histogram(
            "kinetria_webhook_delivery_delay_seconds",
            "From the change that made a change-log event to its delivery's 2xx (retries included)",
            buckets=DELAY_BUCKETS,
            registry=r,
        )
        # every fixed label value exists from the start, so a chart shows 0, not nothing
        for outcome in ATTEMPT_OUTCOMES:
            self.attempts.labels(outcome)
        for outcome in DELIVERY_OUTCOMES:
            self.deliveries.labels(outcome)
