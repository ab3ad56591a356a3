from __future__ import annotations

from importlib.metadata import version
from urllib.parse import urlsplit

import psycopg
from litestar import Litestar
from litestar.testing import TestClient

from app.main import create_app
from tests.conftest import drop_database, make_settings


def test_health_reports_service_and_version(client: TestClient[Litestar]) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "service": "kinetria",
        "version": version("kinetria"),
    }


def test_ready_reports_database_and_schema_version(client: TestClient[Litestar]) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["database"]["latency_ms"] >= 0
    assert body["database"]["pending_migrations"] == []
    assert body["database"]["schema_version"] == max(client.app.state.migration_versions)


def test_ready_is_503_when_migrations_are_pending(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        latest = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        assert latest is not None
        conn.execute("DELETE FROM schema_migrations WHERE version = %s", (latest[0],))
    with TestClient(create_app(make_settings(db_url))) as client:
        response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["status"] == "migrations_pending"
    assert body["database"]["pending_migrations"] == [latest[0]]


def test_ready_is_503_when_the_database_is_gone(admin_url: str, db_url: str) -> None:
    with TestClient(create_app(make_settings(db_url, pool_timeout_s=0.5))) as client:
        drop_database(admin_url, urlsplit(db_url).path.lstrip("/"))
        response = client.get("/health/ready")
        assert client.get("/health").status_code == 200
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == {
        "status": "unavailable",
        "latency_ms": None,
        "schema_version": None,
        "pending_migrations": [],
    }
