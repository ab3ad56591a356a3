"""`kinetria db seed`: realistic demo data, the same for the same arguments, accepted by every
constraint of the schema, with the indexes and foreign keys intact afterwards."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher
from psycopg import sql

from app.cli import main
from app.core.migrate import run_dbmate
from app.seed import DEMO_PASSWORD, TABLE_NAMES, SeedError, SeedOptions, seed_database
from tests.conftest import create_database, drop_database, with_database

END = date(2026, 11, 26)
OPTIONS = SeedOptions(users=24, seed=7, end_date=END, sets_per_user=500)
POUND = Decimal("0.45359237")


def table_digests(url: str) -> dict[str, tuple[int, str]]:
    """Row count and md5 of the sorted text of every seeded row, per table (the system
    exercises are left out: their created_at is the time the migration ran)."""
    digests: dict[str, tuple[int, str]] = {}
    with psycopg.connect(url) as conn:
        for table in TABLE_NAMES:
            where = "WHERE t.user_id IS NOT NULL" if table == "exercises" else ""
            row = conn.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text),"
                    " '')) FROM {} t {}"
                ).format(sql.Identifier(table), sql.SQL(where))
            ).fetchone()
            assert row is not None
            digests[table] = (row[0], row[1])
    return digests


def schema_objects(conn: psycopg.Connection[Any]) -> list[tuple[str, ...]]:
    """Every index and constraint of the schema, as PostgreSQL would recreate it."""
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
    ).fetchall()
    constraints = conn.execute(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated::text
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2
        """
    ).fetchall()
    return [*indexes, *constraints]


@pytest.fixture(scope="module")
def seeded(admin_url: str, template_database: str) -> Iterator[str]:
    """One migrated database seeded with OPTIONS, shared by the read-only tests below."""
    name = f"kinetria_seed_{uuid.uuid4().hex[:12]}"
    url = create_database(admin_url, name, template=template_database)
    seed_database(url, OPTIONS, progress=False)
    yield url
    drop_database(admin_url, name)


@pytest.fixture
def conn(seeded: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(seeded, autocommit=True) as connection:
        yield connection


def scalar(conn: psycopg.Connection[Any], query: str, **params: Any) -> Any:
    row = conn.execute(query.encode(), params or None).fetchone()
    assert row is not None
    return row[0]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """For tests that run `main()`: it points the root logger at the (captured) stderr of
    the test; give the logger back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    monkeypatch.setenv("KINETRIA_ENV", "development")
    yield monkeypatch
    root.handlers[:] = handlers
    root.setLevel(level)


def seed_with_cli(url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    main(["db", "seed", *args])


# --- determinism ----------------------------------------------------------------------------


def test_the_same_arguments_give_identical_databases(
    admin_url: str, cli: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two empty databases, migrated and seeded by the CLI with the same arguments, hold the
    same rows, ids included; another seed gives other data."""
    args = ("--users", "5", "--seed", "3", "--end-date", "2026-11-26", "--sets-per-user", "150")
    names = [f"kinetria_seed_{uuid.uuid4().hex[:12]}" for _ in range(3)]
    try:
        urls = [create_database(admin_url, name) for name in names]
        seed_with_cli(urls[0], cli, *args)
        summary = capsys.readouterr().out
        seed_with_cli(urls[1], cli, *args)
        seed_with_cli(urls[2], cli, *args[:3], "4", *args[4:])
        first, second, other = (table_digests(url) for url in urls)
    finally:
        for name in names:
            drop_database(admin_url, name)

    assert first == second
    assert first["users"][0] == 5
    assert first["set_records"][0] > 5 * 50
    assert other["users"][0] == 5
    assert other["set_records"] != first["set_records"]
    assert other["users"] != first["users"]  # other ids, names, time zones
    # The summary names every table with its row count, and the speed.
    for table in TABLE_NAMES:
        assert table in summary
    assert f"{first['set_records'][0]:,}" in summary
    assert "rows/s" in summary


def test_a_seeded_user_is_the_same_whatever_the_number_of_users(
    seeded: str, admin_url: str, template_database: str
) -> None:
    """Each user has a random generator of their own: user 3 of 24 is user 3 of 3."""
    name = f"kinetria_seed_{uuid.uuid4().hex[:12]}"
    url = create_database(admin_url, name, template=template_database)
    query = """
        SELECT u.email, u.display_name, count(r.id), md5(string_agg(r::text, ',' ORDER BY r.id))
        FROM users u JOIN set_records r ON r.user_id = u.id
        WHERE u.email = 'user00003@demo.kinetria.test'
        GROUP BY u.id
    """
    try:
        seed_database(
            url,
            SeedOptions(users=3, seed=7, end_date=END, sets_per_user=500),
            progress=False,
        )
        with psycopg.connect(url) as small, psycopg.connect(seeded) as large:
            assert small.execute(query).fetchall() == large.execute(query).fetchall()
    finally:
        drop_database(admin_url, name)


# --- the data look like real training -------------------------------------------------------


def test_users_share_the_documented_password_and_numbered_emails(
    conn: psycopg.Connection[Any],
) -> None:
    rows = conn.execute("SELECT email, password_hash FROM users ORDER BY email").fetchall()
    assert [email for email, _ in rows] == [
        f"user{n:05d}@demo.kinetria.test" for n in range(1, OPTIONS.users + 1)
    ]
    hashes = {password_hash for _, password_hash in rows}
    assert len(hashes) == 1
    password_hash = hashes.pop()
    assert password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(password_hash, DEMO_PASSWORD)
    # Every account has its registration in the audit log, before its first session.
    assert scalar(conn, "SELECT count(*) FROM audit_log WHERE action = 'register'") == len(rows)
    assert scalar(
        conn,
        """
            SELECT count(*) FROM users u
            JOIN audit_log a ON a.user_id = u.id AND a.created_at = u.created_at
            WHERE u.created_at < (SELECT min(started_at) FROM sessions s WHERE s.user_id = u.id)
            """,
    ) == len(rows)


def test_sets_belong_to_their_session_user_and_to_exercises_they_may_use(
    conn: psycopg.Connection[Any],
) -> None:
    assert (
        scalar(
            conn,
            """
            SELECT count(*) FROM set_records r JOIN sessions s ON s.id = r.session_id
            WHERE s.user_id <> r.user_id
            """,
        )
        == 0
    )
    # Only system exercises and the user's own custom ones, in sets and in plans.
    for query in (
        "SELECT count(*) FROM set_records r JOIN exercises e ON e.id = r.exercise_id"
        " WHERE e.user_id <> r.user_id",
        "SELECT count(*) FROM workout_exercises x JOIN workouts w ON w.id = x.workout_id"
        " JOIN exercises e ON e.id = x.exercise_id WHERE e.user_id <> w.user_id",
    ):
        assert scalar(conn, query) == 0
    # Some users made custom exercises and logged sets of them.
    assert scalar(conn, "SELECT count(*) FROM exercises WHERE user_id IS NOT NULL") > 0
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM set_records r JOIN exercises e ON e.id = r.exercise_id"
            " WHERE e.user_id IS NOT NULL",
        )
        > 0
    )


def test_sessions_are_ordered_in_time_with_their_sets_inside(
    conn: psycopg.Connection[Any],
) -> None:
    end = datetime(END.year, END.month, END.day, tzinfo=UTC)
    # Sets happen during their session, numbered 0..n-1, and the session knows the next one.
    assert (
        scalar(
            conn,
            """
            SELECT count(*) FROM set_records r JOIN sessions s ON s.id = r.session_id
            WHERE r.performed_at < s.started_at
               OR r.performed_at > coalesce(s.ended_at, %(end)s)
            """,
            end=end,
        )
        == 0
    )
    assert (
        scalar(
            conn,
            """
            SELECT count(*) FROM sessions s
            LEFT JOIN LATERAL (SELECT count(*) AS n, max(position) AS top
                               FROM set_records WHERE session_id = s.id) r ON true
            WHERE s.next_set_position <> r.n OR r.top <> r.n - 1
            """,
        )
        == 0
    )
    # Nothing after the end of the history; a user's sessions never overlap.
    assert scalar(conn, "SELECT count(*) FROM sessions WHERE started_at >= %(end)s", end=end) == 0
    assert (
        scalar(
            conn,
            """
            SELECT count(*) FROM (
                SELECT started_at, lag(coalesce(ended_at, started_at))
                    OVER (PARTITION BY user_id ORDER BY started_at) AS previous_end
                FROM sessions) s
            WHERE started_at < previous_end
            """,
        )
        == 0
    )


def test_the_sessions_have_the_shapes_of_real_training(conn: psycopg.Connection[Any]) -> None:
    statuses = dict(
        conn.execute("SELECT status::text, count(*) FROM sessions GROUP BY status").fetchall()
    )
    total = sum(statuses.values())
    assert statuses["completed"] > 0.9 * total
    assert 0 < statuses["abandoned"] < 0.06 * total
    # At most one running session per user (the database would refuse a second one).
    assert statuses.get("in_progress", 0) <= OPTIONS.users
    assert scalar(
        conn,
        "SELECT max(n) FROM (SELECT count(*) AS n FROM sessions"
        " WHERE status = 'in_progress' GROUP BY user_id) s",
    ) in (None, 1)
    # Overnight sessions (across local midnight) and days with two sessions happen.
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM sessions WHERE"
            " (started_at AT TIME ZONE timezone)::date < (ended_at AT TIME ZONE timezone)::date",
        )
        > 0
    )
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM (SELECT user_id, (started_at AT TIME ZONE timezone)::date"
            " FROM sessions GROUP BY 1, 2 HAVING count(*) > 1) d",
        )
        > 0
    )
    # Several sessions a week, over months; most from a plan, whose targets were copied.
    weeks = scalar(
        conn,
        "SELECT avg(n) FROM (SELECT user_id, count(*) / greatest(1, extract(epoch FROM"
        " max(started_at) - min(started_at)) / 604800) AS n FROM sessions GROUP BY user_id) s",
    )
    assert 1.5 < weeks < 7
    assert scalar(conn, "SELECT max(ended_at) - min(started_at) > '90 days' FROM sessions")
    assert scalar(conn, "SELECT avg((workout_id IS NOT NULL)::int) FROM sessions") > 0.7
    assert (
        scalar(
            conn,
            """
            SELECT count(*) FROM session_exercises x
            JOIN sessions s ON s.id = x.session_id
            JOIN workout_exercises w ON w.workout_id = s.workout_id AND w.position = x.position
            WHERE (w.exercise_id, w.target_sets, w.target_reps, w.target_weight_kg)
                IS DISTINCT FROM (x.exercise_id, x.target_sets, x.target_reps, x.target_weight_kg)
            """,
        )
        == 0
    )
    # Active plans, some archived ones (a program changed) and the odd draft.
    plans = dict(
        conn.execute("SELECT status::text, count(*) FROM workouts GROUP BY status").fetchall()
    )
    assert plans["active"] >= 2 * OPTIONS.users
    assert set(plans) <= {"draft", "active", "archived"}


def test_sets_have_warmups_drop_sets_failures_rpe_and_cardio(
    conn: psycopg.Connection[Any],
) -> None:
    kinds = dict(
        conn.execute("SELECT set_type::text, count(*) FROM set_records GROUP BY 1").fetchall()
    )
    assert set(kinds) == {"normal", "warmup", "dropset", "failure"}
    assert kinds["normal"] > sum(kinds.values()) / 2
    assert scalar(conn, "SELECT count(*) FROM set_records WHERE rpe IS NOT NULL") > 0
    warmups_with_rpe = "SELECT count(*) FROM set_records WHERE set_type = 'warmup' AND rpe > 0"
    assert scalar(conn, warmups_with_rpe) == 0
    # Cardio has duration and distance, holds have a duration, strength has reps and weight.
    assert scalar(conn, "SELECT count(*) FROM set_records WHERE distance_m > 0") > 0
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM set_records WHERE duration_s > 0 AND reps IS NULL"
            " AND weight_kg IS NULL AND distance_m IS NULL",
        )
        > 0
    )
    assert scalar(conn, "SELECT avg((reps > 0 AND weight_kg > 0)::int) FROM set_records") > 0.5


def test_weights_rise_over_the_weeks(conn: psycopg.Connection[Any]) -> None:
    """Per user and exercise with a long history, the working weight of the last sessions is
    above that of the first ones (noise and deloads allowed, so most, not all)."""
    rows = conn.execute(
        """
        WITH per_session AS (
            SELECT r.user_id, r.exercise_id, r.session_id, max(r.weight_kg) AS top,
                   row_number() OVER w AS n, count(*) OVER (PARTITION BY r.user_id,
                   r.exercise_id) AS sessions
            FROM set_records r
            WHERE r.set_type = 'normal' AND r.weight_kg > 0
            GROUP BY r.user_id, r.exercise_id, r.session_id
            WINDOW w AS (PARTITION BY r.user_id, r.exercise_id ORDER BY min(r.performed_at))
        )
        SELECT user_id, exercise_id,
               avg(top) FILTER (WHERE n <= 3) AS first,
               avg(top) FILTER (WHERE n > sessions - 3) AS last
        FROM per_session WHERE sessions >= 10
        GROUP BY user_id, exercise_id
        """
    ).fetchall()
    assert len(rows) > 20
    rising = [row for row in rows if row[3] > row[2]]
    assert len(rising) > 0.8 * len(rows)


def test_pound_users_enter_pounds_stored_exactly_in_kilograms(
    conn: psycopg.Connection[Any],
) -> None:
    units = dict(
        conn.execute(
            "SELECT preferred_weight_unit::text, count(*) FROM users GROUP BY 1"
        ).fetchall()
    )
    assert units.get("lb", 0) > 0
    assert units.get("kg", 0) > 0
    # Each user enters weights in their own unit.
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM set_records r JOIN users u ON u.id = r.user_id"
            " WHERE r.weight_unit <> u.preferred_weight_unit",
        )
        == 0
    )
    # A pound weight converts back to what was typed (a whole or half pound), and that
    # converts to exactly the stored kilograms: 1 lb = 0.45359237 kg.
    rows = conn.execute(
        """
        SELECT weight_kg, round(weight_kg / 0.45359237, 3) AS lb
        FROM set_records WHERE weight_unit = 'lb' AND weight_kg IS NOT NULL
        """
    ).fetchall()
    assert len(rows) > 100
    for kg, lb in rows:
        assert lb * 2 == int(lb * 2), (kg, lb)
        assert lb * POUND == kg  # Decimal arithmetic: exact
    assert len({lb for _, lb in rows}) > 10
    # Kilogram users load plates: multiples of 0.5 kg.
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM set_records WHERE weight_unit = 'kg' AND weight_kg % 0.5 <> 0",
        )
        == 0
    )


def test_indexes_and_constraints_are_rebuilt_identically_and_tables_analyzed(
    seeded: str, conn: psycopg.Connection[Any], admin_url: str, template_database: str
) -> None:
    with psycopg.connect(with_database(admin_url, template_database)) as fresh:
        assert schema_objects(conn) == schema_objects(fresh)
    analyzed = conn.execute(
        "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
    ).fetchall()
    assert {name for (name,) in analyzed} >= set(TABLE_NAMES)


# --- refusals -------------------------------------------------------------------------------


def test_seed_refuses_a_database_that_already_has_users(seeded: str) -> None:
    with psycopg.connect(seeded) as conn:
        before = scalar(conn, "SELECT count(*) FROM set_records")
    with pytest.raises(SeedError, match="already has users"):
        seed_database(seeded, SeedOptions(users=1, seed=99, end_date=END), progress=False)
    with psycopg.connect(seeded) as conn:
        assert scalar(conn, "SELECT count(*) FROM set_records") == before
        assert schema_objects(conn)  # and nothing was dropped


def test_cli_seed_migrates_an_empty_database_first(
    scratch_database: str, cli: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_with_cli(scratch_database, cli, "--users", "2", "--sets-per-user", "40")
    assert "set_records" in capsys.readouterr().out
    with psycopg.connect(scratch_database) as conn:
        assert scalar(conn, "SELECT count(*) FROM users") == 2
        assert scalar(conn, "SELECT count(*) FROM schema_migrations") > 0


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ("development", [], "needs --users"),
        ("production", ["--users", "3"], "refuses to run in production"),
    ],
)
def test_cli_seed_refuses_without_users_or_in_production(
    scratch_database: str,
    cli: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: str,
    args: list[str],
    message: str,
) -> None:
    cli.setenv("DATABASE_URL", scratch_database)
    cli.setenv("KINETRIA_ENV", env)
    cli.setenv("JWT_SECRET", "a-production-secret-of-more-than-32-bytes!")
    with pytest.raises(SystemExit) as exit_info:
        main(["db", "seed", *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    run_dbmate(scratch_database, "up", capture=True)
    with psycopg.connect(scratch_database) as conn:
        assert scalar(conn, "SELECT count(*) FROM users") == 0
