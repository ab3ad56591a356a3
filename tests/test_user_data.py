"""Kinetria can be distributed by user (docs/scaling.md): every table that holds user data
has a `user_id` column, and every SQL file that touches such a table is scoped to one user
by its `%(user_id)s`, with each such table in it tied to `user_id` itself (not only through a
parent), as Citus needs to see a statement is about one user's shard. The tables are read
from the migrated database's catalog, so a new table or query has to take a side here:
scoped to a user, or listed below with its reason.

A table holds user data when it is `users` or reaches `users` through foreign keys."""

from __future__ import annotations

import re

import psycopg
import pytest

from app.core.db import load_queries

# Tables holding user data that a query may join without tying them to its user: the
# exercise catalogue (system exercises have no user; a reference table in Citus, a copy on
# every node). Queries on exercises themselves are still scoped by the first check.
REFERENCE_TABLES = {
    "exercises": "the exercise catalogue: a reference table in Citus",
    "exercise_aliases": "other apps' names of system exercises: a reference table too",
}

# Tables that hold no user's data (no foreign key to users), each with its reason.
NOT_USER_DATA = {
    "schema_migrations": "dbmate's list of applied migrations",
    # keyed by sha256 of an email before anyone is signed in: no user id exists yet; in Citus
    # distributed by email_hash on its own (docs/scaling.md)
    "login_throttle": "login attempts per email hash, before a user is known",
    # keyed by (policy, subject): a client address, or a user id as text for per-user limits;
    # short-lived counters, distributed by subject in Citus (docs/scaling.md)
    "rate_limit_counters": "rate-limit windows per client address or user",
    # keyed by (job handler, event id): the worker's bookkeeping of what it has done
    "processed_events": "event ids each background job handler has processed",
    # the job queue's own tables (procrastinate's schema): shared by every user, like the
    # workers that take from it
    "procrastinate_jobs": "background jobs",
    "procrastinate_events": "background jobs' history",
    "procrastinate_periodic_defers": "periodic jobs already queued",
    "procrastinate_workers": "running workers and their heartbeats",
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
    "seed/personal_bests": "seed loader",
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
    # a mailed account token is presented before the user is known: found by its hash; a
    # password reset is asked for by email; an email change checks the address is free
    "account_tokens/find": "finds the user by account-token hash",
    "api_keys/verify": "finds the user by the API key's id (the hash is then compared)",
    "account_tokens/use": "finds the user by account-token hash",
    "account_tokens/issue_password_reset": "finds the user by email",
    "users/email_taken": "looks the email up among every account",
    # the webhook worker: finds work across users, then works on one subscription (its id
    # names the user's shard through the subscription row)
    "webhooks/fan_out": "webhook worker: new events of every subscribed user",
    "webhooks/due": "webhook worker: subscriptions with a delivery due",
    "webhooks/next_delivery": "webhook worker: one subscription, by its id",
    "webhooks/delivered": "webhook worker: one delivery, by its id",
    "webhooks/attempt_failed": "webhook worker: one delivery, by its id",
    "webhooks/prune_deliveries": "webhook worker: old deliveries of everyone",
    # the sync pruning job: old change-log events and expired snapshots of everyone
    "sync/prune_events": "sync pruning: events older than the retention, every user",
    "sync/prune_snapshots": "sync pruning: expired snapshots, every user",
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
    missing = [
        t for t in sorted(holding - {"users"} - set(REFERENCE_TABLES)) if "user_id" not in tables[t]
    ]
    assert not missing, f"tables holding user data without a user_id: {missing}"
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


# a table named in a statement, with its alias if it has one (not a function of that name)
TABLE_REFERENCE = r"\b{table}\b(?!\s*\()(?:\s+(?:AS\s+)?(\w+))?"
NOT_AN_ALIAS = frozenset(
    (
        "where",
        "join",
        "on",
        "set",
        "using",
        "left",
        "right",
        "inner",
        "full",
        "cross",
        "natural",
        "lateral",
        "order",
        "group",
        "limit",
        "returning",
        "values",
        "select",
        "from",
        "as",
        "for",
        "union",
        "and",
        "or",
        "with",
        "default",
    )
)


def untied_references(body: str, table: str) -> list[str]:
    """The places in `body` where `table` is read or written without its own `user_id`:
    an INSERT must list the column, any other use must name `<alias>.user_id` (or the
    unqualified `user_id` when the table has no alias)."""
    untied = []
    inserts = list(
        re.finditer(
            rf"\bINSERT\s+INTO\s+({table})\b(?:\s+AS\s+\w+)?\s*\(([^)]*)\)", body, re.IGNORECASE
        )
    )
    untied += [
        f"INSERT INTO {table} without user_id"
        for found in inserts
        if not re.search(r"\buser_id\b", found.group(2))
    ]
    inserted_at = {found.start(1) for found in inserts}
    for found in re.finditer(TABLE_REFERENCE.format(table=table), body, re.IGNORECASE):
        if found.start() in inserted_at:
            continue
        alias = found.group(1)
        if alias is not None and alias.lower() in NOT_AN_ALIAS:
            alias = None
        qualified = re.search(rf"\b{alias or table}\.user_id\b", body)
        bare = alias is None and re.search(r"(?<![.\w])user_id\b", body)
        if not (qualified or bare):
            untied.append(f"{table} {alias or ''}".strip())
    return untied


def test_every_user_table_a_query_touches_is_filtered_by_its_own_user_id(
    schema: tuple[dict[str, set[str]], list[tuple[str, str, bool]]],
) -> None:
    """A plan row joined only through its workout (`we.workout_id = w.id`) is one user's,
    but Citus routes and co-locates by the distribution column of each table: every table a
    scoped query touches names its own user_id (`we.user_id = w.user_id`), and every INSERT
    writes it."""
    tables, keys = schema
    distributed = user_tables(tables, keys) - {"users"} - set(REFERENCE_TABLES)
    untied = []
    for name, query in load_queries().items():
        if name in WHOLE_DATABASE:
            continue
        body = re.sub(r"--[^\n]*", "", query.sql.decode())
        for table in sorted(distributed):
            untied += [f"{name}: {where}" for where in untied_references(body, table)]
    assert not untied, f"tables not tied to user_id: {untied}"


def test_the_allow_list_names_real_unscoped_queries() -> None:
    queries = load_queries()
    for name in WHOLE_DATABASE:
        assert name in queries, f"{name} is no longer a query: drop it from WHOLE_DATABASE"
        assert "user_id" not in queries[name].params, f"{name} is scoped now: drop it"
