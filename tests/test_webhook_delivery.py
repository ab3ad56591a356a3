"""Webhook delivery to a real HTTP receiver on loopback: Standard Webhooks signatures that
verify with the secret (and both secrets after a rotation) and fail with another; retries
with the same webhook-id until a 2xx and none after; a receiver down for a while then up
gets every event; change-log order per subscription; a sender stopped mid-delivery leads to
redelivery; a handler run twice has the effect of once; redirects not followed; private
addresses refused at delivery; give-up after 24 h; disabled after 50 failures in a row, with
a webhook.disabled event; the delivery log, resend and test routes."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from app.core.config import Settings
from app.webhooks import delivery
from tests.api import UserWithToken, all_pages
from tests.conftest import make_settings, open_db
from tests.webhook_receiver import Receiver, free_port, receiver_running

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Webhooks to loopback, as in development."""
    return make_settings(db_url, webhook_allow_private=True)


def subscribe(user: UserWithToken, url: str, **body: Any) -> dict[str, Any]:
    response = user.post("/v1/webhooks", json={"url": url, **body})
    assert response.status_code == 201, response.text
    return response.json()


def record_events(
    db_url: str,
    user_id: uuid.UUID,
    count: int = 1,
    event_type: str = "session.completed",
) -> list[int]:
    """Change-log events of `user_id`, as a write of the API records them (the counter row
    and the event in one transaction); their positions."""
    entity = event_type.split(".")[0]
    positions: list[int] = []
    with psycopg.connect(db_url, autocommit=True) as conn:
        for _ in range(count):
            with conn.transaction():
                row = conn.execute(
                    "INSERT INTO sync_counters (user_id, last_position) VALUES (%s, 1)"
                    " ON CONFLICT (user_id) DO UPDATE"
                    " SET last_position = sync_counters.last_position + 1"
                    " RETURNING last_position",
                    (user_id,),
                ).fetchone()
                assert row is not None
                document = None if event_type.endswith(".deleted") else {"name": f"n{row[0]}"}
                conn.execute(
                    "INSERT INTO change_events (user_id, position, event_type, entity_type,"
                    " entity_id, version, document)"
                    " VALUES (%s, %s, %s, %s, %s, 1, %s)",
                    (
                        user_id,
                        row[0],
                        event_type,
                        entity,
                        uuid.uuid4(),
                        None if document is None else json.dumps(document),
                    ),
                )
            positions.append(row[0])
    return positions


async def work(db_url: str, *, rounds: int = 50, allow_private: bool = True) -> None:
    """What the worker's jobs do, until nothing is left to do: fan out, then send what is
    due for each subscription (retries at once: no backoff)."""
    async with open_db(db_url) as db, delivery.new_client() as http:
        for _ in range(rounds):
            fanned = await delivery.fan_out(db)
            due = await delivery.due_subscriptions(db)
            for subscription_id in due:
                await delivery.deliver_subscription(
                    db,
                    http,
                    subscription_id=subscription_id,
                    allow_private=allow_private,
                    backoff_base_s=0,
                )
            if not fanned and not due:
                return


def deliveries(db_url: str, webhook_id: str) -> list[dict[str, Any]]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        cursor = conn.execute(
            "SELECT status::text, attempts, last_status_code, last_error, message_id, position"
            " FROM webhook_deliveries WHERE subscription_id = %s ORDER BY sequence",
            (webhook_id,),
        )
        names = [c.name for c in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_signed_as_standard_webhooks_verify_with_the_secret_and_fail_with_another(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    with receiver_running() as receiver:
        webhook = subscribe(ann, receiver.url)
        [position] = record_events(db_url, ann.id)
        asyncio.run(work(db_url))
        [got] = receiver.received
    assert got.headers["content-type"] == "application/json"
    assert got.message_id.startswith("msg_")
    assert got.headers["webhook-signature"].startswith("v1,")
    payload = Verifier(webhook["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "session.completed"
    assert payload["data"]["position"] == position
    assert payload["data"]["entity_type"] == "session"
    assert payload["data"]["document"] == {"name": f"n{position}"}
    other = "whsec_" + "A" * 43 + "="
    with pytest.raises(WebhookVerificationError):
        Verifier(other).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Verifier(webhook["secret"]).verify(got.body.replace("completed", "abandoned"), got.headers)
    [row] = deliveries(db_url, webhook["id"])
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("delivered", 1, 204)


def test_after_a_rotation_both_secrets_verify_for_24_hours(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    with receiver_running() as receiver:
        webhook = subscribe(ann, receiver.url)
        new = ann.post(f"/v1/webhooks/{webhook['id']}/rotate-secret").json()["secret"]
        record_events(db_url, ann.id)
        asyncio.run(work(db_url))
        revoked = ann.post(
            f"/v1/webhooks/{webhook['id']}/rotate-secret", json={"revoke_previous": True}
        ).json()["secret"]
        record_events(db_url, ann.id)
        asyncio.run(work(db_url))
        first, second = receiver.received
    assert len(first.headers["webhook-signature"].split(" ")) == 2
    Verifier(webhook["secret"]).verify(first.body, first.headers)
    Verifier(new).verify(first.body, first.headers)
    assert len(second.headers["webhook-signature"].split(" ")) == 1
    Verifier(revoked).verify(second.body, second.headers)
    for old in (webhook["secret"], new):
        with pytest.raises(WebhookVerificationError):
            Verifier(old).verify(second.body, second.headers)


def test_three_500s_then_200_is_four_attempts_with_one_webhook_id_and_none_after(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    with receiver_running(script=[500, 500, 500, 200]) as receiver:
        webhook = subscribe(ann, receiver.url)
        record_events(db_url, ann.id)
        asyncio.run(work(db_url))
        asyncio.run(work(db_url))  # and again: nothing more is sent
        ids = receiver.message_ids()
    assert len(ids) == 4
    assert len(set(ids)) == 1
    [row] = deliveries(db_url, webhook["id"])
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("delivered", 4, 200)
    assert row["last_error"] is None


def test_a_receiver_down_for_a_while_then_up_gets_every_event_in_order(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    receiver = Receiver(port=free_port())
    webhook = subscribe(ann, receiver.url)
    positions = record_events(db_url, ann.id, 5)
    asyncio.run(work(db_url, rounds=3))  # down: connection refused, the queue waits
    rows = deliveries(db_url, webhook["id"])
    assert [r["status"] for r in rows] == ["pending"] * 5
    assert rows[0]["attempts"] == 3
    assert "ConnectError" in rows[0]["last_error"]
    assert [r["attempts"] for r in rows[1:]] == [0] * 4  # later ones wait for the first
    positions += record_events(db_url, ann.id, 3)
    receiver.start()
    try:
        asyncio.run(work(db_url))
    finally:
        receiver.stop()
    got = [r.payload["data"]["position"] for r in receiver.received]
    assert got == positions
    assert [r["status"] for r in deliveries(db_url, webhook["id"])] == ["delivered"] * 8


def test_order_per_subscription_holds_through_failures(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    script = [500, 200, 503, 503, 200, 200, 429, 200] * 5
    with receiver_running(script=script, default=200) as receiver:
        webhook = subscribe(ann, receiver.url, event_types=["set.created"])
        wanted = record_events(db_url, ann.id, 20, "set.created")
        record_events(db_url, ann.id, 5, "set.deleted")  # not wanted
        asyncio.run(work(db_url, rounds=200))
        received = list(receiver.received)
    # first arrival of each webhook-id is in change-log order; repeats are retries only
    first_seen: dict[str, int] = {}
    for got in received:
        first_seen.setdefault(got.message_id, got.payload["data"]["position"])
    assert list(first_seen.values()) == wanted
    assert {r.payload["type"] for r in received} == {"set.created"}
    by_id = {r.message_id: r.payload["data"]["position"] for r in received}
    assert sorted(by_id.values()) == wanted
    assert len(deliveries(db_url, webhook["id"])) == 20


def test_a_handler_run_twice_has_the_effect_of_once(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    with receiver_running() as receiver:
        webhook = subscribe(ann, receiver.url)
        record_events(db_url, ann.id, 2)

        async def twice() -> None:
            async with open_db(db_url) as db, delivery.new_client() as http:
                assert await delivery.fan_out(db) == [uuid.UUID(webhook["id"])]
                assert await delivery.fan_out(db) == []  # the same events: nothing new
                for _ in range(2):
                    await delivery.deliver_subscription(
                        db,
                        http,
                        subscription_id=uuid.UUID(webhook["id"]),
                        allow_private=True,
                    )

        asyncio.run(twice())
        assert len(receiver.received) == 2
        # an event recorded as processed (its effect committed) is never sent again, even
        # if its delivery still reads pending
        record_events(db_url, ann.id)

        async def processed_first() -> None:
            async with open_db(db_url) as db:
                await delivery.fan_out(db)
            with psycopg.connect(db_url, autocommit=True) as conn:
                conn.execute(
                    "INSERT INTO processed_events (handler, event_id)"
                    " SELECT %s, id::text FROM webhook_deliveries"
                    " WHERE subscription_id = %s AND status = 'pending'",
                    (delivery.PROCESSED_HANDLER, webhook["id"]),
                )
            await work(db_url)

        asyncio.run(processed_first())
        assert len(receiver.received) == 2
    assert [r["status"] for r in deliveries(db_url, webhook["id"])] == ["delivered"] * 3


def test_a_sender_stopped_mid_delivery_leads_to_redelivery_not_loss(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    answer = threading.Event()

    with receiver_running() as receiver:
        webhook = subscribe(ann, receiver.url)
        record_events(db_url, ann.id)

        async def stopped_mid_request() -> None:
            loop = asyncio.get_running_loop()
            arrived = asyncio.Event()

            def hold(_: Any) -> None:  # the POST has arrived; its answer waits
                loop.call_soon_threadsafe(arrived.set)
                answer.wait()

            receiver.on_request = hold
            task = asyncio.create_task(work(db_url))
            await arrived.wait()
            task.cancel()  # the worker dies after the POST arrived, before its answer
            with pytest.raises(asyncio.CancelledError):
                await task
            answer.set()

        asyncio.run(stopped_mid_request())
        [row] = deliveries(db_url, webhook["id"])
        assert row["status"] == "pending"
        receiver.on_request = None
        asyncio.run(work(db_url))
        ids = receiver.message_ids()
    assert len(ids) == 2
    assert ids[0] == ids[1]
    assert deliveries(db_url, webhook["id"])[0]["status"] == "delivered"


def test_redirects_are_not_followed_and_only_2xx_counts(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    with receiver_running(
        script=[302, 200], extra_headers={"Location": "http://127.0.0.1:9/elsewhere"}
    ) as receiver:
        webhook = subscribe(ann, receiver.url)
        record_events(db_url, ann.id)
        asyncio.run(work(db_url, rounds=1))
        [row] = deliveries(db_url, webhook["id"])
        assert (row["status"], row["last_status_code"]) == ("pending", 302)
        assert "redirect" in row["last_error"]
        assert "not followed" in row["last_error"]
        asyncio.run(work(db_url))
        assert len(receiver.received) == 2
    assert deliveries(db_url, webhook["id"])[0]["status"] == "delivered"


def test_private_addresses_are_refused_at_delivery(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    with receiver_running() as receiver:
        webhook = subscribe(ann, receiver.url.replace("127.0.0.1", "localhost"))
        record_events(db_url, ann.id)
        asyncio.run(work(db_url, rounds=1, allow_private=False))
        assert receiver.received == []
    [row] = deliveries(db_url, webhook["id"])
    assert row["status"] == "pending"
    assert "private" in row["last_error"]


def test_given_up_after_24_hours_and_the_queue_moves_on(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    with receiver_running(script=[500]) as receiver:
        webhook = subscribe(ann, receiver.url)
        record_events(db_url, ann.id, 2)

        async def fan() -> None:
            async with open_db(db_url) as db:
                await delivery.fan_out(db)

        asyncio.run(fan())
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(
                "UPDATE webhook_deliveries SET created_at = now() - interval '25 hours'"
                " WHERE position = (SELECT min(position) FROM webhook_deliveries"
                " WHERE subscription_id = %s)",
                (webhook["id"],),
            )
        asyncio.run(work(db_url))
        assert len(receiver.received) == 2
    first, second = deliveries(db_url, webhook["id"])
    assert (first["status"], first["attempts"], first["last_status_code"]) == ("failed", 1, 500)
    assert second["status"] == "delivered"


def test_fifty_failures_in_a_row_disable_it_and_the_user_hears_of_it(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    with receiver_running(default=500) as failing, receiver_running() as healthy:
        webhook = subscribe(ann, failing.url)
        other = subscribe(ann, healthy.url, event_types=["workout.created"])
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(
                "UPDATE webhook_subscriptions SET consecutive_failures = 48 WHERE id = %s",
                (webhook["id"],),
            )
        record_events(db_url, ann.id, 1)
        asyncio.run(work(db_url))
        assert len(failing.received) == 2  # attempts 49 and 50, then nothing
        shown = ann.get(f"/v1/webhooks/{webhook['id']}").json()
        assert (shown["enabled"], shown["disabled_reason"], shown["consecutive_failures"]) == (
            False,
            "failures",
            50,
        )
        # the change log has the event (the sync feed's), with the subscription as shown
        with psycopg.connect(db_url, autocommit=True) as conn:
            logged = conn.execute(
                "SELECT event_type::text, entity_type::text, entity_id, version, document,"
                " position FROM change_events WHERE user_id = %s ORDER BY position DESC"
                " LIMIT 1",
                (ann.id,),
            ).fetchone()
        assert logged is not None
        event_type, entity_type, entity_id, version, document, position = logged
        assert (event_type, entity_type, str(entity_id)) == (
            "webhook.disabled",
            "webhook",
            webhook["id"],
        )
        assert version == shown["version"]
        assert document == shown
        assert "secret" not in document  # the subscription as shown, never its secrets
        # the other subscription hears of it, though it wants workout.created only
        [notice] = healthy.received
        payload = Verifier(other["secret"]).verify(notice.body, notice.headers)
        assert payload["type"] == "webhook.disabled"
        assert payload["data"]["position"] == position
        assert payload["data"]["entity_type"] == "webhook"
        assert payload["data"]["entity_id"] == webhook["id"]
        assert payload["data"]["document"]["disabled_reason"] == "failures"
        assert payload["data"]["document"]["consecutive_failures"] == 50
        assert payload["data"]["document"]["url"] == failing.url
        # while disabled, events are skipped; enabled again, it gets the next ones
        record_events(db_url, ann.id, 1)
        asyncio.run(work(db_url))
        assert len(failing.received) == 2
        failing.default = 200
        ann.patch(f"/v1/webhooks/{webhook['id']}", json={"enabled": True})
        [after] = record_events(db_url, ann.id, 1)
        asyncio.run(work(db_url))
        # the pending first delivery goes on, then the new event
        positions = [r.payload["data"]["position"] for r in failing.received[2:]]
        assert positions[-1] == after
    assert ann.get(f"/v1/webhooks/{webhook['id']}").json()["consecutive_failures"] == 0


def test_delivery_log_resend_and_test_event(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann, bob = make_user(), make_user()
    with receiver_running(script=[500]) as receiver:
        webhook = subscribe(ann, receiver.url)
        url = f"/v1/webhooks/{webhook['id']}"
        record_events(db_url, ann.id, 3)
        asyncio.run(work(db_url))
        log = all_pages(ann, f"{url}/deliveries?limit=2")
        assert [d["status"] for d in log] == ["delivered"] * 3
        assert [d["position"] for d in log] == sorted((d["position"] for d in log), reverse=True)
        oldest = log[-1]
        assert (oldest["attempts"], oldest["last_status_code"]) == (2, 204)
        assert oldest["next_attempt_at"] is None
        assert oldest["delivered_at"] is not None
        assert oldest["payload"]["type"] == "session.completed"

        resent = ann.post(f"{url}/deliveries/{oldest['id']}/retry")
        assert resent.status_code == 202, resent.text
        assert resent.json()["message_id"] == oldest["message_id"]
        assert resent.json()["status"] == "pending"
        test = ann.post(f"{url}/test")
        assert test.status_code == 202, test.text
        assert test.json()["event_type"] == "webhook.test"
        asyncio.run(work(db_url))
        last_two = receiver.received[-2:]
        assert last_two[0].message_id == oldest["message_id"]
        assert last_two[0].body == receiver.received[1].body
        assert (
            Verifier(webhook["secret"]).verify(last_two[1].body, last_two[1].headers)["type"]
            == "webhook.test"
        )
        newest = ann.get(f"{url}/deliveries?limit=1").json()["items"][0]
        assert (newest["event_type"], newest["status"]) == ("webhook.test", "delivered")

    # another user's subscription or delivery is not found
    assert bob.get(f"{url}/deliveries").status_code == 404
    assert bob.post(f"{url}/test").status_code == 404
    assert bob.post(f"{url}/deliveries/{oldest['id']}/retry").status_code == 404
    other = subscribe(bob, "https://hooks.example.com/b")
    missing = bob.post(f"/v1/webhooks/{other['id']}/deliveries/{oldest['id']}/retry")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "delivery_not_found"


def test_two_workers_deliver_a_thousand_events_none_lost_duplicates_only_as_retries(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    chance = random.Random(15)
    # one answer in twenty fails, so some events are retried
    script = [500 if chance.random() < 0.05 else 204 for _ in range(1200)]
    with receiver_running(script=list(script)) as receiver:
        hooks = [subscribe(ann, f"{receiver.url}?n={n}") for n in range(2)]
        positions = record_events(db_url, ann.id, 500)

        def worker() -> None:
            asyncio.run(work(db_url, rounds=400))

        with ThreadPoolExecutor(2) as pool:
            for done in [pool.submit(worker), pool.submit(worker)]:
                done.result()
        received = list(receiver.received)
    by_message: dict[str, set[str]] = {}
    for got in received:
        by_message.setdefault(got.message_id, set()).add(got.body)
    assert len(by_message) == 1000  # every event of each subscription, none lost
    assert all(len(bodies) == 1 for bodies in by_message.values())  # repeats are retries
    assert len(received) - 1000 == script[: len(received)].count(500)
    for hook in hooks:
        rows = deliveries(db_url, hook["id"])
        assert [r["status"] for r in rows] == ["delivered"] * 500
        assert [r["position"] for r in rows] == positions
    # per subscription, first arrivals are in change-log order
    for n in range(2):
        first_seen: dict[str, int] = {}
        for got in received:
            if got.path.endswith(f"n={n}"):
                first_seen.setdefault(got.message_id, got.payload["data"]["position"])
        assert list(first_seen.values()) == positions


def run_jobs(db_url: str, settings: Settings) -> None:
    """What a worker does, on procrastinate: a dispatch job (its periodic tick), then every
    job it defers, until the queue is empty."""
    import procrastinate
    from procrastinate.tasks import configure_task

    from app.worker import app as jobs_app

    async def main() -> None:
        connector = procrastinate.PsycopgConnector(conninfo=db_url)
        with jobs_app.replace_connector(connector) as worker_app:
            async with worker_app.open_async():
                await run(worker_app)

    async def run(worker_app: procrastinate.App) -> None:
        await configure_task(
            name="webhooks.dispatch", job_manager=worker_app.job_manager, queue="webhooks"
        ).defer_async(timestamp=0)
        await worker_app.run_worker_async(
            queues=["webhooks"],
            wait=False,
            install_signal_handlers=False,
            additional_context={"settings": settings},
        )

    asyncio.run(main())


def test_the_worker_jobs_dispatch_and_deliver_on_procrastinate(
    make_user: Callable[..., UserWithToken],
    db_url: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ann = make_user()
    # the retry waits an hour, however long the worker's run lasts on a busy machine
    monkeypatch.setattr(delivery, "backoff_s", lambda *_, **__: 3600.0)
    with receiver_running(script=[500]) as receiver:
        webhook = subscribe(ann, receiver.url)
        positions = record_events(db_url, ann.id, 3)
        run_jobs(db_url, settings)
        # the first attempt failed: its retry is not due yet, and the rest waits
        assert len(receiver.received) == 1
        rows = deliveries(db_url, webhook["id"])
        assert [r["status"] for r in rows] == ["pending"] * 3
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("UPDATE webhook_deliveries SET next_attempt_at = now()")
        run_jobs(db_url, settings)
        got = [r.payload["data"]["position"] for r in receiver.received]
    assert got == [positions[0], *positions]
    assert [r["status"] for r in deliveries(db_url, webhook["id"])] == ["delivered"] * 3


SENDER = """
import asyncio, sys
from tests.test_webhook_delivery import work
asyncio.run(work(sys.argv[1]))
"""


def test_a_worker_killed_mid_delivery_leads_to_redelivery_not_loss(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    arrived = threading.Event()
    answer = threading.Event()

    def hold(_: Any) -> None:  # the first POST arrives; its answer waits for the kill
        if not arrived.is_set():
            arrived.set()
            answer.wait(30)

    with receiver_running(on_request=hold) as receiver:
        webhook = subscribe(ann, receiver.url)
        record_events(db_url, ann.id, 3)
        sender = subprocess.Popen([sys.executable, "-c", SENDER, db_url], cwd=ROOT)
        try:
            assert arrived.wait(30)
            sender.send_signal(signal.SIGKILL)
            sender.wait(10)
        finally:
            answer.set()
            sender.kill()
        rows = deliveries(db_url, webhook["id"])
        assert [r["status"] for r in rows] == ["pending"] * 3
        # its connection died with it, and so did its hold on the subscription
        asyncio.run(work(db_url))
        ids = receiver.message_ids()
    assert len(ids) == 4
    assert ids[0] == ids[1]
    assert len(set(ids)) == 3
    assert [r["status"] for r in deliveries(db_url, webhook["id"])] == ["delivered"] * 3


def test_old_deliveries_and_processed_events_are_pruned_pending_ones_kept(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    with receiver_running(script=[204, 500]) as receiver:
        webhook = subscribe(ann, receiver.url)
        record_events(db_url, ann.id, 2)
        asyncio.run(work(db_url, rounds=1))
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("UPDATE webhook_deliveries SET created_at = now() - interval '31 days'")
        conn.execute("UPDATE processed_events SET processed_at = now() - interval '31 days'")

    async def prune() -> None:
        async with open_db(db_url) as db:
            await delivery.prune(db)

    asyncio.run(prune())
    assert [r["status"] for r in deliveries(db_url, webhook["id"])] == ["pending"]
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM processed_events").fetchone() == (0,)
