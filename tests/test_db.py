"""The SQL-file helpers: reads in autocommit, writes in one transaction, slow queries logged."""

from __future__ import annotations

import asyncio
import logging

import msgspec
import psycopg
import pytest

from app.core.db import Db, Query, QueryFileError, load_queries, parse_query
from tests.conftest import open_db

QUERIES = {
    name: parse_query(name, sql)
    for name, sql in {
        "t/create": b"-- the table\n-- returns: none\n"
        b"CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY, name text)",
        "t/insert": b"-- one row\n-- returns: none\n"
        b"INSERT INTO t (id, name) VALUES (%(id)s, %(name)s)",
        "t/list": b"-- every row\n-- returns: many Row\nSELECT id, name FROM t ORDER BY id",
        "t/get": b"-- one row\n-- returns: one Row\nSELECT id, name FROM t WHERE id = %(id)s",
        "t/count": b"-- how many\n-- returns: scalar\nSELECT count(*) AS n FROM t",
        "t/sleep": b"-- a wait\n-- returns: scalar\nSELECT pg_sleep(%(s)s)",
    }.items()
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
    assert queries["audit/insert"].sql.startswith(b"-- ")
    assert queries["audit/insert"].returns == "none"


def test_a_file_is_parsed_into_what_it_returns_and_its_parameters() -> None:
    sql = (
        b"-- One thing of the caller.\n-- Whatever else a reader should know.\n"
        b"-- returns: one Thing\n"
        b"SELECT id FROM things WHERE id = %(id)s AND (owner = %(user_id)s OR %(user_id)s IS NULL)"
        b" AND name LIKE '%%x'"
    )
    assert parse_query("things/get", sql) == Query(
        name="things/get",
        sql=sql,
        returns="one",
        struct="Thing",
        params=frozenset({"id", "user_id"}),
    )
    listed = parse_query("things/list", b"-- All.\n-- returns: many Thing\nSELECT 1")
    assert (listed.returns, listed.struct, listed.params) == ("many", "Thing", frozenset())
    assert parse_query("things/n", b"-- How many.\n-- returns: scalar\nSELECT 1").struct is None
    assert parse_query("things/rm", b"-- Gone.\n-- returns: none\nDELETE FROM t").returns == "none"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (b"SELECT 1", "exactly one '-- returns:"),
        (b"-- What it does.\nSELECT 1\n-- returns: scalar\n", "exactly one '-- returns:"),
        (b"-- What.\n-- returns: scalar\n-- returns: none\nSELECT 1", "exactly one"),
        (b"-- What.\n-- returns: value\nSELECT 1", "is not '-- returns: one <Struct>"),
        (b"-- What.\n-- returns: one\nSELECT 1", "is not"),
        (b"-- What.\n-- returns: many things\nSELECT 1", "is not"),
        (b"-- returns: scalar\nSELECT 1", "open with a comment saying what it does"),
        (b"-- What.\n-- returns: scalar\nSELECT %s", "x.sql:3: a '%' that is neither"),
        (b"-- What.\n-- returns: scalar\nSELECT 5 % 2", "x.sql:3: a '%'"),
    ],
)
def test_a_file_the_loader_cannot_use_stops_startup_with_its_name(sql: bytes, message: str) -> None:
    with pytest.raises(QueryFileError) as error:
        parse_query("t/x", sql)
    assert "queries/t/x.sql" in str(error.value)
    assert message in str(error.value)
