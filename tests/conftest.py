"""Test fixtures: one PostgreSQL for the run (embedded, or TEST_DATABASE_URL), a migrated
template database, and a fresh copy of it for every test that asks for one."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.core.config import Environment, Settings
from app.core.migrate import run_dbmate
from app.core.security import issue_access_token
from app.main import create_app

TEST_JWT_SECRET = "test-secret-of-more-than-thirty-two-bytes"


def with_database(url: str, name: str) -> str:
    """`url` pointing at database `name` instead."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def admin_url() -> Iterator[str]:
    """A URL of the server's maintenance database, for creating databases."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    from app.core.embedded import EmbeddedPostgres

    home = Path(tempfile.mkdtemp(prefix="kinetria-test-"))
    server = EmbeddedPostgres(home)
    try:
        yield server.admin_url
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        conn.execute(sql.encode())
    return with_database(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


@pytest.fixture
def scratch_database(admin_url: str) -> Iterator[str]:
    """An empty database (no migrations applied) that is dropped afterwards."""
    name = f"kinetria_scratch_{uuid.uuid4().hex[:12]}"
    url = create_database(admin_url, name)
    yield url
    drop_database(admin_url, name)


@pytest.fixture(scope="session")
def template_database(admin_url: str) -> Iterator[str]:
    """The name of a database with every migration applied, cloned for each test."""
    name = f"kinetria_template_{uuid.uuid4().hex[:8]}"
    url = create_database(admin_url, name)
    run_dbmate(url, "up", capture=True)
    yield name
    drop_database(admin_url, name)


@pytest.fixture
def db_url(admin_url: str, template_database: str) -> Iterator[str]:
    """A fresh, fully migrated database of this test's own."""
    name = f"kinetria_test_{uuid.uuid4().hex[:12]}"
    url = create_database(admin_url, name, template=template_database)
    yield url
    drop_database(admin_url, name)


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": Environment.TEST,
        "database_url": database_url,
        "pool_min_size": 1,
        "pool_max_size": 4,
        "jwt_secret": TEST_JWT_SECRET,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app) as test_client:
        yield test_client


class UserWithToken(NamedTuple):
    id: uuid.UUID
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_user(db_url: str, settings: Settings) -> Callable[..., UserWithToken]:
    """Insert a user straight into the database and issue them an access token."""

    def make(email: str | None = None, display_name: str = "Test User") -> UserWithToken:
        user_id = uuid.uuid4()
        email = email or f"user-{user_id.hex[:10]}@example.com"
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO users (id, email, password_hash, display_name)"
                " VALUES (%s, %s, %s, %s)",
                (user_id, email.lower(), "not-a-password-hash", display_name),
            )
        return UserWithToken(user_id, email, issue_access_token(settings, user_id))

    return make
