"""Kinetria behind a real PgBouncer in transaction pooling mode: the API works through it
without prepared statements, prepared statements break on a PgBouncer that cannot keep them
(before 1.21), startup options are refused, and a statement timeout set on the database
applies instead. (`KINETRIA_TEST_PGBOUNCER=1` runs whole test files through it too.)"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from app.core.db import DatabaseUnavailable, open_pool
from app.main import create_app
from tests.api import assert_error, register, signed_in
from tests.catalogue import BACK_SQUAT, BENCH_PRESS
from tests.conftest import make_settings
from tests.pgbouncer import PgBouncer, running_pgbouncer
from tests.pgbouncer import version as pgbouncer_version


@pytest.fixture(scope="module")
def pgbouncer(admin_url: str, through_pgbouncer: PgBouncer | None) -> Iterator[PgBouncer]:
    if through_pgbouncer is not None:
        yield through_pgbouncer
        return
    with running_pgbouncer(admin_url) as bouncer:
        yield bouncer


def pooled_settings(bouncer: PgBouncer, db_url: str, **overrides: Any) -> Any:
    values: dict[str, Any] = {"prepare_threshold": None, "statement_timeout_ms": 0, **overrides}
    return make_settings(bouncer.url_for(db_url), **values)


def database_of(url: str) -> str:
    return url.split("?", 1)[0].rsplit("/", 1)[1]


def database_stats(bouncer: PgBouncer, db_url: str) -> dict[str, object]:
    [row] = [row for row in bouncer.show("STATS") if row["database"] == database_of(db_url)]
    return row


def test_a_training_day_through_pgbouncer(pgbouncer: PgBouncer, db_url: str) -> None:
    with TestClient(create_app(pooled_settings(pgbouncer, db_url))) as client:
        ann = signed_in(client, register(client, "ann@example.com"))
        started = ann.post("/v1/sessions", json={"name": "Push", "timezone": "Europe/Paris"})
        assert started.status_code == 201, started.text
        session_id = started.json()["id"]
        logged = ann.post(
            f"/v1/sessions/{session_id}/sets",
            json=[
                {"exercise_id": str(BACK_SQUAT), "reps": 5, "weight": 100},
                {"exercise_id": str(BENCH_PRESS), "reps": 5, "weight": 175, "weight_unit": "lb"},
            ],
        )
        assert logged.status_code == 201, logged.text
        assert {r["exercise_id"] for r in logged.json()["records"]} == {
            str(BACK_SQUAT),
            str(BENCH_PRESS),
        }
        assert ann.post(f"/v1/sessions/{session_id}/finish").status_code == 200
        session = ann.get(f"/v1/sessions/{session_id}").json()
        assert [(s["reps"], s["weight"], s["weight_unit"]) for s in session["sets"]] == [
            (5, 100.0, "kg"),
            (5, 175.0, "lb"),
        ]
        summary = ann.get("/v1/stats/summary").json()
        assert (summary["sessions"], summary["sets"]) == (1, 2)
        stale = ann.patch(
            f"/v1/sessions/{session_id}", json={"notes": "late"}, headers={"If-Match": '"1"'}
        )
        assert_error(stale, 412, "etag_mismatch")
    # it all went through PgBouncer's pool for this database, in transaction mode
    [pool] = [p for p in pgbouncer.show("POOLS") if p["database"] == database_of(db_url)]
    assert pool["pool_mode"] == "transaction"
    assert int(str(database_stats(pgbouncer, db_url)["total_xact_count"])) > 0


def test_prepared_statements_need_a_pgbouncer_that_keeps_them(admin_url: str, db_url: str) -> None:
    """Two clients sharing one server connection: psycopg names its statements per client
    connection (`_pg3_0`, ...), so before 1.21 the second client's first statement collides
    with the first's; PgBouncer 1.21+ with max_prepared_statements keeps them apart."""
    keeps = pgbouncer_version() >= (1, 21)
    options = {"max_prepared_statements": 100} if keeps else {}
    with running_pgbouncer(admin_url, pool_size=1, **options) as bouncer:
        url = bouncer.url_for(db_url)

        def two_clients(threshold: int | None) -> list[object]:
            with (
                psycopg.connect(url, autocommit=True, prepare_threshold=threshold) as first,
                psycopg.connect(url, autocommit=True, prepare_threshold=threshold) as second,
            ):
                answers = [first.execute("SELECT 1").fetchone()]
                try:
                    answers.append(second.execute("SELECT 2").fetchone())
                except psycopg.errors.DuplicatePreparedStatement:
                    answers.append("duplicate prepared statement")
                return answers

        assert two_clients(None) == [(1,), (2,)]  # DB_PREPARE_THRESHOLD=none: always works
        if keeps:
            assert two_clients(0) == [(1,), (2,)]
        else:
            assert two_clients(0) == [(1,), "duplicate prepared statement"]


def test_startup_options_are_refused_and_the_database_setting_applies(
    pgbouncer: PgBouncer, db_url: str
) -> None:
    # DB_STATEMENT_TIMEOUT_MS is a startup option, which PgBouncer refuses: startup says why
    refused = pooled_settings(
        pgbouncer, db_url, statement_timeout_ms=10_000, db_startup_timeout_s=0
    )

    async def open_it(settings: Any) -> str:
        async with (
            open_pool(settings, str(settings.database_url)) as pool,
            pool.connection() as conn,
        ):
            cursor = await conn.execute("SHOW statement_timeout")
            row = await cursor.fetchone()
            return str(row[0]) if row else ""

    with pytest.raises(DatabaseUnavailable, match="unsupported startup parameter"):
        asyncio.run(open_it(refused))
    # with 0 the app sends none, and the timeout set on the database (or role) applies
    name = database_of(db_url)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE \"{name}\" SET statement_timeout = '7s'".encode())
    assert asyncio.run(open_it(pooled_settings(pgbouncer, db_url))) == "7s"
