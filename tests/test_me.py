"""The caller's own account: profile, password change, deletion, logins."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from app.core.security import issue_access_token
from app.main import create_app
from tests.api import PASSWORD, Client, assert_error, login, pages, register, signed_in
from tests.conftest import audit_rows, change_events, make_settings

NEW_PASSWORD = "a brand new passphrase"


# --- GET /v1/me ----------------------------------------------------------------------------


def test_get_me_has_an_etag_and_answers_304_when_unchanged(client: Client) -> None:
    tokens = register(client, "ann@example.com", display_name="Ann")
    me = signed_in(client, tokens)
    response = me.get("/v1/me")
    assert response.status_code == 200
    assert response.json() == tokens["user"]
    assert response.headers["etag"] == '"1"'
    assert response.headers["cache-control"] == "no-store"
    cached = me.get("/v1/me", headers={"If-None-Match": '"1"'})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == '"1"'
    for tag in ('W/"1"', '"7", "1"', "*"):
        assert me.get("/v1/me", headers={"If-None-Match": tag}).status_code == 304
    assert me.get("/v1/me", headers={"If-None-Match": '"2"'}).status_code == 200


def test_each_user_sees_only_their_own_account(client: Client) -> None:
    ann = register(client, "ann@example.com")
    bob = register(client, "bob@example.com")
    assert signed_in(client, ann).get("/v1/me").json()["email"] == "ann@example.com"
    assert signed_in(client, bob).get("/v1/me").json()["email"] == "bob@example.com"


# --- PATCH /v1/me: profile ---------------------------------------------------------------------


def test_patch_me_changes_the_profile(client: Client, db_url: str) -> None:
    tokens = register(client)
    me = signed_in(client, tokens)
    response = me.patch("/v1/me", json={"display_name": "  Ann B. ", "preferred_weight_unit": "lb"})
    assert response.status_code == 200
    user = response.json()
    assert user["display_name"] == "Ann B."
    assert user["preferred_weight_unit"] == "lb"
    assert user["version"] == 2
    assert user["updated_at"] > user["created_at"]
    assert response.headers["etag"] == '"2"'
    assert me.get("/v1/me").json() == user
    only_unit = me.patch("/v1/me", json={"preferred_weight_unit": "kg"})
    assert only_unit.json()["display_name"] == "Ann B."
    assert only_unit.json()["version"] == 3
    # registration's event, then one per change, each with the profile as it was served
    events = change_events(db_url, entity_id=user["id"])
    assert [(e["event_type"], e["version"]) for e in events] == [
        ("profile.updated", 1),
        ("profile.updated", 2),
        ("profile.updated", 3),
    ]
    assert events[1]["document"] == user
    assert events[2]["document"] == only_unit.json()


def test_an_empty_patch_changes_nothing(client: Client, db_url: str) -> None:
    tokens = register(client)
    response = signed_in(client, tokens).patch("/v1/me", json={})
    assert response.status_code == 200
    assert response.json() == tokens["user"]
    # only registration's event: nothing changed, nothing is recorded
    events = change_events(db_url, entity_id=tokens["user"]["id"])
    assert [(e["event_type"], e["version"]) for e in events] == [("profile.updated", 1)]


def test_patch_me_with_if_match(client: Client) -> None:
    tokens = register(client)
    me = signed_in(client, tokens)
    stale = me.patch("/v1/me", json={"display_name": "Late"}, headers={"If-Match": '"9"'})
    body = assert_error(stale, 412, "etag_mismatch")
    assert body["details"] == [{"current_etag": '"1"'}]
    assert stale.headers["etag"] == '"1"'
    weak = me.patch("/v1/me", json={"display_name": "Weak"}, headers={"If-Match": 'W/"1"'})
    assert_error(weak, 412, "etag_mismatch")
    fresh = me.patch("/v1/me", json={"display_name": "Fresh"}, headers={"If-Match": '"1"'})
    assert fresh.status_code == 200
    assert fresh.json()["display_name"] == "Fresh"
    assert me.get("/v1/me").json()["display_name"] == "Fresh"


@pytest.mark.parametrize("tag", ['"\u00b2"', '"1x"', "1", '"' + "9" * 5000 + '"', '""', "W/", ","])
def test_odd_etags_never_match_and_never_fail(client: Client, tag: str) -> None:
    me = signed_in(client, register(client))
    raw = tag.encode("latin-1")
    response = me.get("/v1/me", headers={"If-None-Match": raw})
    assert response.status_code == 200
    response = me.patch("/v1/me", json={"display_name": "X"}, headers={"If-Match": raw})
    assert_error(response, 412, "etag_mismatch")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"display_name": 5}, "display_name", "Expected `str`, got `int`"),
        ({"display_name": None}, "display_name", "Expected `str`, got `null`"),
        ({"display_name": ""}, "display_name", "Expected `str` of length >= 1"),
        ({"display_name": "x" * 101}, "display_name", "Expected `str` of length <= 100"),
        ({"preferred_weight_unit": "stone"}, "preferred_weight_unit", "Invalid enum value 'stone'"),
        ({"preferred_weight_unit": 1}, "preferred_weight_unit", "Expected `str`, got `int`"),
        ({"email": 5}, "email", "Expected `str`, got `int`"),
        ({"email": "x" * 321}, "email", "Expected `str` of length <= 320"),
        ({"version": 5}, "version", "Object contains unknown field `version`"),
        ({"new_password": 1234567890}, "new_password", "Expected `str`, got `int`"),
        ([{"display_name": "Ann"}], "body", "Expected `object`, got `array`"),
    ],
)
def test_patch_me_rejects_malformed_bodies(
    client: Client, body: Any, field: str, message: str
) -> None:
    tokens = register(client)
    me = signed_in(client, tokens)
    error = assert_error(me.patch("/v1/me", json=body), 400, "validation_error")
    assert error["details"] == [{"message": message, "field": field, "source": "body"}]
    assert me.get("/v1/me").json() == tokens["user"]


def test_patch_me_rejects_a_blank_display_name(client: Client) -> None:
    tokens = register(client)
    response = signed_in(client, tokens).patch("/v1/me", json={"display_name": "   "})
    assert_error(response, 422, "invalid_display_name")


def test_patch_me_needs_a_token(client: Client) -> None:
    assert_error(client.patch("/v1/me", json={"display_name": "x"}), 401, "missing_token")


def test_patch_me_has_a_small_body_limit(client: Client) -> None:
    tokens = register(client)
    response = signed_in(client, tokens).patch("/v1/me", json={"display_name": "x" * 20_000})
    assert_error(response, 413, "payload_too_large")


# --- PATCH /v1/me: password --------------------------------------------------------------------


def test_changing_the_password_ends_every_other_login(client: Client, db_url: str) -> None:
    phone = register(client, "ann@example.com", user_agent="phone")
    laptop = login(client, "ann@example.com", user_agent="laptop").json()
    tablet = login(client, "ann@example.com", user_agent="tablet").json()
    response = signed_in(client, phone).patch(
        "/v1/me", json={"new_password": NEW_PASSWORD, "current_password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2
    # the other devices must log in again; this one keeps going
    for other in (laptop, tablet):
        refresh = client.post("/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
        assert_error(refresh, 401, "invalid_refresh_token")
    kept = client.post("/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert kept.status_code == 200
    labels = [
        x["device_label"] for x in signed_in(client, phone).get("/v1/me/logins").json()["items"]
    ]
    assert labels == ["phone"]
    assert_error(login(client, "ann@example.com", PASSWORD), 401, "invalid_credentials")
    assert login(client, "ann@example.com", NEW_PASSWORD).status_code == 200
    [row] = audit_rows(db_url, "password_change")
    assert row["metadata"]["ended_logins"] == 2
    # the version moved, so the change log has the profile's new version (with no secret in it)
    events = change_events(db_url, entity_id=phone["user"]["id"])
    assert [(e["event_type"], e["version"]) for e in events] == [
        ("profile.updated", 1),
        ("profile.updated", 2),
    ]
    assert events[1]["document"] == response.json()
    assert "password" not in str(events[1]["document"])


def test_a_password_change_with_a_token_of_no_login_ends_all_logins(client: Client) -> None:
    """An access token that names no login (as tokens issued outside a login do) keeps
    none: every login ends."""
    tokens = register(client, "ann@example.com")
    settings = client.app.state.settings
    token = issue_access_token(settings, uuid.UUID(tokens["user"]["id"]))
    response = client.patch(
        "/v1/me",
        json={"new_password": NEW_PASSWORD, "current_password": PASSWORD},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    refresh = client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401


def test_password_change_together_with_profile_fields(client: Client, db_url: str) -> None:
    tokens = register(client)
    response = signed_in(client, tokens).patch(
        "/v1/me",
        json={"display_name": "New", "new_password": NEW_PASSWORD, "current_password": PASSWORD},
    )
    assert response.status_code == 200
    assert response.json()["display_name"] == "New"
    assert response.json()["version"] == 2
    assert len(audit_rows(db_url, "password_change")) == 1
    events = change_events(db_url, entity_id=tokens["user"]["id"])
    assert [(e["event_type"], e["version"]) for e in events] == [
        ("profile.updated", 1),
        ("profile.updated", 2),
    ]
    assert events[1]["document"] == response.json()


def test_password_change_needs_the_current_password(client: Client) -> None:
    tokens = register(client)
    me = signed_in(client, tokens)
    response = me.patch("/v1/me", json={"new_password": NEW_PASSWORD})
    body = assert_error(response, 422, "current_password_required")
    assert body["details"] == [
        {"field": "current_password", "message": "is required with new_password"}
    ]
    only_current = me.patch("/v1/me", json={"current_password": PASSWORD})
    assert_error(only_current, 422, "new_password_required")
    # a malformed body is answered as such even when the If-Match is stale
    stale = me.patch("/v1/me", json={"current_password": PASSWORD}, headers={"If-Match": '"999"'})
    assert_error(stale, 422, "new_password_required")


def test_password_change_with_a_wrong_current_password_is_403(client: Client, db_url: str) -> None:
    tokens = register(client)
    me = signed_in(client, tokens)
    response = me.patch(
        "/v1/me",
        json={
            "new_password": NEW_PASSWORD,
            "current_password": "not the password",
            "display_name": "X",
        },
    )
    body = assert_error(response, 403, "wrong_password")
    assert body["details"] == [{"field": "current_password", "message": "is not correct"}]
    # nothing changed
    assert me.get("/v1/me").json() == tokens["user"]
    assert login(client, tokens["user"]["email"], PASSWORD).status_code == 200
    [row] = audit_rows(db_url, "login_failed")
    assert row["metadata"]["reason"] == "wrong_current_password"


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("too short", "must be at least 10 characters long"),
        ("x" * 1025, "must be at most 1024 bytes (UTF-8)"),
        (PASSWORD, "must differ from the current one"),
    ],
)
def test_password_change_enforces_the_policy(
    client: Client, new_password: str, message: str
) -> None:
    tokens = register(client)
    response = signed_in(client, tokens).patch(
        "/v1/me", json={"new_password": new_password, "current_password": PASSWORD}
    )
    body = assert_error(response, 422, "weak_password")
    assert {"field": "new_password", "message": message} in body["details"]
    assert login(client, tokens["user"]["email"], PASSWORD).status_code == 200


def test_guessing_the_current_password_is_throttled(db_url: str) -> None:
    app = create_app(make_settings(db_url, login_max_failures=3))
    with TestClient(app) as client:
        tokens = register(client, "ann@example.com")
        for _ in range(3):
            wrong = signed_in(client, tokens).patch(
                "/v1/me", json={"new_password": NEW_PASSWORD, "current_password": "a wrong guess"}
            )
            assert wrong.status_code == 403
        locked = signed_in(client, tokens).patch(
            "/v1/me", json={"new_password": NEW_PASSWORD, "current_password": PASSWORD}
        )
        assert_error(locked, 429, "too_many_attempts")
        assert int(locked.headers["retry-after"]) > 0
        # the same account lock applies to logging in
        assert login(client, "ann@example.com").status_code == 429


# --- DELETE /v1/me ---------------------------------------------------------------------------


def insert_training_data(db_url: str, user_id: str) -> None:
    """A custom exercise, a workout using it and a session from it with a set of it,
    straight in SQL."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        exercise_id, workout_id, session_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        conn.execute(
            "INSERT INTO exercises (id, user_id, name, category, primary_muscle)"
            " VALUES (%s, %s, 'My press', 'strength', 'chest')",
            (exercise_id, user_id),
        )
        conn.execute(
            "INSERT INTO workouts (id, user_id, name) VALUES (%s, %s, 'Push day')",
            (workout_id, user_id),
        )
        conn.execute(
            "INSERT INTO workout_exercises (user_id, workout_id, position, exercise_id)"
            " VALUES (%s, %s, 0, %s)",
            (user_id, workout_id, exercise_id),
        )
        conn.execute(
            "INSERT INTO sessions (id, user_id, workout_id, started_at) VALUES (%s, %s, %s, now())",
            (session_id, user_id, workout_id),
        )
        conn.execute(
            "INSERT INTO set_records (id, session_id, user_id, exercise_id, position, reps)"
            " VALUES (%s, %s, %s, %s, 0, 5)",
            (uuid.uuid4(), session_id, user_id, exercise_id),
        )


def count_rows(db_url: str, table: str, user_id: str) -> int:
    with psycopg.connect(db_url, autocommit=True) as conn:
        column = "id" if table == "users" else "user_id"
        row = conn.execute(
            f"SELECT count(*) FROM {table} WHERE {column} = %s".encode(),  # noqa: S608
            (user_id,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_delete_me_removes_everything_but_the_audit_history(client: Client, db_url: str) -> None:
    ann = register(client, "ann@example.com")
    as_ann = signed_in(client, ann)
    bob = register(client, "bob@example.com")
    ann_id, bob_id = ann["user"]["id"], bob["user"]["id"]
    insert_training_data(db_url, ann_id)
    insert_training_data(db_url, bob_id)
    as_ann.patch("/v1/me", json={"display_name": "Ann 2"})
    history_before = len(audit_rows(db_url))

    response = as_ann.delete("/v1/me")
    assert response.status_code == 204
    for table in ("users", "refresh_tokens", "exercises", "workouts", "sessions", "set_records"):
        assert count_rows(db_url, table, ann_id) == 0, table
        assert count_rows(db_url, table, bob_id) == 1 or table == "refresh_tokens", table
    # the audit rows stay, none of them with the user id any more
    rows = audit_rows(db_url)
    assert len(rows) == history_before + 1
    assert rows[-1]["action"] == "account_delete"
    assert all(str(r["user_id"]) != ann_id for r in rows)
    assert ann_id not in str(rows)
    assert [r["action"] for r in rows if str(r["user_id"]) == bob_id] == ["register"]
    # the account is gone for every client
    assert_error(as_ann.get("/v1/me"), 401, "invalid_token")
    assert_error(login(client, "ann@example.com"), 401, "invalid_credentials")
    refresh = client.post("/v1/auth/refresh", json={"refresh_token": ann["refresh_token"]})
    assert_error(refresh, 401, "invalid_refresh_token")
    assert_error(as_ann.delete("/v1/me"), 401, "invalid_token")
    # Bob is untouched, and the email can be used again
    assert signed_in(client, bob).get("/v1/me").status_code == 200
    register(client, "ann@example.com")


def test_delete_me_with_a_stale_if_match_is_412(client: Client) -> None:
    tokens = register(client)
    me = signed_in(client, tokens)
    response = me.delete("/v1/me", headers={"If-Match": '"5"'})
    assert_error(response, 412, "etag_mismatch")
    assert me.get("/v1/me").status_code == 200
    ok = me.delete("/v1/me", headers={"If-Match": '"1"'})
    assert ok.status_code == 204


def test_delete_me_needs_a_token(client: Client) -> None:
    assert_error(client.delete("/v1/me"), 401, "missing_token")


# --- logins ------------------------------------------------------------------------------------


def test_logins_lists_active_devices_newest_first(client: Client) -> None:
    phone = register(client, "ann@example.com", user_agent="phone")
    login(client, "ann@example.com", user_agent="laptop")
    tablet = login(client, "ann@example.com", user_agent="tablet").json()
    signed_in(client, tablet).post(
        "/v1/auth/logout", json={"refresh_token": tablet["refresh_token"]}
    )
    response = signed_in(client, phone).get("/v1/me/logins")
    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    assert [(x["device_label"], x["current"]) for x in body["items"]] == [
        ("laptop", False),
        ("phone", True),
    ]
    item = body["items"][0]
    assert set(item) == {
        "id",
        "device_label",
        "created_at",
        "last_used_at",
        "expires_at",
        "current",
    }
    assert "token" not in response.text


def test_logins_are_paginated(client: Client) -> None:
    tokens = register(client, "ann@example.com", user_agent="device 0")
    for i in range(1, 5):
        login(client, "ann@example.com", user_agent=f"device {i}")
    walked = list(pages(signed_in(client, tokens), "/v1/me/logins?limit=2"))
    seen = [x["device_label"] for page in walked for x in page["items"]]
    assert seen == [f"device {i}" for i in range(4, -1, -1)]
    assert len(walked) == 3


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=abc", "cursor=not-a-cursor", "cursor=WzVd"]
)
def test_logins_reject_bad_paging_parameters(client: Client, query: str) -> None:
    tokens = register(client)
    response = signed_in(client, tokens).get(f"/v1/me/logins?{query}")
    assert response.status_code == 400
    assert response.json()["error_code"] in {"validation_error", "invalid_cursor"}


def test_ending_a_login(client: Client, db_url: str) -> None:
    phone = register(client, "ann@example.com", user_agent="phone")
    as_phone = signed_in(client, phone)
    laptop = login(client, "ann@example.com", user_agent="laptop").json()
    items = as_phone.get("/v1/me/logins").json()["items"]
    laptop_id = next(x["id"] for x in items if x["device_label"] == "laptop")
    response = as_phone.delete(f"/v1/me/logins/{laptop_id}")
    assert response.status_code == 204
    refresh = client.post("/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    assert_error(refresh, 401, "invalid_refresh_token")
    assert [x["device_label"] for x in as_phone.get("/v1/me/logins").json()["items"]] == ["phone"]
    [row] = audit_rows(db_url, "login_revoke")
    assert row["metadata"]["login_id"] == laptop_id
    # ending it again: it is not an active login any more
    again = as_phone.delete(f"/v1/me/logins/{laptop_id}")
    assert_error(again, 404, "login_not_found")


def test_ending_the_current_login(client: Client) -> None:
    phone = register(client)
    [item] = signed_in(client, phone).get("/v1/me/logins").json()["items"]
    assert signed_in(client, phone).delete(f"/v1/me/logins/{item['id']}").status_code == 204
    refresh = client.post("/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert refresh.status_code == 401


def test_another_users_login_is_404(client: Client) -> None:
    ann = register(client)
    bob = register(client)
    [ann_login] = signed_in(client, ann).get("/v1/me/logins").json()["items"]
    response = signed_in(client, bob).delete(f"/v1/me/logins/{ann_login['id']}")
    assert_error(response, 404, "login_not_found")
    refresh = client.post("/v1/auth/refresh", json={"refresh_token": ann["refresh_token"]})
    assert refresh.status_code == 200
    unknown = signed_in(client, bob).delete(f"/v1/me/logins/{uuid.uuid4()}")
    assert_error(unknown, 404, "login_not_found")


def test_a_login_id_must_be_a_uuid(client: Client) -> None:
    tokens = register(client)
    response = signed_in(client, tokens).delete("/v1/me/logins/not-a-uuid")
    assert response.status_code in (400, 404)
    assert response.json()["status_code"] == response.status_code
