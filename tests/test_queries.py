"""Every SQL file is prepared against the migrated schema, and its output columns are checked
against what its `-- returns:` header says, the way sqlc checks queries: a typo in SQL fails
here. (tests/test_query_calls.py checks the calls in app/ against the same headers.)"""

from __future__ import annotations

import importlib
import pkgutil
import re
import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import msgspec
import psycopg
import pytest

import app
from app.core.db import load_queries
from tests.conftest import create_database, drop_database

PARAM = re.compile(rb"%\((\w+)\)s")


def app_structs() -> dict[str, list[type[msgspec.Struct]]]:
    """Every msgspec Struct defined in the app package (any depth), by class name."""
    structs: dict[str, list[type[msgspec.Struct]]] = defaultdict(list)
    for module_info in pkgutil.walk_packages(app.__path__, "app."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, msgspec.Struct)
                and value.__module__ == module.__name__
            ):
                structs[value.__name__].append(value)
    return structs


def to_positional(sql: bytes) -> bytes:
    """Rewrite psycopg's `%(name)s` to PostgreSQL's `$n`, one number per distinct name."""
    numbers: dict[bytes, int] = {}

    def number(match: re.Match[bytes]) -> bytes:
        return b"$%d" % numbers.setdefault(match.group(1), len(numbers) + 1)

    return PARAM.sub(number, sql).replace(b"%%", b"%")


QUERIES = load_queries()


def test_there_are_queries() -> None:
    assert "audit/insert" in QUERIES


@pytest.fixture(scope="module")
def schema_url(admin_url: str, template_database: str) -> Iterator[str]:
    """One migrated database for this module: preparing and explaining change nothing."""
    name = f"kinetria_queries_{uuid.uuid4().hex[:12]}"
    url = create_database(admin_url, name, template=template_database)
    yield url
    drop_database(admin_url, name)


def output_columns(db_url: str, sql: bytes) -> list[str]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        pgconn: Any = conn.pgconn
        result = pgconn.prepare(b"check", to_positional(sql))
        assert result.status == psycopg.pq.ExecStatus.COMMAND_OK, result.error_message.decode()
        description = pgconn.describe_prepared(b"check")
        return [description.fname(i).decode() for i in range(description.nfields)]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_prepares_and_matches_its_header(name: str, schema_url: str) -> None:
    query = QUERIES[name]
    columns = output_columns(schema_url, query.sql)
    if query.returns == "none":
        assert columns == [], f"{name} returns columns but its header says none"
    elif query.returns == "scalar":
        assert len(columns) == 1, f"{name} should return exactly one column"
    else:
        assert query.struct is not None
        structs = app_structs().get(query.struct, [])
        assert structs, f"{name}: no Struct named {query.struct} in app/"
        assert len(structs) == 1, f"{name}: more than one Struct named {query.struct} in app/"
        fields = structs[0].__struct_fields__
        assert len(columns) == len(set(columns)), f"{name}: duplicate column names"
        assert set(columns) == set(fields), (
            f"{name}: columns {sorted(columns)} != {query.struct} fields {sorted(fields)}"
        )


# LANGUAGE sql functions of the schema that are meant to stay calls: immutable_unaccent
# wraps a STABLE function to be IMMUTABLE (for the generated search_name column and its
# index), and the planner never inlines a body more volatile than its declaration.
# session_event_document runs once per statement (for the one session a set change
# touches); its subquery over the plan keeps it a call. record_change_events writes (the
# change-log append of an import's statement, once per statement): a call by nature.
NOT_INLINED = {"immutable_unaccent", "record_change_events", "session_event_document"}


@pytest.fixture(scope="module")
def sql_functions(schema_url: str) -> set[str]:
    with psycopg.connect(schema_url, autocommit=True) as conn:
        if conn.info.server_version < 160000:
            pytest.skip("EXPLAIN (GENERIC_PLAN) needs PostgreSQL 16")
        rows = conn.execute(
            """
            SELECT p.proname
            FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.pronamespace = 'public'::regnamespace AND l.lanname = 'sql'
            """
        ).fetchall()
    return {name for (name,) in rows} - NOT_INLINED


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_the_sql_functions_a_query_uses_are_inlined(
    name: str, schema_url: str, sql_functions: set[str]
) -> None:
    """The document shapes and weight conversions are functions for one definition, not
    for a call per row: each must vanish into the plan, as if written out in the query."""
    sql = QUERIES[name].sql
    used = sorted(f for f in sql_functions if re.search(rb"\b%s\(" % f.encode(), sql))
    if not used:
        return
    with psycopg.connect(schema_url, autocommit=True) as conn:
        plan = "\n".join(
            row[0] for row in conn.execute(b"EXPLAIN (VERBOSE, GENERIC_PLAN) " + to_positional(sql))
        )
    called = sorted(f for f in used if re.search(rf"\b{f}\(", plan))
    assert not called, f"{name}: the plan still calls {called}:\n{plan}"
