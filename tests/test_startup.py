"""The pool waits for the database with bounded exponential backoff, then fails clearly."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid

import psycopg
import pytest

from app.core.db import DatabaseUnavailable, wait_for_database
from tests.conftest import drop_database, make_settings, with_database


def test_gives_up_with_a_clear_message(admin_url: str, caplog: pytest.LogCaptureFixture) -> None:
    url = with_database(admin_url, "no_such_database")
    settings = make_settings(url, db_startup_timeout_s=0.8)
    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, logger="kinetria.db"),
        pytest.raises(DatabaseUnavailable, match=r"not reachable after .* attempts"),
    ):
        asyncio.run(wait_for_database(settings, url))
    assert time.monotonic() - started < 5
    attempts = [r for r in caplog.records if r.getMessage() == "database not ready, retrying"]
    assert len(attempts) >= 3
    delays = [r.retry_in_s for r in attempts]  # type: ignore[attr-defined]
    assert delays[1] > delays[0]  # backoff grows


def test_connects_once_the_database_appears(admin_url: str) -> None:
    name = f"kinetria_late_{uuid.uuid4().hex[:8]}"
    url = with_database(admin_url, name)

    def create_later() -> None:
        time.sleep(0.5)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"'.encode())

    creator = threading.Thread(target=create_later)
    creator.start()
    try:
        asyncio.run(wait_for_database(make_settings(url, db_startup_timeout_s=10), url))
    finally:
        creator.join()
        drop_database(admin_url, name)
