"""Password reset, email verification and email change, as a client sees them: the mailed
single-use tokens (read here from the queued email, as the worker would send it), what each
flow changes, and every way of getting a token wrong, which changes nothing. The flows with
a real worker and SMTP server are in tests/test_account_mail.py."""

from __future__ import annotations

import hashlib
import statistics
import time
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from app.core.config import RateLimit
from app.main import create_app
from tests.api import PASSWORD, Client, assert_error, login, register, signed_in
from tests.conftest import audit_rows, make_settings

NEW_PASSWORD = "a brand new passphrase"


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "request_id"}


def mails(db_url: str, to: str | None = None) -> list[tuple[str, str, dict[str, str]]]:
    """The queued email jobs, oldest first: (to, template, values)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT args FROM procrastinate_jobs WHERE task_name = 'mail.send' ORDER BY id"
        ).fetchall()
    found = [(r[0]["to"], r[0]["template"], r[0]["values"]) for r in rows]
    return [m for m in found if to is None or m[0] == to]


def last_token(db_url: str, to: str, template: str) -> str:
    [*_, (_, _, values)] = [m for m in mails(db_url, to) if m[1] == template]
    return values["token"]


def ask_reset(client: Client, email: str) -> Any:
    return client.post("/v1/auth/password-reset", json={"email": email})


def confirm(client: Client, token: Any, password: Any = NEW_PASSWORD) -> Any:
    return client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "new_password": password}
    )


def verify(client: Client, token: Any) -> Any:
    return client.post("/v1/auth/verify-email", json={"token": token})


def password_hash(db_url: str, email: str) -> str:
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute("SELECT password_hash FROM users WHERE email = %s", (email,)).fetchone()
    assert row is not None
    return str(row[0])


# --- password reset: the request -------------------------------------------------------------


def test_reset_answers_the_same_whether_or_not_the_account_exists(
    client: Client, db_url: str
) -> None:
    register(client, "ann@example.com")
    known = ask_reset(client, "Ann@Example.com")
    unknown = ask_reset(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 202
    assert without_request_id(known.json()) == without_request_id(unknown.json())
    assert "reset code is on its way" in known.json()["message"]
    assert set(known.headers) == set(unknown.headers)
    # only the account gets a message, with a reset token
    resets = [m for m in mails(db_url) if m[1] == "password_reset"]
    assert [(to, values["display_name"]) for to, _, values in resets] == [
        ("ann@example.com", "Ann Lifter")
    ]
    token = resets[0][2]["token"]
    assert token.startswith("kpr_")
    assert len(token) == 47
    # stored as its SHA-256 only
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT purpose::text, token_hash, email, expires_at - created_at FROM account_tokens"
            " WHERE purpose = 'password_reset'"
        ).fetchall()
    [(purpose, stored, email, ttl)] = rows
    assert (purpose, email, ttl.total_seconds()) == ("password_reset", "ann@example.com", 1800)
    assert bytes(stored) == hashlib.sha256(token.encode()).digest()
    # both requests are audited; the unknown email is not kept (people mistype addresses)
    rows = audit_rows(db_url, "password_reset_request")
    assert [(r["user_id"] is not None, r["metadata"]["account_found"]) for r in rows] == [
        (True, True),
        (False, False),
    ]
    assert set(rows[0]["metadata"]) == {"ip", "user_agent", "account_found"}
    assert token not in str(rows)
    assert "nobody" not in str(rows)


def test_an_unknown_email_takes_as_long_as_a_known_one(db_url: str) -> None:
    """Both run the same statement (issue the token, or find no account) and write an audit
    row, so both commits flush a write; the known one also queues its email. Without the
    audit row of the unknown email, its commit wrote nothing and the medians differed about
    tenfold; with it they stay close (bounds kept wide for busy machines; the two kinds of
    request alternate, so a busy spell slows both)."""
    times: dict[str, list[float]] = {"ann@example.com": [], "nobody@example.com": []}
    settings = make_settings(db_url, rate_limit_password_reset_email=None)
    with TestClient(create_app(settings)) as client:
        register(client, "ann@example.com")
        for _ in range(3):
            ask_reset(client, "warm-up@example.com")
        for _ in range(11):
            for email, taken in times.items():
                started = time.perf_counter()
                assert ask_reset(client, email).status_code == 202
                taken.append(time.perf_counter() - started)
    known, unknown = (statistics.median(t) * 1000 for t in times.values())
    assert 0.4 < unknown / known < 2.5, (known, unknown)


def test_reset_requests_are_limited_per_email_and_per_address(db_url: str) -> None:
    settings = make_settings(
        db_url,
        rate_limit_password_reset_email=RateLimit(2, 3600),
        rate_limit_password_reset=RateLimit(6, 3600),
    )
    with TestClient(create_app(settings)) as client:
        register(client, "ann@example.com")
        for email in ("ann@example.com", "nobody@example.com"):
            assert ask_reset(client, email).status_code == 202
            assert ask_reset(client, email.upper()).status_code == 202
            refused = assert_error(ask_reset(client, email), 429, "rate_limited")
            assert "password_reset_email" in refused["message"]
        # six requests from this address so far; the seventh is refused by address
        assert_error(ask_reset(client, "carl@example.com"), 429, "rate_limited")
    assert len([m for m in mails(db_url) if m[1] == "password_reset"]) == 2
    with psycopg.connect(db_url, autocommit=True) as conn:
        subjects = {
            r[0]
            for r in conn.execute(
                "SELECT subject FROM rate_limit_counters WHERE policy = 'password_reset_email'"
            )
        }
    # counted by the hash of the address, never the address
    assert subjects == {
        hashlib.sha256(b"ann@example.com").hexdigest(),
        hashlib.sha256(b"nobody@example.com").hexdigest(),
    }


def test_reset_request_rejects_malformed_bodies(client: Client) -> None:
    assert_error(ask_reset(client, "not an email"), 422, "invalid_email")
    for body in ({}, {"email": 5}, {"email": "a@b.co", "extra": 1}, {"email": "a" * 321}):
        assert_error(client.post("/v1/auth/password-reset", json=body), 400, "validation_error")


# --- password reset: the confirmation --------------------------------------------------------


def test_confirm_sets_the_password_ends_every_login_and_tells_the_account(
    client: Client, db_url: str
) -> None:
    ann = register(client, "ann@example.com")
    laptop = login(client, "ann@example.com").json()
    ask_reset(client, "ann@example.com")
    token = last_token(db_url, "ann@example.com", "password_reset")
    assert confirm(client, token).status_code == 204

    # every login ended: refresh tokens refused, access tokens too within a second
    for pair in (ann, laptop):
        refused = client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert_error(refused, 401, "invalid_refresh_token")
    deadline = time.monotonic() + 1.0
    while signed_in(client, ann).get("/v1/me").status_code != 401:
        assert time.monotonic() < deadline, "an ended login's access token still works"
        time.sleep(0.02)
    assert_error(login(client, "ann@example.com"), 401, "invalid_credentials")
    fresh = login(client, "ann@example.com", NEW_PASSWORD)
    assert fresh.status_code == 200
    me = signed_in(client, fresh.json()).get("/v1/me").json()
    # the token came through the account's mailbox: the address is verified too
    assert (me["email_verified"], me["version"]) == (True, 2)

    assert [(m[1], m[2]) for m in mails(db_url, "ann@example.com")][-1] == (
        "password_changed",
        {"display_name": "Ann Lifter"},
    )
    [row] = audit_rows(db_url, "password_reset")
    assert row["metadata"]["ended_logins"] == 2
    assert token not in str(audit_rows(db_url))
    # used once
    assert_error(confirm(client, token, "yet another passphrase"), 400, "invalid_reset_token")
    assert login(client, "ann@example.com", NEW_PASSWORD).status_code == 200


def test_only_the_newest_reset_token_works(client: Client, db_url: str) -> None:
    register(client, "ann@example.com")
    ask_reset(client, "ann@example.com")
    first = last_token(db_url, "ann@example.com", "password_reset")
    ask_reset(client, "ann@example.com")
    second = last_token(db_url, "ann@example.com", "password_reset")
    assert first != second
    assert_error(confirm(client, first), 400, "invalid_reset_token")
    assert confirm(client, second).status_code == 204


def test_expired_malformed_and_wrong_purpose_tokens_change_nothing(
    client: Client, db_url: str
) -> None:
    register(client, "ann@example.com")
    ask_reset(client, "ann@example.com")
    token = last_token(db_url, "ann@example.com", "password_reset")
    verification = last_token(db_url, "ann@example.com", "verify_email")
    before = password_hash(db_url, "ann@example.com")
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (
        verification,  # a real token, of the other purpose
        "kev_" + token[4:],
        flipped,
        token[:-1],
        token + "A",
        "kr1_" + token[4:],
        "garbage",
        " " + token,
    ):
        assert_error(confirm(client, bad), 400, "invalid_reset_token")
        if bad != verification:
            wrong = verify(client, bad.replace("kpr_", "kev_", 1))
            assert_error(wrong, 400, "invalid_verification_token")
    assert_error(verify(client, token), 400, "invalid_verification_token")
    for body in (
        {"token": token},
        {"token": 5, "new_password": NEW_PASSWORD},
        {"token": "k" * 129, "new_password": NEW_PASSWORD},
        {"token": "", "new_password": NEW_PASSWORD},
        {"token": token, "new_password": NEW_PASSWORD, "email": "ann@example.com"},
    ):
        response = client.post("/v1/auth/password-reset/confirm", json=body)
        assert_error(response, 400, "validation_error")
    # a password the registration policy refuses: 422, and the token still works
    weak = assert_error(confirm(client, token, "short"), 422, "weak_password")
    assert weak["details"][0]["field"] == "new_password"
    assert_error(confirm(client, token, "ann@example.com"), 422, "weak_password")
    assert password_hash(db_url, "ann@example.com") == before
    # expired
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE account_tokens SET created_at = now() - interval '31 minutes',"
            " expires_at = now() - interval '1 minute' WHERE purpose = 'password_reset'"
        )
    assert_error(confirm(client, token), 400, "invalid_reset_token")
    assert password_hash(db_url, "ann@example.com") == before
    assert audit_rows(db_url, "password_reset") == []
    assert login(client, "ann@example.com").status_code == 200


def test_a_reset_token_stops_working_when_the_email_changes(client: Client, db_url: str) -> None:
    ann = register(client, "ann@example.com")
    ask_reset(client, "ann@example.com")
    token = last_token(db_url, "ann@example.com", "password_reset")
    signed_in(client, ann).patch(
        "/v1/me", json={"email": "ann.new@example.com", "current_password": PASSWORD}
    )
    assert (
        verify(client, last_token(db_url, "ann.new@example.com", "verify_email")).status_code == 204
    )
    assert_error(confirm(client, token), 400, "invalid_reset_token")
    assert login(client, "ann.new@example.com").status_code == 200


def test_a_deleted_account_takes_its_tokens_with_it(client: Client, db_url: str) -> None:
    ann = register(client, "ann@example.com")
    ask_reset(client, "ann@example.com")
    token = last_token(db_url, "ann@example.com", "password_reset")
    verification = last_token(db_url, "ann@example.com", "verify_email")
    assert signed_in(client, ann).delete("/v1/me").status_code == 204
    assert_error(confirm(client, token), 400, "invalid_reset_token")
    assert_error(verify(client, verification), 400, "invalid_verification_token")


# --- email verification ----------------------------------------------------------------------


def test_registration_mails_a_verification_token(client: Client, db_url: str) -> None:
    ann = register(client, "Ann@Example.com")
    assert ann["user"]["email_verified"] is False
    [(to, template, values)] = mails(db_url)
    assert (to, template, values["email"], values["hours"]) == (
        "ann@example.com",
        "verify_email",
        "ann@example.com",
        "24",
    )
    assert values["token"].startswith("kev_")
    me = signed_in(client, ann)
    # an unverified account can do everything: the flag is only shown
    assert me.post("/v1/workouts", json={"name": "Push"}).status_code == 201

    assert verify(client, values["token"]).status_code == 204
    body = me.get("/v1/me").json()
    assert (body["email_verified"], body["pending_email"], body["version"]) == (True, None, 2)
    [row] = audit_rows(db_url, "email_verified")
    assert values["token"] not in str(row)
    assert_error(verify(client, values["token"]), 400, "invalid_verification_token")


def test_resend_replaces_the_token_and_is_limited(db_url: str) -> None:
    settings = make_settings(db_url, rate_limit_verify_email=RateLimit(2, 3600))
    with TestClient(create_app(settings)) as client:
        ann = register(client, "ann@example.com")
        me = signed_in(client, ann)
        first = last_token(db_url, "ann@example.com", "verify_email")
        resent = me.post("/v1/me/verify-email")
        assert resent.status_code == 202
        assert resent.json()["email"] == "ann@example.com"
        second = last_token(db_url, "ann@example.com", "verify_email")
        assert second != first
        assert_error(verify(client, first), 400, "invalid_verification_token")
        assert verify(client, second).status_code == 204
        assert_error(me.post("/v1/me/verify-email"), 409, "email_already_verified")
        assert_error(me.post("/v1/me/verify-email"), 429, "rate_limited")
        assert_error(client.post("/v1/me/verify-email"), 401, "missing_token")
    assert len(audit_rows(db_url, "email_verification_request")) == 1


def test_verify_rejects_malformed_bodies(client: Client) -> None:
    for body in ({}, {"token": 5}, {"token": ""}, {"token": "x", "email": "a@b.co"}):
        assert_error(client.post("/v1/auth/verify-email", json=body), 400, "validation_error")


# --- email change ----------------------------------------------------------------------------


def test_an_email_change_waits_for_the_new_address_and_tells_the_old(
    client: Client, db_url: str
) -> None:
    ann = register(client, "ann@example.com")
    me = signed_in(client, ann)
    changed = me.patch(
        "/v1/me",
        json={"email": " Ann.New@Example.com ", "current_password": PASSWORD},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["email"], body["pending_email"], body["version"]) == (
        "ann@example.com",
        "ann.new@example.com",
        2,
    )
    assert changed.headers["etag"] == '"2"'
    assert me.get("/v1/me").json()["pending_email"] == "ann.new@example.com"
    assert [m[1] for m in mails(db_url, "ann@example.com")] == [
        "verify_email",
        "email_change_requested",
    ]
    [(_, _, notice)] = [m for m in mails(db_url, "ann@example.com") if m[1] != "verify_email"]
    assert notice == {"display_name": "Ann Lifter", "new_email": "ann.new@example.com"}
    # the old address still signs in until the new one is verified
    assert login(client, "ann@example.com").status_code == 200
    assert_error(login(client, "ann.new@example.com"), 401, "invalid_credentials")

    token = last_token(db_url, "ann.new@example.com", "verify_email")
    assert verify(client, token).status_code == 204
    body = me.get("/v1/me").json()
    assert (body["email"], body["email_verified"], body["pending_email"], body["version"]) == (
        "ann.new@example.com",
        True,
        None,
        3,
    )
    assert login(client, "ann.new@example.com").status_code == 200
    assert_error(login(client, "ann@example.com"), 401, "invalid_credentials")
    assert mails(db_url, "ann@example.com")[-1][1:] == (
        "email_changed",
        {"display_name": "Ann Lifter", "new_email": "ann.new@example.com"},
    )
    assert [r["action"] for r in audit_rows(db_url) if r["action"].startswith("email")] == [
        "email_change_request",
        "email_change",
    ]
    assert token not in str(audit_rows(db_url))


def test_an_email_change_needs_the_current_password_and_a_free_address(
    client: Client, db_url: str
) -> None:
    ann = register(client, "ann@example.com")
    register(client, "bob@example.com")
    me = signed_in(client, ann)
    queued = len(mails(db_url))
    missing = assert_error(
        me.patch("/v1/me", json={"email": "ann.new@example.com"}), 422, "current_password_required"
    )
    assert missing["details"] == [
        {"field": "current_password", "message": "is required with email"}
    ]
    wrong = me.patch(
        "/v1/me", json={"email": "ann.new@example.com", "current_password": "not my password"}
    )
    assert_error(wrong, 403, "wrong_password")
    taken = me.patch("/v1/me", json={"email": "BOB@example.com", "current_password": PASSWORD})
    assert_error(taken, 409, "email_taken")
    invalid = me.patch("/v1/me", json={"email": "not-an-email", "current_password": PASSWORD})
    assert_error(invalid, 422, "invalid_email")
    stale = me.patch(
        "/v1/me",
        json={"email": "ann.new@example.com", "current_password": PASSWORD},
        headers={"If-Match": '"7"'},
    )
    assert stale.status_code == 412
    # the address it has already: nothing to change
    same = me.patch("/v1/me", json={"email": "ANN@example.com", "current_password": PASSWORD})
    assert (same.status_code, same.json()["version"], same.json()["pending_email"]) == (
        200,
        1,
        None,
    )
    assert len(mails(db_url)) == queued
    assert audit_rows(db_url, "email_change_request") == []


def test_the_new_address_taken_meanwhile_is_409_and_changes_nothing(
    client: Client, db_url: str
) -> None:
    ann = register(client, "ann@example.com")
    signed_in(client, ann).patch(
        "/v1/me", json={"email": "new@example.com", "current_password": PASSWORD}
    )
    token = last_token(db_url, "new@example.com", "verify_email")
    carl = register(client, "new@example.com")
    assert_error(verify(client, token), 409, "email_taken")
    assert signed_in(client, ann).get("/v1/me").json()["email"] == "ann@example.com"
    # the token was not used up: once the address is free again it works
    assert signed_in(client, carl).delete("/v1/me").status_code == 204
    assert verify(client, token).status_code == 204
    assert signed_in(client, ann).get("/v1/me").json()["email"] == "new@example.com"


def test_a_password_change_or_reset_cancels_a_pending_email_change(
    client: Client, db_url: str
) -> None:
    ann = register(client, "ann@example.com")
    me = signed_in(client, ann)
    me.patch("/v1/me", json={"email": "thief@example.com", "current_password": PASSWORD})
    token = last_token(db_url, "thief@example.com", "verify_email")
    changed = me.patch("/v1/me", json={"new_password": NEW_PASSWORD, "current_password": PASSWORD})
    assert changed.json()["pending_email"] is None
    assert_error(verify(client, token), 400, "invalid_verification_token")

    me.patch("/v1/me", json={"email": "thief@example.com", "current_password": NEW_PASSWORD})
    token = last_token(db_url, "thief@example.com", "verify_email")
    ask_reset(client, "ann@example.com")
    assert (
        confirm(client, last_token(db_url, "ann@example.com", "password_reset")).status_code == 204
    )
    assert_error(verify(client, token), 400, "invalid_verification_token")
    fresh = login(client, "ann@example.com", NEW_PASSWORD).json()
    assert signed_in(client, fresh).get("/v1/me").json()["email"] == "ann@example.com"


@pytest.mark.parametrize("purpose", ["password_reset", "verify_email"])
def test_tokens_of_another_account_only_ever_act_on_that_account(
    client: Client, db_url: str, purpose: str
) -> None:
    """A token names its account: whoever presents it (signed in as someone else, or not
    at all) changes that account only."""
    register(client, "ann@example.com")
    bob = register(client, "bob@example.com")
    as_bob = signed_in(client, bob)
    if purpose == "password_reset":
        ask_reset(client, "ann@example.com")
        token = last_token(db_url, "ann@example.com", "password_reset")
        response = client.post(
            "/v1/auth/password-reset/confirm",
            json={"token": token, "new_password": NEW_PASSWORD},
            headers={"Authorization": f"Bearer {bob['access_token']}"},
        )
        assert response.status_code == 204
        assert login(client, "bob@example.com").status_code == 200
        assert login(client, "ann@example.com", NEW_PASSWORD).status_code == 200
    else:
        token = last_token(db_url, "ann@example.com", "verify_email")
        response = client.post(
            "/v1/auth/verify-email",
            json={"token": token},
            headers={"Authorization": f"Bearer {bob['access_token']}"},
        )
        assert response.status_code == 204
        assert as_bob.get("/v1/me").json()["email_verified"] is False
        # Bob's resend mails Bob, and Ann's token is spent
        assert as_bob.post("/v1/me/verify-email").json()["email"] == "bob@example.com"
        assert_error(verify(client, token), 400, "invalid_verification_token")
