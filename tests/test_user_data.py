"""Kinetria can be distributed by user (docs/scaling.md): every table that holds user data
has a `user_id` column, and every SQL file that touches such a table is scoped to one user
by its `%(user_id)s`. The tables are read from the migrated database's catalog, so a new
table or query has to take a side here: scoped to a user, or listed below with its reason.

A table holds user data when it is `users` or reaches `users` through foreign keys."""

from __future__ import annotations

import re

import psycopg
import pytest

from app.core.db import load_queries

# Tables that reach a user only through their parent, keyed to that parent. Distributing
# them needs a `user_id` of their own first (docs/scaling.md, "Before distributing"); until
# then the test checks that the parent, which has one, is a NOT NULL foreign key away.
THROUGH_PARENT = {
    "workout_exercises": "workouts",
    "session_exercises": "sessions",
}

# Tables that hold no user's data (no foreign key to users), each with its reason.
NOT_USER_DATA = {
    "schema_migrations": "dbmate's list of applied migrations",
    # keyed by sha256 of an email before anyone is signed in: no user id exists yet; in Citus
    # distributed by email_hash on its own (docs/scaling.md)
    "login_throttle": "login attempts per email hash, before a user is known",
}

# SQL files that touch user tables without being scoped to one user: whole-database work,
# or a lookup that finds the user. docs/scaling.md says what each becomes in Citus.
WHOLE_DATABASE = {
    # the demo-data loader: bulk COPY, truncation, rebuilds and VACUUM of whole tables
    "seed/copy_audit_log": "seed loader",
    "seed/copy_exercises": "seed loader",
    "seed/copy_session_exercises": "seed loader",
    "seed/copy_sessions": "seed loader",
    "seed/copy_set_records": "seed loader",
    "seed/copy_users": "seed loader",
    "seed/copy_workout_exercises": "seed loader",
    "seed/copy_workouts": "seed loader",
    "seed/truncate_rebuilt": "seed loader",
    "seed/vacuum_analyze": "seed loader",
    # the seed refuses a database that already has users, whoever they are
    "seed/has_users": "whole-database check",
    # the system catalogue (user_id IS NULL): a reference table in Citus
    "seed/system_exercises": "system exercise catalogue",
    # login and sign-up find or create the user from an email: the email lookup table
    "users/get_credentials_by_email": "finds the user by email",
    "users/insert": "creates the user; routed by its new id",
    # a refresh token is presented before the user is known: found by its hash
    "tokens/find": "finds the user by refresh-token hash",
    "tokens/rotate": "finds the user by refresh-token hash",
}

CATALOG = """
SELECT c.relname AS table_name,
       array_agg(a.attname ORDER BY a.attnum) AS columns
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
GROUP BY c.relname
"""

FOREIGN_KEYS = """
SELECT src.relname AS from_table, dst.relname AS to_table,
       bool_and(a.attnotnull) AS not_null
FROM pg_constraint k
JOIN pg_class src ON src.oid = k.conrelid
JOIN pg_class dst ON dst.oid = k.confrelid
JOIN pg_namespace n ON n.oid = src.relnamespace
JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
WHERE k.contype = 'f' AND n.nspname = 'public'
GROUP BY k.oid, src.relname, dst.relname
"""


@pytest.fixture
def schema(db_url: str) -> tuple[dict[str, set[str]], list[tuple[str, str, bool]]]:
    with psycopg.connect(db_url) as conn:
        tables = {name: set(columns) for name, columns in conn.execute(CATALOG).fetchall()}
        keys = [(src, dst, bool(nn)) for src, dst, nn in conn.execute(FOREIGN_KEYS).fetchall()]
    return tables, keys


def user_tables(tables: dict[str, set[str]], keys: list[tuple[str, str, bool]]) -> set[str]:
    """`users` and every table with a path of foreign keys to it."""
    found = {"users"}
    while True:
        more = {src for src, dst, _ in keys if dst in found and src in tables} - found
        if not more:
            return found
        found |= more


def test_every_table_holding_user_data_has_a_user_id(
    schema: tuple[dict[str, set[str]], list[tuple[str, str, bool]]],
) -> None:
    tables, keys = schema
    holding = user_tables(tables, keys)
    assert {"users", "workouts", "sessions", "set_records", "refresh_tokens"} <= holding
    for table in sorted(holding - {"users"}):  # users: its id is the user id
        if table in THROUGH_PARENT:
            parent = THROUGH_PARENT[table]
            assert "user_id" not in tables[table], f"{table} has user_id now: drop it from the list"
            assert "user_id" in tables[parent]
            assert (table, parent, True) in keys, f"{table} must reach {parent} by a NOT NULL key"
        else:
            assert "user_id" in tables[table], f"{table} holds user data without a user_id"
    # every other table is named, with its reason, as holding no user's data
    assert set(tables) - holding == set(NOT_USER_DATA), "classify the new table here"


def test_every_query_on_user_data_is_scoped_to_one_user(
    schema: tuple[dict[str, set[str]], list[tuple[str, str, bool]]],
) -> None:
    tables, keys = schema
    holding = user_tables(tables, keys)
    unscoped = []
    for name, query in load_queries().items():
        body = re.sub(r"--[^\n]*", "", query.sql.decode())  # the statement, not its comment
        touched = {t for t in holding if re.search(rf"\b{t}\b", body)}
        if not touched or name in WHOLE_DATABASE:
            continue
        # `user_id = %(user_id)s` (or `id = ` on users, whose id is the user id)
        scoped = re.search(r"\b(?:user_)?id\s*=\s*%\(user_id\)s", body)
        inserted = "user_id" in query.params and re.search(r"\bINSERT\b", body, re.IGNORECASE)
        if not (scoped or inserted):
            unscoped.append(f"{name} ({', '.join(sorted(touched))})")
    assert not unscoped, f"queries on user data without %(user_id)s: {unscoped}"


def test_the_allow_list_names_real_unscoped_queries() -> None:
    queries = load_queries()
    for name in WHOLE_DATABASE:
        assert name in queries, f"{name} is no longer a query: drop it from WHOLE_DATABASE"
        assert "user_id" not in queries[name].params, f"{name} is scoped now: drop it"
