"""Webhooks end to end, as they run: a real `kinetria serve` (with the worker child it starts)
on the test's database and real receivers on loopback. A session finished through the API
arrives signed at the receiver, with the session's document; the worker's /metrics shows
the attempts (delivered, refused, no answer), the deliveries and the delay from the change
to its delivery."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from tests.webhook_receiver import free_port, receiver_running


@dataclass
class Served:
    api: str
    worker: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_until(check: Callable[[], bool], what: str, served: Served, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout:g} s:\n{served.output()[-4000:]}")
        time.sleep(0.1)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def serving(db_url: str, home: Path) -> Generator[Served]:
    """`kinetria serve` on `db_url` with its worker child, webhooks to loopback allowed (as
    in development); both answer /health before the block runs. Stopped with SIGTERM."""
    port, worker_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SMTP_URL", "PROMETHEUS_MULTIPROC_DIR")}
    env |= {
        "DATABASE_URL": db_url,
        "KINETRIA_HOME": str(home),
        "SERVE_WORKER": "true",
        "WORKER_PORT": str(worker_port),
        "WORKER_STOP_TIMEOUT_S": "2",
        "WEBHOOK_ALLOW_PRIVATE": "true",
        "LOG_LEVEL": "INFO",
    }
    home.mkdir(parents=True, exist_ok=True)
    log = home / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    served = Served(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{worker_port}", log)
    try:
        wait_until(lambda: answers(f"{served.api}/health"), "answer from serve's /health", served)
        wait_until(lambda: answers(f"{served.worker}/health"), "answer from the worker", served)
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def sample(metrics: str, name: str) -> float:
    """The value of one sample (`name` with its labels, as exposed), 0 when absent."""
    match = re.search(rf"^{re.escape(name)} (\S+)$", metrics, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_a_session_finished_through_the_api_arrives_signed_and_is_counted(
    db_url: str, tmp_path: Path
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/hooks"  # nothing listens there
    with (
        serving(db_url, tmp_path / "home") as served,
        receiver_running() as receiver,
        receiver_running(default=500) as failing,
        httpx.Client(base_url=served.api, timeout=10) as api,
    ):
        registered = api.post(
            "/v1/auth/register",
            json={
                "email": "webhooks-e2e@example.com",
                "password": "correct horse battery staple",
                "display_name": "Hook",
            },
        )
        assert registered.status_code == 201, registered.text
        api.headers["Authorization"] = f"Bearer {registered.json()['access_token']}"

        def subscribe(url: str) -> dict[str, Any]:
            created = api.post(
                "/v1/webhooks", json={"url": url, "event_types": ["session.completed"]}
            )
            assert created.status_code == 201, created.text
            return created.json()

        hook = subscribe(receiver.url)
        refused = subscribe(failing.url)
        unreachable = subscribe(closed)

        started = api.post("/v1/sessions", json={"timezone": "Europe/Paris"})
        assert started.status_code == 201, started.text
        session_id = started.json()["id"]
        finished = api.post(f"/v1/sessions/{session_id}/finish")
        assert finished.status_code == 200, finished.text

        wait_until(lambda: len(receiver.received) >= 1, "delivery to the receiver", served)
        wait_until(lambda: len(failing.received) >= 1, "attempt at the failing one", served)

        def attempted(webhook: dict[str, Any]) -> bool:
            page = api.get(f"/v1/webhooks/{webhook['id']}/deliveries").json()
            return bool(page["items"]) and page["items"][0]["attempts"] >= 1

        wait_until(lambda: attempted(unreachable), "attempt at the closed port", served)

        def scraped() -> str:
            return httpx.get(f"{served.worker}/metrics", timeout=10).text

        def counted() -> bool:  # the jobs count once their transaction has committed
            text = scraped()
            return all(
                sample(text, name) >= 1
                for name in (
                    'kinetria_webhook_attempts_total{outcome="refused"}',
                    'kinetria_webhook_attempts_total{outcome="no_answer"}',
                    'kinetria_worker_jobs_total{outcome="succeeded",task="webhooks.deliver"}',
                    # a dispatch pass lasts about a second: the one that found the event
                    # may still be running when the deliveries are done
                    'kinetria_worker_jobs_total{outcome="succeeded",task="webhooks.dispatch"}',
                )
            )

        wait_until(counted, "attempts counted on the worker's /metrics", served)
        metrics = scraped()
        session = api.get(f"/v1/sessions/{session_id}").json()
        log = api.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"]

    # the one event this subscription wants, signed with its secret
    [got] = receiver.received
    payload = Verifier(hook["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "session.completed"
    assert payload["data"]["entity_type"] == "session"
    assert payload["data"]["entity_id"] == session_id
    document = payload["data"]["document"]
    assert document["status"] == "completed"
    assert document["version"] == session["version"] == payload["data"]["version"]
    assert document == {k: v for k, v in session.items() if k != "sets"}
    [entry] = log
    assert (entry["status"], entry["attempts"], entry["message_id"]) == (
        "delivered",
        1,
        got.message_id,
    )
    assert Verifier(refused["secret"]).verify(failing.received[0].body, failing.received[0].headers)

    # the worker counted them: one 2xx, at least one refusal and one attempt with no answer
    # (their retries come 10 s later), the delivery and its delay from the change
    assert sample(metrics, 'kinetria_webhook_attempts_total{outcome="delivered"}') == 1
    assert sample(metrics, 'kinetria_webhook_attempts_total{outcome="refused"}') >= 1
    assert sample(metrics, 'kinetria_webhook_attempts_total{outcome="no_answer"}') >= 1
    assert sample(metrics, 'kinetria_webhook_deliveries_total{outcome="delivered"}') == 1
    assert sample(metrics, 'kinetria_webhook_deliveries_total{outcome="failed"}') == 0
    assert sample(metrics, "kinetria_webhook_subscriptions_disabled_total") == 0
    assert sample(metrics, "kinetria_webhook_delivery_delay_seconds_count") == 1
    assert sample(metrics, 'kinetria_webhook_delivery_delay_seconds_bucket{le="+Inf"}') == 1
    assert sample(metrics, "kinetria_webhook_attempt_duration_seconds_count") >= 3
    # and the jobs that did it, by task and outcome, next to the queue's own figures
    assert (
        sample(metrics, 'kinetria_worker_jobs_total{outcome="succeeded",task="webhooks.deliver"}')
        >= 1
    )
    assert (
        sample(metrics, 'kinetria_worker_jobs_total{outcome="succeeded",task="webhooks.dispatch"}')
        >= 1
    )
    assert "# TYPE kinetria_worker_queue_jobs gauge" in metrics
