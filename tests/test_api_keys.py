"""Personal API keys: made, listed, shown and revoked with an access token; accepted as a
bearer credential by the same guard, limited by their scopes, never managing the account;
revoked at once on every server; never in a log or the audit log."""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from app.core.security import key_may_call
from app.main import create_app
from tests.api import Client, TokenClient, UserWithToken, assert_error, register, signed_in
from tests.conftest import audit_rows, make_settings
from tests.test_audit import LogCollector, Recorder, collected_logs  # noqa: F401 (a fixture)
from tests.test_ended_logins import call, servers, sign_up  # noqa: F401 (a fixture)

KEY = re.compile(r"^kin_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$")


def make_key(user: TokenClient, scopes: list[str] | None = None, **fields: Any) -> dict[str, Any]:
    body = {"name": "script", "scopes": scopes or ["read", "write"], **fields}
    response = user.post("/v1/me/api-keys", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def with_key(user: TokenClient, scopes: list[str] | None = None) -> TokenClient:
    """The user's client with a new API key as its bearer credential."""
    return TokenClient(user.client, make_key(user, scopes)["key"])


# --- the routes ------------------------------------------------------------------------------


def test_a_key_is_shown_once_and_listed_without_it(
    db_url: str, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    response = ann.post(
        "/v1/me/api-keys",
        json={
            "name": "  nightly   export ",
            "scopes": ["write", "read"],
            "expires_at": expires.isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    made = response.json()
    match = KEY.match(made["key"])
    assert match is not None
    assert uuid.UUID(match.group(1)) == uuid.UUID(made["id"])
    assert made["name"] == "nightly export"
    assert made["scopes"] == ["read", "write"]
    assert made["last_used_at"] is None
    assert datetime.fromisoformat(made["expires_at"]) == expires
    assert response.headers["location"] == f"/v1/me/api-keys/{made['id']}"
    assert response.headers["etag"] == '"1"'

    listed = ann.get("/v1/me/api-keys").json()
    assert [item["id"] for item in listed["items"]] == [made["id"]]
    assert "key" not in listed["items"][0]
    shown = ann.get(f"/v1/me/api-keys/{made['id']}")
    assert shown.status_code == 200
    assert "key" not in shown.json()
    assert (
        ann.get(
            f"/v1/me/api-keys/{made['id']}", headers={"If-None-Match": shown.headers["etag"]}
        ).status_code
        == 304
    )
    assert made["key"] not in shown.text + str(listed)

    # only the SHA-256 of the key is stored
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute("SELECT key_hash FROM api_keys WHERE id = %s", (made["id"],)).fetchone()
    assert row is not None
    assert bytes(row[0]) == hashlib.sha256(made["key"].encode()).digest()


def test_the_list_pages_newest_first(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    ids = [make_key(ann)["id"] for _ in range(3)]
    first = ann.get("/v1/me/api-keys?limit=2").json()
    assert [item["id"] for item in first["items"]] == ids[::-1][:2]
    second = ann.get(f"/v1/me/api-keys?limit=2&cursor={first['next_cursor']}").json()
    assert [item["id"] for item in second["items"]] == [ids[0]]
    assert second["next_cursor"] is None
    assert_error(ann.get("/v1/me/api-keys?cursor=bm90LWEta2V5"), 400, "invalid_cursor")


def test_a_replayed_create_answers_the_key_without_the_secret(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann = make_user()
    key_id = str(uuid.uuid4())
    body = {"id": key_id, "name": "phone sync", "scopes": ["read"]}
    first = ann.post("/v1/me/api-keys", json=body)
    assert first.status_code == 201
    again = ann.post("/v1/me/api-keys", json=body)
    assert again.status_code == 200, again.text
    assert "key" not in again.json()
    assert again.json()["id"] == key_id
    conflict = ann.post("/v1/me/api-keys", json={**body, "scopes": ["write"]})
    error = assert_error(conflict, 409, "id_conflict")
    assert error["details"] == [{"field": "scopes", "message": "differs from the stored value"}]
    assert len(ann.get("/v1/me/api-keys").json()["items"]) == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"scopes": ["read"]}, 400, "validation_error"),
        ({"name": "x"}, 400, "validation_error"),
        ({"name": "", "scopes": ["read"]}, 400, "validation_error"),
        ({"name": "   ", "scopes": ["read"]}, 400, "validation_error"),
        ({"name": "x" * 101, "scopes": ["read"]}, 400, "validation_error"),
        ({"name": "x", "scopes": []}, 400, "validation_error"),
        ({"name": "x", "scopes": ["admin"]}, 400, "validation_error"),
        ({"name": "x", "scopes": ["read", "read"]}, 400, "validation_error"),
        ({"name": "x", "scopes": "read"}, 400, "validation_error"),
        ({"name": "x", "scopes": ["read"], "key": "kin_mine"}, 400, "validation_error"),
        ({"name": "x", "scopes": ["read"], "expires_at": "tomorrow"}, 400, "validation_error"),
        (
            {"name": "x", "scopes": ["read"], "expires_at": "2030-01-01T00:00:00"},
            400,
            "validation_error",
        ),
        (
            {"name": "x", "scopes": ["read"], "expires_at": "2020-01-01T00:00:00Z"},
            422,
            "out_of_range",
        ),
    ],
)
def test_bad_creates_are_refused(
    make_user: Callable[..., UserWithToken], body: dict[str, Any], status: int, code: str
) -> None:
    ann = make_user()
    assert_error(ann.post("/v1/me/api-keys", json=body), status, code)
    assert ann.get("/v1/me/api-keys").json()["items"] == []


def test_another_users_key_is_404_and_stays(make_user: Callable[..., UserWithToken]) -> None:
    ann, bob = make_user(), make_user()
    anns = make_key(ann)
    for method in ("GET", "DELETE"):
        response = bob.request(method, f"/v1/me/api-keys/{anns['id']}")
        assert_error(response, 404, "api_key_not_found")
    assert bob.get("/v1/me/api-keys").json()["items"] == []
    assert TokenClient(ann.client, anns["key"]).get("/v1/workouts").status_code == 200


def test_a_revoke_with_a_stale_etag_is_412(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    made = make_key(ann)
    stale = ann.delete(f"/v1/me/api-keys/{made['id']}", headers={"If-Match": '"7"'})
    assert_error(stale, 412, "etag_mismatch")
    assert (
        ann.delete(f"/v1/me/api-keys/{made['id']}", headers={"If-Match": '"1"'}).status_code == 204
    )
    assert_error(ann.delete(f"/v1/me/api-keys/{made['id']}"), 404, "api_key_not_found")


def test_making_and_revoking_keys_is_audited_without_the_key(
    db_url: str, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    made = make_key(ann, ["read"])
    assert ann.delete(f"/v1/me/api-keys/{made['id']}").status_code == 204
    rows = audit_rows(db_url, entity_id=made["id"])
    assert [(r["action"], r["entity_type"]) for r in rows] == [
        ("create", "api_key"),
        ("delete", "api_key"),
    ]
    assert rows[0]["metadata"]["scopes"] == ["read"]
    assert rows[0]["metadata"]["name"] == "script"
    assert made["key"] not in str(rows)
    assert made["key"].rsplit("_", 1)[1] not in str(rows)


# --- using a key -------------------------------------------------------------------------------


def test_a_key_reads_and_writes_the_users_data(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    script = with_key(ann, ["write"])
    created = script.post("/v1/workouts", json={"name": "From a script"})
    assert created.status_code == 201, created.text
    shown = script.get(f"/v1/workouts/{created.json()['id']}")
    assert shown.status_code == 200
    assert shown.json()["name"] == "From a script"
    assert ann.get(f"/v1/workouts/{created.json()['id']}").status_code == 200
    me = script.get("/v1/me")
    assert me.status_code == 200
    assert me.json()["id"] == str(ann.id)


def test_a_read_only_key_cannot_write(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    workout = ann.post("/v1/workouts", json={"name": "Plan"}).json()
    reader = with_key(ann, ["read"])
    assert reader.get(f"/v1/workouts/{workout['id']}").status_code == 200
    assert reader.get("/v1/sessions").status_code == 200
    for method, url, body in [
        ("POST", "/v1/workouts", {"name": "Nope"}),
        ("PATCH", f"/v1/workouts/{workout['id']}", {"name": "Nope"}),
        ("DELETE", f"/v1/workouts/{workout['id']}", None),
        ("POST", "/v1/body-measurements", {"kind": "waist", "value": 80, "unit": "cm"}),
    ]:
        response = reader.request(method, url, json=body)
        assert_error(response, 403, "insufficient_scope")
        assert response.headers["www-authenticate"] == (
            'Bearer error="insufficient_scope", scope="write"'
        )
    assert ann.get("/v1/workouts").json()["items"][0]["name"] == "Plan"
    assert len(ann.get("/v1/workouts").json()["items"]) == 1


def test_keys_never_manage_the_account_logins_keys_or_webhooks(
    db_url: str, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    made = make_key(ann)
    script = TokenClient(ann.client, made["key"])
    for method, url, body in [
        ("PATCH", "/v1/me", {"display_name": "Taken over"}),
        ("DELETE", "/v1/me", None),
        ("GET", "/v1/me/logins", None),
        ("GET", "/v1/me/audit", None),
        ("GET", "/v1/me/api-keys", None),
        ("POST", "/v1/me/api-keys", {"name": "more", "scopes": ["write"]}),
        ("GET", f"/v1/me/api-keys/{made['id']}", None),
        ("DELETE", f"/v1/me/api-keys/{made['id']}", None),
        ("POST", "/v1/auth/logout", {"refresh_token": "kr1_x"}),
        ("GET", "/v1/webhooks", None),
        ("POST", "/v1/webhooks", {"url": "https://hooks.example.com/x"}),
    ]:
        response = script.request(method, url, json=body)
        assert_error(response, 403, "insufficient_scope")
        assert response.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'
    assert ann.get("/v1/me").json()["display_name"] == "Test User"
    assert [k["id"] for k in ann.get("/v1/me/api-keys").json()["items"]] == [made["id"]]
    assert ann.get("/v1/webhooks").json()["items"] == []
    # the profile and the export of one's own data are readable with a key
    assert script.get("/v1/me").status_code == 200
    assert script.get("/v1/me/export").status_code == 200


def test_what_keys_may_call_is_decided_by_the_route_path() -> None:
    assert key_may_call("GET", "/v1/workouts/{workout_id:uuid}")
    assert key_may_call("HEAD", "/v1/me")
    assert key_may_call("GET", "/v1/me/export")
    assert key_may_call("POST", "/v1/measurements")  # a prefix is a whole path segment
    for method, path in [
        ("PATCH", "/v1/me"),
        ("POST", "/v1/me/export"),
        ("POST", "/v1/me/verify-email"),  # a new account route is refused until allowed
        ("GET", "/v1/me/api-keys/{key_id}"),
        ("POST", "/v1/auth/password-reset"),
        ("GET", "/v1/webhooks/{webhook_id:uuid}/deliveries"),
        ("POST", "/v1/webhooks/{webhook_id}/rotate-secret"),
    ]:
        assert not key_may_call(method, path), f"{method} {path}"


@pytest.mark.parametrize(
    "case",
    ["kin_", "kin_abc", "no id", "wrong secret", "upper-case id", "truncated", "extra", "space"],
)
def test_malformed_and_forged_keys_are_401(
    make_user: Callable[..., UserWithToken], case: str
) -> None:
    ann = make_user()
    real = make_key(ann)["key"]
    key_id = real[4:36]
    forged = {
        "kin_": "kin_",
        "kin_abc": "kin_abc",
        "no id": f"kin__{real[37:]}",
        "wrong secret": f"kin_{key_id}_{'A' * 43}",
        "upper-case id": f"kin_{key_id.upper()}_{real[37:]}",
        "truncated": real[:-1],
        "extra": real + "A",
        "space": real[:20] + " " + real[20:],
    }[case]
    response = ann.client.get("/v1/workouts", headers={"Authorization": f"Bearer {forged}"})
    assert_error(response, 401, "invalid_token")
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_an_expired_key_is_401_token_expired(
    db_url: str, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    made = make_key(ann, expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE api_keys SET created_at = now() - interval '2 days',"
            " expires_at = now() - interval '1 second' WHERE id = %s",
            (made["id"],),
        )
    response = TokenClient(ann.client, made["key"]).get("/v1/workouts")
    assert_error(response, 401, "token_expired")
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    # still listed, until revoked
    assert [k["id"] for k in ann.get("/v1/me/api-keys").json()["items"]] == [made["id"]]


def test_a_key_made_for_another_user_cannot_reach_anything_of_theirs(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann, bob = make_user(), make_user()
    workout = ann.post("/v1/workouts", json={"name": "Ann's"}).json()
    bobs_key = with_key(bob)
    assert_error(bobs_key.get(f"/v1/workouts/{workout['id']}"), 404, "workout_not_found")
    assert bobs_key.get("/v1/workouts").json()["items"] == []
    # Ann's key id with Bob's secret is no key at all
    anns = make_key(ann)
    spliced = f"kin_{anns['id'].replace('-', '')}_{bobs_key.token[37:]}"
    assert_error(TokenClient(ann.client, spliced).get("/v1/workouts"), 401, "invalid_token")


def test_a_revoked_key_is_refused_at_once(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    made = make_key(ann)
    script = TokenClient(ann.client, made["key"])
    assert script.get("/v1/workouts").status_code == 200  # verified and remembered
    assert ann.delete(f"/v1/me/api-keys/{made['id']}").status_code == 204
    deadline = time.monotonic() + 1.0
    while (response := script.get("/v1/workouts")).status_code == 200:
        assert time.monotonic() < deadline, "a revoked key still works after 1 s"
        time.sleep(0.01)
    assert_error(response, 401, "invalid_token")


def test_a_new_key_with_a_revoked_keys_id_does_not_bring_it_back(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann = make_user()
    key_id = str(uuid.uuid4())
    old = make_key(ann, id=key_id)["key"]
    assert TokenClient(ann.client, old).get("/v1/workouts").status_code == 200
    assert ann.delete(f"/v1/me/api-keys/{key_id}").status_code == 204
    new = make_key(ann, id=key_id)["key"]
    assert TokenClient(ann.client, new).get("/v1/workouts").status_code == 200
    deadline = time.monotonic() + 1.0
    while (response := TokenClient(ann.client, old).get("/v1/workouts")).status_code == 200:
        assert time.monotonic() < deadline, "the revoked key works again"
        time.sleep(0.01)
    assert_error(response, 401, "invalid_token")


def test_a_deleted_accounts_keys_are_refused(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = signed_in(client, register(client))
    script = with_key(ann)
    assert script.get("/v1/workouts").status_code == 200
    assert ann.delete("/v1/me").status_code == 204
    deadline = time.monotonic() + 1.0
    while (response := script.get("/v1/workouts")).status_code == 200:
        assert time.monotonic() < deadline, "a deleted account's key still works after 1 s"
        time.sleep(0.01)
    assert_error(response, 401, "invalid_token")


def test_last_used_is_written_at_most_once_a_minute(
    db_url: str, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    made = make_key(ann)
    script = TokenClient(ann.client, made["key"])
    for _ in range(5):
        assert script.get("/v1/workouts").status_code == 200
    shown = ann.get(f"/v1/me/api-keys/{made['id']}").json()
    assert shown["last_used_at"] is not None
    assert shown["version"] == 2  # one write for five uses (the ETag follows it)
    # a use a minute later is recorded again, also by another server process
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE api_keys SET last_used_at = now() - interval '61 seconds' WHERE id = %s",
            (made["id"],),
        )
    with TestClient(create_app(make_settings(db_url))) as other:
        assert script.on(other).get("/v1/workouts").status_code == 200
    again = ann.get(f"/v1/me/api-keys/{made['id']}").json()
    assert again["version"] == 3
    assert again["last_used_at"] > shown["last_used_at"]


def test_the_document_declares_the_key_scheme_per_operation(client: Client) -> None:
    document = client.get("/schema/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKeyAuth"]["type"] == "http"
    assert schemes["apiKeyAuth"]["scheme"] == "bearer"
    paths = document["paths"]
    both = [{"bearerAuth": []}, {"apiKeyAuth": []}]
    assert paths["/v1/workouts/{workout_id}"]["get"]["security"] == both
    assert paths["/v1/me"]["get"]["security"] == both
    for path, method in [
        ("/v1/me", "patch"),
        ("/v1/me/api-keys", "post"),
        ("/v1/me/api-keys/{key_id}", "delete"),
        ("/v1/me/logins", "get"),
        ("/v1/webhooks", "get"),
    ]:
        operation = paths[path][method]
        assert operation["security"] == [{"bearerAuth": []}], f"{method} {path}"
        assert "insufficient_scope" in operation["responses"]["403"]["description"]
    write = paths["/v1/workouts"]["post"]
    assert write["security"] == both
    assert "insufficient_scope" in write["responses"]["403"]["description"]
    assert "403" not in paths["/v1/workouts/{workout_id}"]["get"]["responses"]
    assert paths["/health"]["get"]["security"] == []


# --- across servers --------------------------------------------------------------------------


def test_a_revoked_key_is_refused_on_every_server(servers: tuple[str, str]) -> None:  # noqa: F811
    a, b = servers
    ann = sign_up(a, "ann@example.com")
    made = call(
        a, "POST", "/v1/me/api-keys", ann["access_token"], json={"name": "s", "scopes": ["read"]}
    ).json()
    for base in servers:
        for _ in range(4):  # remembered by every server and (likely) worker
            assert call(base, "GET", "/v1/workouts", made["key"]).status_code == 200
    assert (
        call(a, "DELETE", f"/v1/me/api-keys/{made['id']}", ann["access_token"]).status_code == 204
    )
    for base in (b, a):
        deadline = time.monotonic() + 1.0
        while (response := call(base, "GET", "/v1/workouts", made["key"])).status_code == 200:
            assert time.monotonic() < deadline, "a revoked key still works after 1 s"
            time.sleep(0.02)
        assert response.json()["error_code"] == "invalid_token"
        for _ in range(6):  # and stays refused, on every worker
            assert call(base, "GET", "/v1/workouts", made["key"]).status_code == 401


# --- no key in a log or the audit log ----------------------------------------------------------


def test_no_key_in_logs_responses_or_audit_log(
    db_url: str,
    collected_logs: LogCollector,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    recorder = Recorder()
    with TestClient(create_app(make_settings(db_url))) as client:
        client.event_hooks["response"] = [recorder]
        ann = signed_in(client, register(client))
        made = ann.post("/v1/me/api-keys", json={"name": "s", "scopes": ["read"]})
        key = made.json()["key"]
        script = TokenClient(client, key)
        script.get("/v1/workouts")
        script.post("/v1/workouts", json={"name": "refused"})  # 403: read only
        script.get("/v1/me/api-keys")  # 403: never with a key
        TokenClient(client, key + "x").get("/v1/workouts")  # 401: malformed
        TokenClient(client, key[:-4] + "AAAA").get("/v1/workouts")  # 401: wrong secret
        ann.get("/v1/me/api-keys")
        ann.get("/v1/me/audit?limit=100")
        ann.delete(f"/v1/me/api-keys/{made.json()['id']}")
        script.get("/v1/workouts")  # 401: revoked
    with psycopg.connect(db_url, autocommit=True) as conn:
        audit_text = "\n".join(
            str(r[0]) for r in conn.execute("SELECT row_to_json(a)::text FROM audit_log a")
        )
    logs = "\n".join(collected_logs.lines) + capsys.readouterr().err
    assert '"event":"request"' in logs
    assert "api_key" in audit_text
    secret = key.rsplit("_", 1)[1]
    digest = hashlib.sha256(key.encode()).hexdigest()
    for text in (key, secret, key[:-4] + "AAAA", digest):
        assert text not in logs, "a key in the logs"
        assert text not in audit_text, "a key in the audit log"
        for response in recorder.responses:
            if response is made:
                continue  # the one response that hands the key out
            assert text not in response.text, f"a key in {response.request.url}"
            assert text not in str(response.headers), f"a key in {response.request.url}"
    assert len(recorder.responses) >= 10
