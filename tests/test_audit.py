"""The audit log: written with the change it records, shown to its user, never holding a
secret; and no secret in any log line or response body either."""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from litestar.testing import TestClient

from app.core.logs import JsonFormatter
from app.main import create_app
from tests.api import PASSWORD, Client, assert_error, login, pages, register, signed_in
from tests.conftest import audit_rows, change_events, make_settings


def actions(client: Client, tokens: dict[str, Any], **params: Any) -> list[str]:
    response = signed_in(client, tokens).get("/v1/me/audit", params=params)
    assert response.status_code == 200
    return [item["action"] for item in response.json()["items"]]


def test_a_user_sees_their_own_history_newest_first(client: Client, db_url: str) -> None:
    first = register(client, "ann@example.com", user_agent="phone")
    as_first = signed_in(client, first)
    assert login(client, "ann@example.com", "wrong password!").status_code == 401
    laptop = login(client, "ann@example.com", user_agent="laptop").json()
    rotated = client.post("/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    as_first.post("/v1/auth/logout", json={"refresh_token": rotated.json()["refresh_token"]})
    # a data change goes to the change log, not to the audit history
    patched = as_first.patch("/v1/me", json={"display_name": "Ann"})
    assert patched.status_code == 200
    events = change_events(db_url, entity_id=first["user"]["id"])
    assert [e["event_type"] for e in events] == ["profile.updated", "profile.updated"]
    assert events[-1]["document"] == patched.json()
    response = as_first.get("/v1/me/audit")
    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    assert [item["action"] for item in body["items"]] == [
        "logout",
        "token_refresh",
        "login",
        "login_failed",
        "register",
    ]
    newest = body["items"][0]
    assert set(newest) == {
        "id", "action", "entity_type", "entity_id", "metadata", "request_id", "created_at",
    }  # fmt: skip
    assert newest["metadata"]["user_agent"] == "testclient"
    assert body["items"][3]["metadata"]["reason"] == "wrong_password"
    assert body["items"][0]["metadata"]["login_id"] == body["items"][2]["metadata"]["login_id"]


def test_the_audit_history_is_paginated(client: Client) -> None:
    tokens = register(client, "ann@example.com")
    for _ in range(4):
        client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        tokens = {**tokens, **login(client, "ann@example.com").json()}
    everything = actions(client, tokens, limit=100)
    assert len(everything) == 9
    seen: list[str] = []
    for page in pages(signed_in(client, tokens), "/v1/me/audit?limit=4"):
        assert len(page["items"]) <= 4
        seen += [item["action"] for item in page["items"]]
    assert seen == everything


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=-1", "limit=x", "cursor=%%%", "cursor=WyJ4Il0"]
)
def test_the_audit_history_rejects_bad_paging_parameters(client: Client, query: str) -> None:
    tokens = register(client)
    response = signed_in(client, tokens).get(f"/v1/me/audit?{query}")
    assert response.status_code == 400
    assert response.json()["error_code"] in {"validation_error", "invalid_cursor"}


def test_nobody_sees_anyone_elses_history(client: Client) -> None:
    ann = register(client, "ann@example.com")
    bob = register(client, "bob@example.com")
    login(client, "ann@example.com", "wrong password!")
    login(client, "nobody@example.com", "wrong password!")  # no account: no one's history
    assert actions(client, ann) == ["login_failed", "register"]
    assert actions(client, bob) == ["register"]
    assert_error(client.get("/v1/me/audit"), 401, "missing_token")


def test_account_events_are_recorded_with_the_change(client: Client, db_url: str) -> None:
    """If the change fails, its audit row is not written either: both are one transaction."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            """
            CREATE FUNCTION fail_token_insert() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'refusing tokens today'; END; $$;
            CREATE TRIGGER refuse BEFORE INSERT ON refresh_tokens
                FOR EACH ROW EXECUTE FUNCTION fail_token_insert();
            """
        )
    response = client.post(
        "/v1/auth/register",
        json={"email": "ann@example.com", "password": PASSWORD, "display_name": "Ann"},
    )
    assert_error(response, 500, "internal_error")
    assert "refusing" not in response.text
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)
        conn.execute("DROP TRIGGER refuse ON refresh_tokens")
    assert audit_rows(db_url) == []

    tokens = register(client, "ann@example.com")
    me = signed_in(client, tokens)
    stale = me.patch("/v1/me", json={"display_name": "X"}, headers={"If-Match": '"4"'})
    assert stale.status_code == 412
    gone = me.delete("/v1/me", headers={"If-Match": '"4"'})
    assert gone.status_code == 412
    assert [r["action"] for r in audit_rows(db_url)] == ["register"]


# --- no secret anywhere ----------------------------------------------------------------------


class Recorder:
    """Every response of a test client, kept for inspection."""

    def __init__(self) -> None:
        self.responses: list[httpx.Response] = []

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        self.responses.append(response)


class LogCollector(logging.Handler):
    """Every log record of the process, formatted as the JSON lines the server writes."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def collected_logs() -> Iterator[LogCollector]:
    collector = LogCollector()
    root = logging.getLogger()
    level = root.level
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    try:
        yield collector
    finally:
        root.removeHandler(collector)
        root.setLevel(level)


@pytest.fixture
def recorded(db_url: str) -> Iterator[tuple[Client, Recorder]]:
    app = create_app(make_settings(db_url, login_max_failures=3))
    recorder = Recorder()
    with TestClient(app) as client:
        client.event_hooks["response"] = [recorder]
        yield client, recorder


def mailed_tokens(db_url: str) -> list[str]:
    """The tokens of the queued email (password reset, verification), oldest first."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT args FROM procrastinate_jobs WHERE task_name = 'mail.send' ORDER BY id"
        ).fetchall()
    return [r[0]["values"]["token"] for r in rows if "token" in r[0]["values"]]


def test_no_password_token_or_hash_in_logs_responses_or_audit_log(
    recorded: tuple[Client, Recorder],
    db_url: str,
    collected_logs: LogCollector,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client, recorder = recorded
    first_password = "Secret-Passphrase-One-7391"
    second_password = "Secret-Passphrase-Two-8402"
    third_password = "Secret-Passphrase-Three-9513"
    wrong_password = "Wrong-Guess-Passphrase-5517"
    typed_in_email = "Mistyped-Into-Email-6628"
    issued: list[tuple[str, httpx.Response]] = []

    def keep(response: httpx.Response) -> dict[str, Any]:
        body = response.json()
        for name in ("access_token", "refresh_token"):
            issued.append((body[name], response))
        return body

    # register, log in on a second device, refresh, reuse a retired token
    ann = keep(
        client.post(
            "/v1/auth/register",
            json={"email": "ann@example.com", "password": first_password, "display_name": "A"},
            headers={"User-Agent": "phone"},
        )
    )
    as_ann = signed_in(client, ann)
    laptop = keep(login(client, "ann@example.com", first_password))
    rotated = keep(client.post("/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]}))
    client.post("/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    # failures: a wrong password, a password typed into the email field, bad bodies
    login(client, "ann@example.com", wrong_password)
    login(client, typed_in_email, first_password)
    client.post("/v1/auth/login", json={"email": "ann@example.com", "password": 1})
    client.post(
        "/v1/auth/register",
        json={"email": "ann@example.com", "password": wrong_password, "display_name": "A"},
    )
    client.post("/v1/auth/register", json={"email": "x@y.zz", "password": "short"})
    client.get("/v1/me", headers={"Authorization": f"Bearer {rotated['refresh_token']}"})
    # the account: profile, a wrong and a right password change, logins, audit
    as_ann.get("/v1/me")
    as_ann.patch(
        "/v1/me", json={"new_password": second_password, "current_password": wrong_password}
    )
    changed = as_ann.patch(
        "/v1/me", json={"new_password": second_password, "current_password": first_password}
    )
    assert changed.status_code == 200
    again = keep(login(client, "ann@example.com", second_password))
    signed_in(client, again).get("/v1/me/logins")
    as_ann.post("/v1/auth/logout", json={"refresh_token": again["refresh_token"]})
    # mailed tokens: verify the address, ask for an email change (cancelled by the reset that
    # follows), reset the password; a used, a malformed and a wrong-purpose token
    [verification] = mailed_tokens(db_url)
    assert client.post("/v1/auth/verify-email", json={"token": verification}).status_code == 204
    client.post("/v1/auth/verify-email", json={"token": verification})
    as_ann.patch(
        "/v1/me", json={"email": "ann.new@example.com", "current_password": second_password}
    )
    as_ann.post("/v1/me/verify-email")
    client.post("/v1/auth/password-reset", json={"email": "ann@example.com"})
    client.post("/v1/auth/password-reset", json={"email": "nobody@example.com"})
    reset_token = mailed_tokens(db_url)[-1]
    client.post(
        "/v1/auth/password-reset/confirm",
        json={"token": reset_token[:-2], "new_password": third_password},
    )
    client.post(
        "/v1/auth/password-reset/confirm",
        json={"token": verification, "new_password": third_password},
    )
    confirmed = client.post(
        "/v1/auth/password-reset/confirm",
        json={"token": reset_token, "new_password": third_password},
    )
    assert confirmed.status_code == 204
    client.post(
        "/v1/auth/password-reset/confirm",
        json={"token": reset_token, "new_password": third_password},
    )
    client.post("/v1/auth/password-reset", json={"email": reset_token})  # pasted in the wrong box
    as_ann = signed_in(client, keep(login(client, "ann@example.com", third_password)))
    for _ in range(4):  # into the lock
        login(client, "ann@example.com", wrong_password)
    audit_page = as_ann.get("/v1/me/audit?limit=100")
    assert audit_page.status_code == 200
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute("SELECT password_hash FROM users").fetchone()
        assert row is not None
        token_hashes = [r[0] for r in conn.execute("SELECT token_hash FROM refresh_tokens")]
        audit_text = "\n".join(
            str(r[0]) for r in conn.execute("SELECT row_to_json(a)::text FROM audit_log a")
        )
    deleted = as_ann.delete("/v1/me")
    assert deleted.status_code == 204

    password_hash: str = row[0]
    passwords = [first_password, second_password, third_password, wrong_password, typed_in_email]
    hashes = [password_hash, password_hash.rsplit("$", 1)[1]]  # the PHC string and its digest
    for token_hash in token_hashes:
        hashes += [token_hash.hex(), base64.b64encode(token_hash).decode()]
    mailed = mailed_tokens(db_url)
    assert len(mailed) == 4  # on registration, for the new address, again, and the reset
    for token in mailed:
        digest = hashlib.sha256(token.encode()).digest()
        hashes += [digest.hex(), base64.b64encode(digest).decode()]
    tokens = [token for token, _ in issued] + mailed
    assert len(tokens) == 14
    assert len(token_hashes) == 5

    # the access log is written straight to stderr, everything else through logging
    logs = "\n".join(collected_logs.lines) + capsys.readouterr().err
    assert '"event":"request"' in logs  # the access log was captured
    assert len(recorder.responses) > 20
    assert "login_failed" in audit_text
    for secret in [*passwords, *hashes, *tokens]:
        assert secret not in logs, "a secret in the logs"
        assert secret not in audit_text, "a secret in the audit log"
        for response in recorder.responses:
            issuing = [r for token, r in issued if token == secret]
            if issuing and response is issuing[0]:
                continue  # the one response that hands the token out
            assert secret not in response.text, f"a secret in {response.request.url}"
            assert secret not in str(response.headers), f"a secret in {response.request.url}"
