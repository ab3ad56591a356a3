"""Webhook subscriptions as a client sees them: the secret shown once, rotation with the old
secret kept for 24 hours, at most 10 per user, URLs refused by kind, ETags, pages,
retry-safe creates, the audit log without secrets, and bad input of every kind."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from app.core.config import ConfigError, Environment, load_settings
from app.main import create_app
from app.webhooks.addresses import RefusedAddress, check_url, public_address, resolve
from tests.api import UserWithToken, all_pages, assert_error
from tests.conftest import audit_rows, make_settings

URL = "/v1/webhooks"
HOOK = "https://hooks.example.com/kinetria?token=receiver-own-token"


def subscribe(user: UserWithToken, **body: Any) -> dict[str, Any]:
    response = user.post(URL, json={"url": HOOK, **body})
    assert response.status_code == 201, response.text
    return response.json()


def stored_secrets(db_url: str, webhook_id: str) -> tuple[str, str | None, datetime | None]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT secret, previous_secret, previous_secret_expires_at"
            " FROM webhook_subscriptions WHERE id = %s",
            (webhook_id,),
        ).fetchone()
    assert row is not None
    return row


def test_create_shows_the_secret_once_and_never_again(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    response = ann.post(
        URL,
        json={
            "url": HOOK,
            "event_types": ["session.completed", "set.created", "session.completed"],
            "description": "  coach's   dashboard ",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"{URL}/{body['id']}"
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert body == {
        "id": body["id"],
        "url": HOOK,
        "event_types": ["session.completed", "set.created"],
        "enabled": True,
        "disabled_reason": None,
        "description": "coach's dashboard",
        "previous_secret_expires_at": None,
        "consecutive_failures": 0,
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "secret": secret,
    }
    assert stored_secrets(db_url, body["id"])[0] == secret

    shown = ann.get(f"{URL}/{body['id']}")
    assert shown.status_code == 200
    assert "secret" not in shown.json()
    assert shown.json() == {k: v for k, v in body.items() if k != "secret"}
    listed = ann.get(URL).json()["items"]
    assert [w["id"] for w in listed] == [body["id"]]
    patched = ann.patch(f"{URL}/{body['id']}", json={"description": "renamed"})
    assert "secret" not in patched.json()
    for text in (shown.text, ann.get(URL).text, patched.text):
        assert secret.removeprefix("whsec_") not in text
    # the audit log has the host, never the secret nor the URL's own token
    rows = audit_rows(db_url, entity_id=body["id"])
    assert [r["action"] for r in rows] == ["create", "update"]
    assert rows[0]["entity_type"] == "webhook_subscriptions"
    assert rows[0]["metadata"] == {
        "host": "hooks.example.com",
        "event_types": ["session.completed", "set.created"],
    }
    assert rows[1]["metadata"] == {"fields": ["description"]}
    for row in rows:
        assert "whsec_" not in str(row)
        assert "receiver-own-token" not in str(row)


def test_every_event_type_by_default_and_changes_by_patch(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann = make_user()
    webhook = subscribe(ann)
    assert webhook["event_types"] is None
    url = f"{URL}/{webhook['id']}"
    changed = ann.patch(url, json={"event_types": ["workout.created"]}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.json()["event_types"] == ["workout.created"]
    assert changed.headers["etag"] == '"2"'
    kept = ann.patch(url, json={"description": "x"}).json()
    assert kept["event_types"] == ["workout.created"]
    everything = ann.patch(url, json={"event_types": None}).json()
    assert everything["event_types"] is None
    assert everything["version"] == 4


def test_disable_and_enable(make_user: Callable[..., UserWithToken], db_url: str) -> None:
    ann = make_user()
    webhook = subscribe(ann, enabled=False)
    assert (webhook["enabled"], webhook["disabled_reason"]) == (False, "by_user")
    url = f"{URL}/{webhook['id']}"
    enabled = ann.patch(url, json={"enabled": True}).json()
    assert (enabled["enabled"], enabled["disabled_reason"]) == (True, None)
    # disabled after failing, then enabled by its owner: the count starts again
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE webhook_subscriptions SET enabled = false, disabled_reason = 'failures',"
            " consecutive_failures = 50 WHERE id = %s",
            (webhook["id"],),
        )
    failed = ann.get(url).json()
    assert (failed["enabled"], failed["disabled_reason"], failed["consecutive_failures"]) == (
        False,
        "failures",
        50,
    )
    # disabling it again keeps the reason it was disabled for
    assert ann.patch(url, json={"enabled": False}).json()["disabled_reason"] == "failures"
    again = ann.patch(url, json={"enabled": True}).json()
    assert (again["enabled"], again["disabled_reason"], again["consecutive_failures"]) == (
        True,
        None,
        0,
    )
    assert ann.patch(url, json={"enabled": False}).json()["disabled_reason"] == "by_user"


def test_rotate_secret_keeps_the_old_one_for_24_hours(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    webhook = subscribe(ann)
    first = webhook["secret"]
    url = f"{URL}/{webhook['id']}/rotate-secret"
    assert_error(ann.post(url, headers={"If-Match": '"7"'}), 412, "etag_mismatch")
    rotated = ann.post(url, headers={"If-Match": '"1"'})
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert rotated.headers["etag"] == '"2"'
    second = body["secret"]
    assert second.startswith("whsec_")
    assert second != first
    expires = datetime.fromisoformat(body["previous_secret_expires_at"])
    assert timedelta(hours=23, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=24)
    assert stored_secrets(db_url, webhook["id"]) == (second, first, expires)
    shown = ann.get(f"{URL}/{webhook['id']}").json()
    assert "secret" not in shown
    assert shown["previous_secret_expires_at"] == body["previous_secret_expires_at"]
    # a second rotation within the 24 hours drops the first secret at once
    third = ann.post(url).json()["secret"]
    assert stored_secrets(db_url, webhook["id"])[:2] == (third, second)
    rows = audit_rows(db_url, entity_id=webhook["id"])
    assert [r["metadata"] for r in rows[1:]] == [
        {"secret_rotated": True, "previous_revoked": False}
    ] * 2
    for row in rows:
        assert "whsec_" not in str(row)
    # once the 24 hours are over, the document no longer shows an expiry
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE webhook_subscriptions SET previous_secret_expires_at = now() - interval '1s'"
            " WHERE id = %s",
            (webhook["id"],),
        )
    assert ann.get(f"{URL}/{webhook['id']}").json()["previous_secret_expires_at"] is None
    # a leaked secret: replaced and revoked at once
    revoked = ann.post(url, json={"revoke_previous": True}).json()
    assert revoked["previous_secret_expires_at"] is None
    assert stored_secrets(db_url, webhook["id"]) == (revoked["secret"], None, None)
    assert_error(ann.post(url, json={"revoke": True}), 400, "validation_error")


def test_at_most_ten_per_user_even_when_created_at_once(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann, bob = make_user(), make_user()
    for _ in range(8):
        subscribe(ann)

    # six creates at once for the last two places: two succeed, four are refused
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: ann.post(URL, json={"url": HOOK}), range(6)))
    codes = sorted(r.status_code for r in answers)
    assert codes == [201, 201, 422, 422, 422, 422]
    assert len(all_pages(ann, f"{URL}?limit=3")) == 10
    refused = ann.post(URL, json={"url": HOOK})
    body = assert_error(refused, 422, "webhook_limit_reached")
    assert "10" in body["message"]
    # a replay of one of the ten still answers, and the limit is each user's own
    one = all_pages(ann, URL)[0]
    replay = ann.post(URL, json={"id": one["id"], "url": HOOK})
    assert replay.status_code == 200, replay.text
    subscribe(bob)
    # deleting one makes room
    assert ann.delete(f"{URL}/{one['id']}").status_code == 204
    subscribe(ann)


def test_replayed_create_answers_200_without_the_secret(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann, bob = make_user(), make_user()
    webhook_id = str(uuid.uuid4())
    body = {"id": webhook_id, "url": HOOK, "event_types": ["set.created"], "description": "d"}
    first = ann.post(URL, json=body)
    assert first.status_code == 201
    replay = ann.post(URL, json=body)
    assert replay.status_code == 200, replay.text
    assert "secret" not in replay.json()
    assert replay.json() == {k: v for k, v in first.json().items() if k != "secret"}
    assert replay.headers["location"] == f"{URL}/{webhook_id}"
    conflict = ann.post(URL, json={**body, "url": "https://other.example.com/"})
    details = assert_error(conflict, 409, "id_conflict")["details"]
    assert [d["field"] for d in details] == ["url"]
    # another user's id is a clash, never their subscription
    clash = bob.post(URL, json=body)
    assert_error(clash, 409, "id_conflict")
    assert "hooks.example.com" not in clash.text
    assert len(all_pages(ann, URL)) == 1


def test_etags_and_conditional_writes(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    webhook = subscribe(ann)
    url = f"{URL}/{webhook['id']}"
    assert ann.get(url, headers={"If-None-Match": '"1"'}).status_code == 304
    assert ann.get(url, headers={"If-None-Match": '"2"'}).status_code == 200
    stale = ann.patch(url, json={"description": "x"}, headers={"If-Match": '"9"'})
    assert assert_error(stale, 412, "etag_mismatch")["details"] == [{"current_etag": '"1"'}]
    assert_error(ann.delete(url, headers={"If-Match": '"9"'}), 412, "etag_mismatch")
    assert ann.delete(url, headers={"If-Match": '"1"'}).status_code == 204
    assert_error(ann.get(url), 404, "webhook_not_found")
    assert_error(ann.delete(url), 404, "webhook_not_found")
    assert_error(ann.post(f"{url}/rotate-secret"), 404, "webhook_not_found")


def test_pages(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    made = [subscribe(ann, description=str(i))["id"] for i in range(5)]
    assert [w["id"] for w in all_pages(ann, f"{URL}?limit=2")] == made
    assert_error(ann.get(f"{URL}?cursor=bm90LWEta2V5"), 400, "invalid_cursor")
    assert_error(ann.get(f"{URL}?limit=0"), 400, "validation_error")
    assert_error(ann.get(f"{URL}?limit=101"), 400, "validation_error")


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://hooks.example.com/", "invalid_url"),
        ("hooks.example.com/path", "invalid_url"),
        ("https://", "invalid_url"),
        ("https://user:pass@hooks.example.com/", "invalid_url"),
        ("https://hooks.example.com:99999/", "invalid_url"),
        ("https://hooks.example.com/#frag", "invalid_url"),
        ("https://127.0.0.1/hook", "private_address"),
        ("https://10.1.2.3/hook", "private_address"),
        ("https://192.168.0.10/hook", "private_address"),
        ("https://169.254.169.254/latest/meta-data", "private_address"),
        ("https://[::1]/hook", "private_address"),
        ("https://[fd00:ec2::254]/hook", "private_address"),
        ("https://[::ffff:10.0.0.1]/hook", "private_address"),
        ("https://100.64.0.1/hook", "private_address"),
        ("https://0.0.0.0/hook", "private_address"),
        ("https://localhost:8000/hook", "private_address"),
        ("https://metadata.google.internal/", "private_address"),
    ],
)
def test_urls_refused(make_user: Callable[..., UserWithToken], url: str, code: str) -> None:
    ann = make_user()
    body = assert_error(ann.post(URL, json={"url": url}), 422, code)
    assert body["details"][0]["field"] == "url"
    webhook = subscribe(ann)
    assert_error(ann.patch(f"{URL}/{webhook['id']}", json={"url": url}), 422, code)


def test_https_required_in_production_and_private_addresses_allowed_when_configured(
    db_url: str,
) -> None:
    assert check_url("http://hooks.example.com/", require_https=False, allow_private=False)
    with pytest.raises(ValueError, match="https"):
        check_url("http://hooks.example.com/", require_https=True, allow_private=False)
    assert check_url("http://127.0.0.1:9/", require_https=False, allow_private=True)

    settings = make_settings(db_url, webhook_allow_private=True)
    with TestClient(create_app(settings)) as client:
        from app.core.security import issue_access_token

        user_id = uuid.uuid4()
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO users (id, email, password_hash, display_name)"
                " VALUES (%s, %s, 'x', 'Dev')",
                (user_id, f"dev-{user_id.hex[:8]}@example.com"),
            )
        dev = UserWithToken(client, user_id, "dev", issue_access_token(settings, user_id))
        assert subscribe(dev, url="http://127.0.0.1:8080/hook")["url"] == (
            "http://127.0.0.1:8080/hook"
        )


def test_production_refuses_webhook_allow_private(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINETRIA_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://kinetria@db:5432/kinetria")
    monkeypatch.setenv("JWT_SECRET", "p" * 40)
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "true")
    with pytest.raises(ConfigError, match="WEBHOOK_ALLOW_PRIVATE"):
        load_settings(read_dotenv=False)
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "false")
    assert load_settings(read_dotenv=False).env == Environment.PRODUCTION


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "url"),
        ({"url": 5}, "url"),
        ({"url": ""}, "url"),
        ({"url": "https://a.example.com/" + "x" * 2048}, "url"),
        ({"url": HOOK, "event_types": []}, "event_types"),
        ({"url": HOOK, "event_types": "session.completed"}, "event_types"),
        ({"url": HOOK, "event_types": ["Session Completed"]}, "event_types[0]"),
        ({"url": HOOK, "enabled": "yes"}, "enabled"),
        ({"url": HOOK, "description": "x" * 501}, "description"),
        ({"url": HOOK, "secret": "whsec_mine"}, "secret"),
        ({"url": HOOK, "id": "not-a-uuid"}, "id"),
    ],
)
def test_bad_bodies(make_user: Callable[..., UserWithToken], body: Any, field: str) -> None:
    ann = make_user()
    error = assert_error(ann.post(URL, json=body), 400, "validation_error")
    assert error["details"][0]["field"] == field


def test_bad_patches(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    url = f"{URL}/{subscribe(ann)['id']}"
    for body, field in (
        ({"url": None}, "url"),
        ({"enabled": None}, "enabled"),
        ({"version": 3}, "version"),
        ({"secret": "whsec_x"}, "secret"),
        ({"event_types": [""]}, "event_types[0]"),
    ):
        error = assert_error(ann.patch(url, json=body), 400, "validation_error")
        assert error["details"][0]["field"] == field


def test_public_addresses() -> None:
    import ipaddress

    for text in ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "8.8.8.8"):
        assert public_address(ipaddress.ip_address(text)), text
    for text in (
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.100.100.200",
        "0.0.0.0",  # noqa: S104 (an address refused, not one bound)
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo of 10.0.0.1
    ):
        assert not public_address(ipaddress.ip_address(text)), text


def test_resolution_at_delivery_refuses_private_names() -> None:
    async def main() -> None:
        with pytest.raises(RefusedAddress, match="private"):
            await resolve("https://localhost:9/", allow_private=False)
        with pytest.raises(RefusedAddress, match="private"):
            await resolve("http://127.0.0.1:9/x", allow_private=False)
        allowed = await resolve("http://localhost:9/x?y=1", allow_private=True)
        assert allowed.host == "localhost:9"
        assert allowed.server_name == "localhost"
        assert allowed.url in ("http://127.0.0.1:9/x?y=1", "http://[::1]:9/x?y=1")
        with pytest.raises(RefusedAddress, match="resolve"):
            await resolve("https://no-such-host.invalid/", allow_private=False)

    asyncio.run(main())
