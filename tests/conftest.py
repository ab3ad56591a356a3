"""Test fixtures: one PostgreSQL for the run (embedded, or TEST_DATABASE_URL), a migrated
template database, and a fresh copy of it for every test that asks for one (the suite runs in
parallel with pytest-xdist: each worker process starts an embedded PostgreSQL of its own, or
makes its own template database on TEST_DATABASE_URL's server); the app and its
client on that copy, users who call it with their own token (`make_user`), the SQL files a
request runs (`statements`), a Db for calling functions directly (`run_db`), and the audit
log (`audit_rows`). Calling the API is in tests/api.py, the system exercises' ids in
tests/catalogue.py.

With KINETRIA_TEST_PGBOUNCER=1, a PgBouncer in transaction pooling mode is started in front of
the server, and every app the tests build (`make_settings`) reaches its database through it,
without prepared statements or startup options (README: PgBouncer); the tests' own direct
connections (setting up rows, reading the audit log) still go to PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.core.config import Environment, RateLimit, Settings
from app.core.db import Db, load_queries, open_pool
from app.core.migrate import run_dbmate
from app.core.security import issue_access_token
from app.main import create_app
from tests.api import Client, UserWithToken
from tests.pgbouncer import PgBouncer, running_pgbouncer

TEST_JWT_SECRET = "test-secret-of-more-than-thirty-two-bytes"

# Every error the app answered during the run: (method, documented path, status, error_code).
ANSWERED_ERRORS: set[tuple[str, str, int, str]] = set()


@pytest.fixture(scope="session", autouse=True)
def errors_answered_are_documented() -> Iterator[None]:
    """Record each error answered by an operation of the API during the whole run; at the
    end, every one must be documented on that operation (status and `error_code`)."""
    from app.core import errors
    from app.core.openapi import api_document

    original = errors.error_response

    def recording(request: Any, status_code: int, error_code: str, *args: Any) -> Any:
        template = request.scope.get("path_template")
        if template and request.scope.get("route_handler") is not None:
            ANSWERED_ERRORS.add((request.method.lower(), template, status_code, error_code))
        return original(request, status_code, error_code, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(errors, "error_response", recording)
        yield
    document = api_document(create_app(make_settings("postgresql://nobody@127.0.0.1:9/none")))
    undocumented = []
    for method, template, status, code in sorted(ANSWERED_ERRORS):
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", template)
        operation = document["paths"].get(path, {}).get(method)
        if operation is None or code in _PLATFORM_CODES:
            continue  # a route of a test's own app, or the platform's answer
        answer = operation["responses"].get(str(status), {})
        examples = answer.get("content", {}).get("application/json", {}).get("examples", {})
        if code not in examples:
            undocumented.append(f"{method.upper()} {path} {status} {code}")
    assert not undocumented, "answered but not documented: " + ", ".join(undocumented)


@pytest.fixture(scope="session", autouse=True)
def servers_started_by_tests() -> Iterator[None]:
    """What the environment of `kinetria serve` and `kinetria worker` started by a test
    says, unless the run's own environment says otherwise:

    - no background worker in `serve` (SERVE_WORKER=false): each would listen on WORKER_PORT
      (9465), and servers started side by side or one after the other would clash on it. The
      tests of the worker start it themselves (tests/test_worker.py), one of them through
      `kinetria serve`.
    - no drain after SIGTERM (SHUTDOWN_DRAIN_S=0): a test stops every server it started,
      and each would otherwise keep serving 5 s (the default) before it stops. The tests of
      the drain set their own (tests/test_faults.py).
    - in a parallel run (pytest-xdist), a METRICS_PORT and a WORKER_PORT of this worker
      process's own instead of the fixed defaults 9464 and 9465, which two processes'
      servers would both try to take: within one worker, tests run one after the other as
      in a serial run, with the same ports each time."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SERVE_WORKER", os.environ.get("SERVE_WORKER", "false"))
        patch.setenv("SHUTDOWN_DRAIN_S", os.environ.get("SHUTDOWN_DRAIN_S", "0"))
        if xdist_worker() is not None:
            for name in ("METRICS_PORT", "WORKER_PORT"):
                patch.setenv(name, os.environ.get(name) or str(_free_port()))
        yield


def xdist_worker() -> str | None:
    """The pytest-xdist worker this process is (`gw0`, `gw1`, ...), or None in a serial run."""
    return os.environ.get("PYTEST_XDIST_WORKER")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The modules whose tests start processes of their own (servers, PostgreSQL, a browser,
# Prometheus, npm tools) and take seconds to a minute each, slowest first. A parallel run hands
# them out first, so the workers finish together instead of one of them starting a
# minute-long test when the others have nothing left to do. Only the order changes.
SLOW_FIRST = (
    "test_faults.py",
    "test_readme.py",
    "test_cli.py",
    "test_dashboard.py",
    "test_docs_page.py",
    "test_generated_clients.py",
    "test_read_replica.py",
    "test_ended_logins.py",
    "test_auth_server.py",
    "test_worker.py",
    "test_api_replicas.py",
    "test_backup.py",
    "test_seed.py",
    "test_lock.py",
    "test_webhook_delivery.py",
    "test_operator_server.py",
    "test_server.py",
    "test_startup.py",
    "test_ratelimit.py",
    "test_sync_replica.py",
    "test_api_keys.py",
    "test_account_mail.py",
    "test_webhook_worker.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: position for position, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_FIRST)))


# Answered by the platform for any path (a method not served; an unexpected error).
_PLATFORM_CODES = {"method_not_allowed", "internal_error"}


# the PgBouncer the apps connect through, when KINETRIA_TEST_PGBOUNCER=1
_pgbouncer: PgBouncer | None = None


@pytest.fixture(scope="session", autouse=True)
def through_pgbouncer(request: pytest.FixtureRequest) -> Iterator[PgBouncer | None]:
    """With KINETRIA_TEST_PGBOUNCER=1: PgBouncer in front of the test server for the run."""
    global _pgbouncer
    if os.environ.get("KINETRIA_TEST_PGBOUNCER", "") not in ("1", "true", "yes"):
        yield None
        return
    admin: str = request.getfixturevalue("admin_url")
    with running_pgbouncer(admin) as bouncer:
        _pgbouncer = bouncer
        try:
            yield bouncer
        finally:
            _pgbouncer = None


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
        without_durability(server.admin_url)
        yield server.admin_url
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def without_durability(admin_url: str) -> None:
    """The run's own throwaway server skips flushing to disk: every test creates a database
    from the template and drops it, and with fsync each of those waits for the disk, which
    on a busy machine is most of a short test's time. What a test sees of the database is
    the same; only a crash of the machine could lose data, and the server is thrown away at
    the end anyway. (The tests that start a PostgreSQL of their own, `pg_home`, keep the
    defaults.)"""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(f"ALTER SYSTEM SET {setting} = off".encode())
        conn.execute("SELECT pg_reload_conf()")


@pytest.fixture
def pg_home() -> Iterator[Path]:
    """A KINETRIA_HOME for an embedded database of the test's own: under the system temp
    directory, not pytest's (a pytest starting elsewhere on the machine resets its base
    directory to 0700, locking out the server's own system user when running as root)."""
    home = Path(tempfile.mkdtemp(prefix="kinetria-home-"))
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def create_database(
    admin_url: str, name: str, template: str | None = None, *, file_copy: bool = False
) -> str:
    """Create `name`, a copy of `template` if given. `file_copy` copies the template's files
    (STRATEGY FILE_COPY) instead of writing every page to the WAL (WAL_LOG, the default):
    about a fifth less of the server's CPU for the create and half for the later drop, on
    the run's own server without fsync, where the checkpoints FILE_COPY asks for are cheap."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        if file_copy:
            sql += " STRATEGY FILE_COPY"
        conn.execute(sql.encode())
    return with_database(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def audit_rows(
    db_url: str, action: str | None = None, *, entity_id: str | None = None
) -> list[dict[str, Any]]:
    """The audit log, oldest first: all of it, or the rows of one action or one entity."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        cursor = conn.execute(
            "SELECT user_id, action::text AS action, entity_type, entity_id, metadata, request_id"
            " FROM audit_log WHERE (%(action)s::text IS NULL OR action::text = %(action)s)"
            " AND (%(entity_id)s::uuid IS NULL OR entity_id = %(entity_id)s::uuid)"
            " ORDER BY id",
            {"action": action, "entity_id": entity_id},
        )
        names = [column.name for column in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def change_events(db_url: str, *, entity_id: str) -> list[dict[str, Any]]:
    """The change log's events about one entity, in position order."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        cursor = conn.execute(
            "SELECT user_id, position, event_type::text AS event_type, version, document,"
            " request_id FROM change_events WHERE entity_id = %s ORDER BY user_id, position",
            (entity_id,),
        )
        names = [column.name for column in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


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


@contextmanager
def migrated_copy(admin_url: str, template_database: str) -> Iterator[str]:
    """A fresh copy of the template database, dropped afterwards."""
    name = f"kinetria_test_{uuid.uuid4().hex[:12]}"
    own_server = not os.environ.get("TEST_DATABASE_URL")
    url = create_database(admin_url, name, template=template_database, file_copy=own_server)
    try:
        yield url
    finally:
        drop_database(admin_url, name)


@pytest.fixture
def db_url(admin_url: str, template_database: str) -> Iterator[str]:
    """A fresh, fully migrated database of this test's own."""
    with migrated_copy(admin_url, template_database) as url:
        yield url


@pytest.fixture(scope="module")
def module_db_url(admin_url: str, template_database: str) -> Iterator[str]:
    """A fresh, fully migrated database shared by the tests of one module: for the servers
    a module starts once for all its tests (each test then uses data of its own)."""
    with migrated_copy(admin_url, template_database) as url:
        yield url


GENEROUS_RATE_LIMITS = {
    f"rate_limit_{name}": RateLimit(1_000_000, 60)
    for name in ("register", "login", "refresh", "password_reset", "writes", "stats")
}


# Argon2id with its smallest parameters in the apps the tests build (a production hash costs
# a fifth of a second of CPU, and the suite registers and logs in hundreds of times), unless
# the running test is marked `real_password_hashing` (`password_hashing` sets this per test).
_minimal_password_hashing = True


@pytest.fixture(autouse=True)
def password_hashing(request: pytest.FixtureRequest) -> Iterator[None]:
    global _minimal_password_hashing
    _minimal_password_hashing = request.node.get_closest_marker("real_password_hashing") is None
    try:
        yield
    finally:
        _minimal_password_hashing = True


def make_settings(database_url: str, **overrides: object) -> Settings:
    if _pgbouncer is not None:
        # LISTEN cannot go through transaction pooling: the listener connects directly
        overrides = {
            "prepare_threshold": None,
            "statement_timeout_ms": 0,
            "database_listen_url": database_url,
            **overrides,
        }
        database_url = _pgbouncer.url_for(database_url)
    values: dict[str, object] = {
        "env": Environment.TEST,
        "database_url": database_url,
        "pool_min_size": 1,
        "pool_max_size": 4,
        "jwt_secret": TEST_JWT_SECRET,
        # every test client calls from one address and tests make many calls: limits far
        # above what any test does, so only the tests of the limits meet them
        **GENEROUS_RATE_LIMITS,
        "password_hash_minimal": _minimal_password_hashing,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@asynccontextmanager
async def open_db(
    database_url: str, queries: Mapping[str, bytes] | None = None, **overrides: object
) -> AsyncIterator[Db]:
    """A Db on one connection of a pool of its own (the app's SQL files, unless `queries`)."""
    settings = make_settings(database_url, **overrides)
    async with open_pool(settings, database_url) as pool, pool.connection() as conn:
        yield Db(conn, load_queries() if queries is None else queries, settings.slow_query_ms)


@pytest.fixture
def run_db(db_url: str) -> Callable[[Callable[[Db], Any]], Any]:
    """Run `body(db)` with a Db on the test database: for calling the functions of `app/`
    directly, outside a request."""

    def run(body: Callable[[Db], Any]) -> Any:
        async def main() -> Any:
            async with open_db(db_url) as db:
                return await body(db)

        return asyncio.run(main())

    return run


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
def client(app: Litestar) -> Iterator[Client]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def make_user(db_url: str, settings: Settings, client: Client) -> Callable[..., UserWithToken]:
    """Insert a user straight into the database and issue them an access token; the user
    calls `client` with it (`ann.get("/v1/workouts")`)."""

    def make(email: str | None = None, display_name: str = "Test User") -> UserWithToken:
        user_id = uuid.uuid4()
        email = email or f"user-{user_id.hex[:10]}@example.com"
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO users (id, email, password_hash, display_name)"
                " VALUES (%s, %s, %s, %s)",
                (user_id, email.lower(), "not-a-password-hash", display_name),
            )
        return UserWithToken(client, user_id, email, issue_access_token(settings, user_id))

    return make


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL files run, in order, by the requests made while the fixture is active."""
    ran: list[str] = []
    original = Db._run

    async def counting(self: Db, name: str, params: Any) -> Any:
        ran.append(name)
        return await original(self, name, params)

    monkeypatch.setattr(Db, "_run", counting)
    return ran
