"""The background worker and email, as they run: `kinetria worker` as a process of its own on
the test's database, mail queued in a transaction, delivered to a real SMTP server on loopback
(aiosmtpd) or to the development mailbox; retries, a worker killed mid-job, SIGTERM, and the
worker's /health and /metrics."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Generator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from aiosmtpd.controller import Controller

from app.mail import queue_email

MAIL_FROM = "Kinetria Tests <robot@kinetria.test>"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that keeps what it accepts. `answers` is consumed one DATA at a
    time: a status line to answer instead of accepting, or "stall" to hold the session open
    until the test ends; once empty, every message is accepted."""

    def __init__(self, answers: list[str] | None = None) -> None:
        self.answers = list(answers or [])
        self.attempts = 0
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.released = threading.Event()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.attempts += 1
            answer = self.answers.pop(0) if self.answers else None
        if answer == "stall":
            await asyncio.to_thread(self.released.wait)
            return "421 closing"
        if answer is not None:
            return answer
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@contextmanager
def smtp_server(inbox: Inbox) -> Generator[str]:
    """A real SMTP server on loopback; yields its SMTP_URL (no STARTTLS)."""
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}?starttls=off"
    finally:
        inbox.released.set()
        controller.stop()


class WorkerProcess:
    def __init__(self, process: subprocess.Popen[str], base: str, log: Path) -> None:
        self.process = process
        self.base = base
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def running_worker(db_url: str, home: Path, **env: str) -> Generator[WorkerProcess]:
    """`kinetria worker` on `db_url`, its listener on a free port; it answers /health before
    the block runs, and is killed afterwards if still running."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k not in ("SMTP_URL", "MAIL_FROM")}
    environment.update(
        {
            "DATABASE_URL": db_url,
            "KINETRIA_HOME": str(home),
            "WORKER_PORT": str(port),
            "WORKER_STOP_TIMEOUT_S": "2",
            "MAIL_FROM": MAIL_FROM,
            "LOG_LEVEL": "INFO",
            **env,
        }
    )
    home.mkdir(parents=True, exist_ok=True)
    log = home / f"worker-{port}.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    worker = WorkerProcess(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the worker exited early:\n{worker.output()}")
            try:
                if httpx.get(f"{worker.base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the worker did not answer /health:\n{worker.output()}")
            time.sleep(0.1)
        yield worker
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def queue(db_url: str, to: str, name: str, *, commit: bool = True) -> None:
    """queue_email in a transaction that commits, or rolls back."""

    class Rollback(Exception):
        pass

    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            try:
                async with conn.transaction():
                    await queue_email(
                        conn, to=to, template="test_message", values={"display_name": name}
                    )
                    if not commit:
                        raise Rollback
            except Rollback:
                pass

    asyncio.run(main())


def wait_until(
    condition: Callable[[], bool],
    what: str,
    worker: WorkerProcess | None = None,
    timeout: float = 60,
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen" + (f":\n{worker.output()}" if worker else ""))
        time.sleep(0.1)


def jobs(db_url: str) -> list[tuple[str, str, int]]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT task_name, status::text, attempts FROM procrastinate_jobs ORDER BY id"
        ).fetchall()
    return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]


def mail_jobs(db_url: str) -> list[tuple[str, str, int]]:
    return [job for job in jobs(db_url) if job[0] == "mail.send"]


def test_a_committed_email_is_sent_over_smtp_and_a_rolled_back_one_is_not(
    db_url: str, tmp_path: Path
) -> None:
    inbox = Inbox()
    with (
        smtp_server(inbox) as smtp_url,
        running_worker(db_url, tmp_path, SMTP_URL=smtp_url) as worker,
    ):
        queue(db_url, "ghost@example.com", "Ghost", commit=False)
        assert mail_jobs(db_url) == []  # the rolled-back transaction queued nothing
        queue(db_url, "Ada Lovelace <ada@example.com>", "Ada <3")
        wait_until(lambda: len(inbox.messages) >= 1, "delivery over SMTP", worker)
        wait_until(lambda: mail_jobs(db_url) == [], "the job's removal", worker)
    assert inbox.attempts == 1
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["Subject"] == "Kinetria: a test message for Ada <3"
    assert message["To"] == "Ada Lovelace <ada@example.com>"
    assert message["From"] == MAIL_FROM
    assert str(message["Message-ID"]).endswith("@kinetria.test>")
    assert inbox.envelopes[0] == ("robot@kinetria.test", ["ada@example.com"])
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert text.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert "Hello Ada <3," in text.get_content()
    assert "Hello Ada &lt;3," in html.get_content()  # values are escaped in the HTML body
    assert "ghost@example.com" not in str([m["To"] for m in inbox.messages])


def test_without_smtp_url_the_message_lands_in_the_mailbox(db_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    mailbox = home / "mailbox"
    with running_worker(db_url, home) as worker:
        queue(db_url, "grace@example.com", "Grace")
        wait_until(lambda: any(mailbox.glob("*.eml")), "the mailbox file", worker)
        wait_until(lambda: mail_jobs(db_url) == [], "the job's removal", worker)
    files = sorted(mailbox.iterdir())
    assert [f.suffix for f in files] == [".eml"]
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Kinetria: a test message for Grace"
    assert message["To"] == "grace@example.com"
    assert message["From"] == MAIL_FROM
    assert isinstance(message, EmailMessage)
    assert message.get_body(preferencelist=("html",)) is not None


def test_a_4xx_answer_is_retried_and_the_message_arrives_later(db_url: str, tmp_path: Path) -> None:
    inbox = Inbox(answers=["451 4.3.0 try again later"])
    with (
        smtp_server(inbox) as smtp_url,
        running_worker(db_url, tmp_path, SMTP_URL=smtp_url) as worker,
    ):
        queue(db_url, "linus@example.com", "Linus")
        wait_until(lambda: inbox.attempts >= 1, "the first attempt", worker)
        # the job is handed back to the queue, scheduled for a later attempt
        wait_until(
            lambda: mail_jobs(db_url) == [("mail.send", "todo", 1)] or bool(inbox.messages),
            "the retry's scheduling",
            worker,
        )
        wait_until(lambda: len(inbox.messages) == 1, "the retried delivery", worker)
        wait_until(lambda: mail_jobs(db_url) == [], "the job's removal", worker)
    assert inbox.attempts == 2
    assert inbox.messages[0]["To"] == "linus@example.com"


def test_a_job_of_a_killed_worker_is_delivered_by_another(db_url: str, tmp_path: Path) -> None:
    inbox = Inbox(answers=["stall"])
    with smtp_server(inbox) as smtp_url:
        env = {"SMTP_URL": smtp_url, "WORKER_STALLED_AFTER_S": "5"}
        with running_worker(db_url, tmp_path / "first", **env) as first:
            queue(db_url, "barbara@example.com", "Barbara")
            wait_until(lambda: inbox.attempts == 1, "the stalled attempt", first)
            assert mail_jobs(db_url) == [("mail.send", "doing", 0)]
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(timeout=10)
        assert inbox.messages == []
        with running_worker(db_url, tmp_path / "second", **env) as second:
            wait_until(lambda: len(inbox.messages) == 1, "the delivery by another worker", second)
            wait_until(lambda: mail_jobs(db_url) == [], "the job's removal", second)
    assert inbox.attempts == 2
    assert inbox.messages[0]["To"] == "barbara@example.com"


def test_sigterm_stops_the_worker_with_status_0(db_url: str, tmp_path: Path) -> None:
    with running_worker(db_url, tmp_path) as worker:
        worker.process.send_signal(signal.SIGTERM)
        try:
            code = worker.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the worker did not stop on SIGTERM:\n{worker.output()}")
    assert code == 0, worker.output()
    assert "worker stopped" in worker.output()


def test_health_and_metrics(db_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    with running_worker(db_url, home) as worker:
        queue(db_url, "edsger@example.com", "Edsger")
        wait_until(lambda: any((home / "mailbox").glob("*.eml")), "the mailbox file", worker)
        wait_until(lambda: mail_jobs(db_url) == [], "the job's removal", worker)
        health = httpx.get(f"{worker.base}/health", timeout=5)
        metrics = httpx.get(f"{worker.base}/metrics", timeout=5)
        missing = httpx.get(f"{worker.base}/nope", timeout=5)
    assert health.status_code == 200
    assert health.headers["content-type"] == "application/json"
    body = health.json()
    assert body["status"] == "ok"
    assert body["service"] == "kinetria-worker"
    assert isinstance(body["jobs_running"], int)  # the periodic maintenance job may run
    assert metrics.status_code == 200
    text = metrics.text
    assert 'kinetria_worker_jobs_total{outcome="succeeded",task="mail.send"} 1.0' in text
    assert "kinetria_worker_up 1.0" in text
    assert "kinetria_worker_jobs_running " in text
    assert 'kinetria_worker_job_duration_seconds_count{task="mail.send"} 1.0' in text
    assert "kinetria_worker_build_info{" in text
    assert missing.status_code == 404


def test_serve_starts_its_worker_which_dies_with_it(db_url: str, tmp_path: Path) -> None:
    port, worker_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "SMTP_URL"}
    env |= {
        "DATABASE_URL": db_url,
        "KINETRIA_HOME": str(tmp_path),
        "SERVE_WORKER": "true",
        "WORKER_PORT": str(worker_port),
        "LOG_LEVEL": "INFO",
    }
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        serve = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    worker_health = f"http://127.0.0.1:{worker_port}/health"

    def answers(url: str) -> bool:
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/health"), "serve's /health")
        wait_until(lambda: answers(worker_health), "the worker's /health")
        assert httpx.get(worker_health, timeout=5).json()["service"] == "kinetria-worker"
        # and it runs jobs: the queued message lands in the mailbox
        queue(db_url, "serve@example.com", "Serve")
        wait_until(lambda: any((tmp_path / "mailbox").glob("*.eml")), "the mailbox file")
        serve.send_signal(signal.SIGKILL)
        serve.wait(timeout=10)
        wait_until(lambda: not answers(worker_health), "the worker's end", timeout=30)
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait(timeout=10)
    [pid] = [
        int(line.split('"pid":')[1].split(",")[0].split("}")[0])
        for line in log.read_text().splitlines()
        if "background worker started" in line
    ]

    def gone() -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        return state in ("Z", "X")  # dead, waiting for its new parent to reap it

    wait_until(gone, "the worker process's end", timeout=30)
