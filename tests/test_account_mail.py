"""The account flows end to end: the API queues the email, a `kinetria worker` process sends
it to a real SMTP server on loopback (aiosmtpd), and the test reads the code out of the
message that arrived, as a person would, to finish the flow."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

from litestar.testing import TestClient

from app.main import create_app
from tests.api import PASSWORD, Client, assert_error, login, register, signed_in
from tests.conftest import make_settings
from tests.test_worker import Inbox, WorkerProcess, running_worker, smtp_server, wait_until

NEW_PASSWORD = "a brand new passphrase"


def arrived(inbox: Inbox, to: str, subject: str, worker: WorkerProcess) -> EmailMessage:
    """The first message to `to` whose subject has `subject`, once it has arrived."""

    def find() -> EmailMessage | None:
        for message in list(inbox.messages):
            if message["To"] == to and subject in str(message["Subject"]):
                return message
        return None

    wait_until(lambda: find() is not None, f"a message {subject!r} to {to}", worker)
    found = find()
    assert found is not None
    return found


def bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    markup = message.get_body(("html",))
    assert text is not None
    assert markup is not None
    return str(text.get_content()), str(markup.get_content())


def code_in(message: EmailMessage, prefix: str) -> str:
    text, markup = bodies(message)
    [code] = set(re.findall(rf"{prefix}_[A-Za-z0-9_-]{{43}}", text))
    assert code in markup
    return code


def test_verification_and_email_change_by_real_email(db_url: str, tmp_path: Path) -> None:
    inbox = Inbox()
    with (
        smtp_server(inbox) as smtp_url,
        running_worker(db_url, tmp_path, SMTP_URL=smtp_url) as worker,
        TestClient(create_app(make_settings(db_url))) as client,
    ):
        ann = register(client, "ann@example.com", display_name="Ann <b>")
        me = signed_in(client, ann)
        welcome = arrived(inbox, "ann@example.com", "confirm your email address", worker)
        text, markup = bodies(welcome)
        assert "Hello Ann <b>," in text
        assert "Hello Ann &lt;b&gt;," in markup  # values are escaped in the HTML body
        assert verify_with(client, code_in(welcome, "kev")) == 204
        assert me.get("/v1/me").json()["email_verified"] is True

        changed = me.patch(
            "/v1/me", json={"email": "ann@new.example", "current_password": PASSWORD}
        )
        assert changed.json()["pending_email"] == "ann@new.example"
        notice = arrived(inbox, "ann@example.com", "change of your email address", worker)
        assert "ann@new.example" in bodies(notice)[0]
        confirmation = arrived(inbox, "ann@new.example", "confirm your email address", worker)
        assert verify_with(client, code_in(confirmation, "kev")) == 204
        body = me.get("/v1/me").json()
        assert (body["email"], body["email_verified"], body["pending_email"]) == (
            "ann@new.example",
            True,
            None,
        )
        done = arrived(inbox, "ann@example.com", "your email address was changed", worker)
        assert "ann@new.example" in bodies(done)[0]
        assert login(client, "ann@new.example").status_code == 200
        # the code works once
        again = client.post("/v1/auth/verify-email", json={"token": code_in(confirmation, "kev")})
        assert_error(again, 400, "invalid_verification_token")
    # nothing secret in the worker's log
    assert code_in(confirmation, "kev") not in worker.output()


def verify_with(client: Client, code: str) -> int:
    return client.post("/v1/auth/verify-email", json={"token": code}).status_code


def test_password_reset_by_real_email(db_url: str, tmp_path: Path) -> None:
    inbox = Inbox()
    with (
        smtp_server(inbox) as smtp_url,
        running_worker(db_url, tmp_path, SMTP_URL=smtp_url) as worker,
        TestClient(create_app(make_settings(db_url))) as client,
    ):
        ann = register(client, "ann@example.com")
        answered = client.post("/v1/auth/password-reset", json={"email": "ann@example.com"})
        assert answered.status_code == 202
        client.post("/v1/auth/password-reset", json={"email": "nobody@example.com"})
        reset = arrived(inbox, "ann@example.com", "reset your password", worker)
        assert "30 minutes" in bodies(reset)[0]
        code = code_in(reset, "kpr")
        confirmed = client.post(
            "/v1/auth/password-reset/confirm", json={"token": code, "new_password": NEW_PASSWORD}
        )
        assert confirmed.status_code == 204
        arrived(inbox, "ann@example.com", "your password was changed", worker)
        # every login ended: its access tokens are refused within a second
        wait_until(
            lambda: signed_in(client, ann).get("/v1/me").status_code == 401,
            "the end of the old login",
            worker,
            timeout=1.0,
        )
        assert_error(signed_in(client, ann).get("/v1/me"), 401, "invalid_token")
        assert_error(login(client, "ann@example.com"), 401, "invalid_credentials")
        assert login(client, "ann@example.com", NEW_PASSWORD).status_code == 200
        reused = client.post(
            "/v1/auth/password-reset/confirm",
            json={"token": code, "new_password": "yet another passphrase"},
        )
        assert_error(reused, 400, "invalid_reset_token")
    # the unknown address got nothing; the code is in no log line of the worker
    assert all(m["To"] != "nobody@example.com" for m in inbox.messages)
    assert [e[0] for e in inbox.envelopes] == ["robot@kinetria.test"] * len(inbox.messages)
    assert code not in worker.output()
