"""The SQL-file helpers: reads in autocommit, writes in one transaction, slow queries logged."""

from __future__ import annotations

import asyncio
import logging

import msgspec
import psycopg
import pytest

from app.core.db import Db, load_queries
from tests.conftest import open_db

QUERIES = {
    "t/create": b"-- test\nCREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY, name text)",
    "t/insert": b"-- test\nINSERT INTO t (id, name) VALUES (%(id)s, %(name)s)",
    "t/list": b"-- test\nSELECT id, name FROM t ORDER BY id",
    "t/get": b"-- test\nSELECT id, name FROM t WHERE id = %(id)s",
    "t/count": b"-- test\nSELECT count(*) AS n FROM t",
    "t/sleep": b"-- test\nSELECT pg_sleep(%(s)s)",
}


class Row(msgspec.Struct):
    id: int
    name: str


async def with_db(db_url: str, body: object, slow_query_ms: float = 500) -> None:
    async with open_db(db_url, QUERIES, slow_query_ms=slow_query_ms) as db:
        await db.execute("t/create")
        await body(db)  # type: ignore[operator]


def test_one_many_scalar_map_rows_to_structs(db_url: str) -> None:
    async def body(db: Db) -> None:
        assert db.conn.autocommit  # reads are single round trips, no BEGIN/COMMIT
        await db.execute("t/insert", id=2, name="squat")
        await db.execute("t/insert", id=1, name="bench")
        assert await db.many("t/list", Row) == [Row(1, "bench"), Row(2, "squat")]
        assert await db.one("t/get", Row, id=2) == Row(2, "squat")
        assert await db.one("t/get", Row, id=3) is None
        assert await db.scalar("t/count") == 2

    asyncio.run(with_db(db_url, body))


def test_a_failed_transaction_writes_nothing(db_url: str) -> None:
    async def body(db: Db) -> None:
        async def insert_twice() -> None:
            async with db.transaction():
                await db.execute("t/insert", id=1, name="a")
                await db.execute("t/insert", id=1, name="b")

        with pytest.raises(psycopg.errors.UniqueViolation):
            await insert_twice()
        assert await db.scalar("t/count") == 0

    asyncio.run(with_db(db_url, body))


def test_slow_queries_are_logged_with_their_file_name(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def body(db: Db) -> None:
        await db.scalar("t/sleep", s=0.06)
        await db.scalar("t/count")

    with caplog.at_level(logging.WARNING, logger="kinetria.db"):
        asyncio.run(with_db(db_url, body, slow_query_ms=50))
    slow = [r for r in caplog.records if r.getMessage() == "slow query"]
    assert [r.query for r in slow] == ["t/sleep"]  # type: ignore[attr-defined]
    assert slow[0].duration_ms >= 50  # type: ignore[attr-defined]


def test_every_query_file_is_loaded_by_name() -> None:
    queries = load_queries()
    assert queries["audit/insert"].startswith(b"-- ")
