"""Integrity lives in the database: rows the API would never write, inserted directly, are
refused by PostgreSQL itself, and deletes follow the deliberate ON DELETE rules."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql

from tests.catalogue import BENCH_PRESS

NOW = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(db_url, autocommit=True) as connection:
        yield connection


def insert(conn: psycopg.Connection[Any], table: str, **values: Any) -> None:
    conn.execute(
        sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, values)),
            sql.SQL(", ").join(map(sql.Placeholder, values)),
        ),
        values,
    )


def new_user(conn: psycopg.Connection[Any], email: str | None = None) -> uuid.UUID:
    user_id = uuid.uuid4()
    insert(
        conn,
        "users",
        id=user_id,
        email=email or f"{user_id.hex[:12]}@example.com",
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        display_name="Ada",
    )
    return user_id


def new_exercise(conn: psycopg.Connection[Any], user_id: uuid.UUID, name: str) -> uuid.UUID:
    exercise_id = uuid.uuid4()
    insert(
        conn,
        "exercises",
        id=exercise_id,
        user_id=user_id,
        name=name,
        category="strength",
        primary_muscle="chest",
    )
    return exercise_id


def new_workout(
    conn: psycopg.Connection[Any], user_id: uuid.UUID, *exercises: uuid.UUID | str
) -> uuid.UUID:
    workout_id = uuid.uuid4()
    insert(conn, "workouts", id=workout_id, user_id=user_id, name="Push day")
    for position, exercise_id in enumerate(exercises):
        insert(
            conn,
            "workout_exercises",
            user_id=user_id,
            workout_id=workout_id,
            position=position,
            exercise_id=exercise_id,
            target_sets=3,
            target_reps=8,
            target_weight_kg=Decimal("60"),
        )
    return workout_id


def new_session(conn: psycopg.Connection[Any], user_id: uuid.UUID, **values: Any) -> uuid.UUID:
    session_id = uuid.uuid4()
    values = {
        "status": "completed",
        "started_at": NOW,
        "ended_at": NOW + timedelta(hours=1),
    } | values
    insert(conn, "sessions", id=session_id, user_id=user_id, **values)
    return session_id


def new_set(
    conn: psycopg.Connection[Any],
    session_id: uuid.UUID,
    user_id: uuid.UUID,
    exercise_id: uuid.UUID | str = BENCH_PRESS,
    **values: Any,
) -> uuid.UUID:
    set_id = uuid.uuid4()
    values = {"position": 0, "reps": 5, "weight_kg": Decimal("100")} | values
    insert(
        conn,
        "set_records",
        id=set_id,
        session_id=session_id,
        user_id=user_id,
        exercise_id=exercise_id,
        **values,
    )
    return set_id


def count(conn: psycopg.Connection[Any], query: str, *params: Any) -> int:
    row = conn.execute(query.encode(), params).fetchone()
    assert row is not None
    return row[0]


# --- set records --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "constraint"),
    [
        ("reps", -1, "set_records_reps_check"),
        ("reps", 100_000, "set_records_reps_check"),
        ("weight_kg", Decimal("-2.5"), "set_records_weight_kg_check"),
        ("weight_kg", Decimal("5000"), "set_records_weight_kg_check"),
        ("rpe", Decimal("0"), "set_records_rpe_check"),
        ("rpe", Decimal("10.5"), "set_records_rpe_check"),
        ("rpe", Decimal("7.3"), "set_records_rpe_check"),
        ("duration_s", -1, "set_records_duration_s_check"),
        ("duration_s", 86_401, "set_records_duration_s_check"),
        ("distance_m", Decimal("-1"), "set_records_distance_m_check"),
        ("position", -1, "set_records_position_check"),
        ("version", 0, "set_records_version_check"),
    ],
)
def test_an_implausible_set_is_refused(
    conn: psycopg.Connection[Any], column: str, value: Any, constraint: str
) -> None:
    user_id = new_user(conn)
    session_id = new_session(conn, user_id)
    with pytest.raises(errors.CheckViolation) as refused:
        new_set(conn, session_id, user_id, **{column: value})
    assert refused.value.diag.constraint_name == constraint


@pytest.mark.parametrize("rpe", ["1", "6.5", "7", "9.5", "10"])
def test_rpe_in_half_steps_from_1_to_10_is_accepted(
    conn: psycopg.Connection[Any], rpe: str
) -> None:
    user_id = new_user(conn)
    set_id = new_set(conn, new_session(conn, user_id), user_id, rpe=Decimal(rpe))
    assert (
        count(
            conn,
            "SELECT count(*) FROM set_records WHERE id = %s AND rpe = %s",
            set_id,
            Decimal(rpe),
        )
        == 1
    )


def test_a_weight_entered_in_pounds_round_trips_exactly(conn: psycopg.Connection[Any]) -> None:
    user_id = new_user(conn)
    kilograms = Decimal("225") * Decimal("0.45359237")
    set_id = new_set(
        conn, new_session(conn, user_id), user_id, weight_kg=kilograms, weight_unit="lb"
    )
    row = conn.execute(
        "SELECT weight_kg, weight_kg / 0.45359237, weight_unit::text"
        " FROM set_records WHERE id = %s",
        (set_id,),
    ).fetchone()
    assert row == (Decimal("102.05828325"), Decimal("225"), "lb")


def test_two_sets_cannot_share_a_position_in_a_session(conn: psycopg.Connection[Any]) -> None:
    user_id = new_user(conn)
    session_id = new_session(conn, user_id)
    new_set(conn, session_id, user_id, position=0)
    with pytest.raises(errors.UniqueViolation) as refused:
        new_set(conn, session_id, user_id, position=0)
    assert refused.value.diag.constraint_name == "set_records_user_session_position_key"


def test_a_set_belongs_to_the_user_of_its_session(conn: psycopg.Connection[Any]) -> None:
    owner, intruder = new_user(conn), new_user(conn)
    session_id = new_session(conn, owner)
    with pytest.raises(errors.ForeignKeyViolation) as refused:
        new_set(conn, session_id, intruder)
    assert refused.value.diag.constraint_name == "set_records_session_fkey"


# --- sessions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        (
            {"status": "completed", "started_at": NOW, "ended_at": NOW - timedelta(minutes=1)},
            "sessions_ended_after_started_check",
        ),
        (
            {"status": "completed", "started_at": NOW, "ended_at": None},
            "sessions_completed_has_end_check",
        ),
        (
            {"status": "in_progress", "started_at": NOW, "ended_at": NOW + timedelta(hours=1)},
            "sessions_in_progress_has_no_end_check",
        ),
        ({"timezone": ""}, "sessions_timezone_check"),
    ],
)
def test_an_inconsistent_session_is_refused(
    conn: psycopg.Connection[Any], values: dict[str, Any], constraint: str
) -> None:
    user_id = new_user(conn)
    with pytest.raises(errors.CheckViolation) as refused:
        new_session(conn, user_id, **values)
    assert refused.value.diag.constraint_name == constraint


def test_overnight_and_abandoned_sessions_are_accepted(conn: psycopg.Connection[Any]) -> None:
    user_id = new_user(conn)
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    new_session(conn, user_id, started_at=late, ended_at=late + timedelta(hours=2))
    new_session(conn, user_id, status="abandoned", started_at=NOW, ended_at=None)
    new_session(conn, user_id, status="abandoned", started_at=NOW, ended_at=NOW)
    assert count(conn, "SELECT count(*) FROM sessions WHERE user_id = %s", user_id) == 3


def test_a_user_has_at_most_one_session_in_progress(conn: psycopg.Connection[Any]) -> None:
    user_id, other = new_user(conn), new_user(conn)
    new_session(conn, user_id, status="in_progress", ended_at=None)
    new_session(conn, other, status="in_progress", ended_at=None)
    new_session(conn, user_id, status="completed")
    with pytest.raises(errors.UniqueViolation) as refused:
        new_session(conn, user_id, status="in_progress", ended_at=None)
    assert refused.value.diag.constraint_name == "sessions_one_in_progress_per_user"


def test_a_session_cannot_come_from_another_users_workout(conn: psycopg.Connection[Any]) -> None:
    owner, intruder = new_user(conn), new_user(conn)
    workout_id = new_workout(conn, owner, BENCH_PRESS)
    with pytest.raises(errors.ForeignKeyViolation) as refused:
        new_session(conn, intruder, workout_id=workout_id)
    assert refused.value.diag.constraint_name == "sessions_workout_fkey"


# --- users and exercises ------------------------------------------------------------------


def test_an_email_differing_only_in_case_is_taken(conn: psycopg.Connection[Any]) -> None:
    new_user(conn, email="ada@example.com")
    with pytest.raises(errors.UniqueViolation) as refused:
        new_user(conn, email="Ada@Example.COM")
    assert refused.value.diag.constraint_name == "users_email_key"


@pytest.mark.parametrize(
    ("column", "value", "constraint"),
    [
        ("display_name", "", "users_display_name_check"),
        ("display_name", "x" * 101, "users_display_name_check"),
        ("email", "not-an-email", "users_email_check"),
        ("preferred_weight_unit", "stone", None),
    ],
)
def test_an_invalid_user_is_refused(
    conn: psycopg.Connection[Any], column: str, value: str, constraint: str | None
) -> None:
    values = {
        "id": uuid.uuid4(),
        "email": "grace@example.com",
        "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        "display_name": "Grace",
    } | {column: value}
    expected = errors.CheckViolation if constraint else errors.InvalidTextRepresentation
    with pytest.raises(expected) as refused:
        insert(conn, "users", **values)
    if constraint:
        assert refused.value.diag.constraint_name == constraint


def test_a_custom_exercise_name_is_unique_per_user_ignoring_case(
    conn: psycopg.Connection[Any],
) -> None:
    user_id, other = new_user(conn), new_user(conn)
    new_exercise(conn, user_id, "Landmine Press")
    new_exercise(conn, other, "Landmine Press")  # another user's catalogue
    new_exercise(conn, user_id, "Barbell Bench Press")  # may shadow a system exercise
    with pytest.raises(errors.UniqueViolation) as refused:
        new_exercise(conn, user_id, "landmine PRESS")
    assert refused.value.diag.constraint_name == "exercises_user_id_name_key"


def test_system_exercise_names_are_unique(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(errors.UniqueViolation) as refused:
        insert(
            conn,
            "exercises",
            id=uuid.uuid4(),
            name="BARBELL BENCH PRESS",
            category="strength",
            primary_muscle="chest",
        )
    assert refused.value.diag.constraint_name == "exercises_system_name_key"


def test_an_exercise_cannot_list_its_primary_muscle_as_secondary(
    conn: psycopg.Connection[Any],
) -> None:
    with pytest.raises(errors.CheckViolation) as refused:
        insert(
            conn,
            "exercises",
            id=uuid.uuid4(),
            user_id=new_user(conn),
            name="Cable Fly",
            category="strength",
            primary_muscle="chest",
            secondary_muscles=["shoulders", "chest"],
        )
    assert refused.value.diag.constraint_name == "exercises_secondary_muscles_check"


def test_exercise_search_name_ignores_case_and_accents(conn: psycopg.Connection[Any]) -> None:
    exercise_id = new_exercise(conn, new_user(conn), "Développé Couché")
    row = conn.execute("SELECT search_name FROM exercises WHERE id = %s", (exercise_id,)).fetchone()
    assert row == ("developpe couche",)


@pytest.mark.parametrize(
    ("column", "value", "constraint"),
    [
        ("target_sets", 0, "workout_exercises_target_sets_check"),
        ("target_reps", -1, "workout_exercises_target_reps_check"),
        ("target_weight_kg", Decimal("1000.5"), "workout_exercises_target_weight_kg_check"),
        ("target_rest_s", 3601, "workout_exercises_target_rest_s_check"),
        ("position", -1, "workout_exercises_position_check"),
    ],
)
def test_an_implausible_plan_target_is_refused(
    conn: psycopg.Connection[Any], column: str, value: Any, constraint: str
) -> None:
    user_id = new_user(conn)
    workout_id = new_workout(conn, user_id)
    values = {
        "user_id": user_id,
        "workout_id": workout_id,
        "position": 0,
        "exercise_id": BENCH_PRESS,
    } | {column: value}
    with pytest.raises(errors.CheckViolation) as refused:
        insert(conn, "workout_exercises", **values)
    assert refused.value.diag.constraint_name == constraint


def test_a_plan_row_belongs_to_its_parents_user(conn: psycopg.Connection[Any]) -> None:
    """The user_id of a plan row is its workout's or session's user: the composite foreign
    keys refuse another user's id; a row written without one (by the release before the
    column) gets its parent's."""
    user_id, other = new_user(conn), new_user(conn)
    workout_id = new_workout(conn, user_id)
    session_id = new_session(conn, user_id)
    for table, parent, constraint in (
        ("workout_exercises", {"workout_id": workout_id}, "workout_exercises_workout_fkey"),
        ("session_exercises", {"session_id": session_id}, "session_exercises_session_fkey"),
    ):
        row = {"position": 0, "exercise_id": BENCH_PRESS} | parent
        with pytest.raises(errors.ForeignKeyViolation) as refused:
            insert(conn, table, user_id=other, **row)
        assert refused.value.diag.constraint_name == constraint
        insert(conn, table, **row)
        filled = conn.execute(
            f"SELECT user_id FROM {table} WHERE {next(iter(parent))} = %s",  # noqa: S608
            [next(iter(parent.values()))],
        ).fetchall()
        assert filled == [(user_id,)]
        insert(conn, table, user_id=user_id, **(row | {"position": 1}))


def test_audit_metadata_must_be_an_object(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(errors.CheckViolation) as refused:
        conn.execute("INSERT INTO audit_log (action, metadata) VALUES ('login', '[1, 2]')")
    assert refused.value.diag.constraint_name == "audit_log_metadata_check"


# --- deletes ------------------------------------------------------------------------------


def test_an_exercise_with_recorded_sets_cannot_be_deleted(conn: psycopg.Connection[Any]) -> None:
    user_id = new_user(conn)
    exercise_id = new_exercise(conn, user_id, "Landmine Press")
    session_id = new_session(conn, user_id)
    new_set(conn, session_id, user_id, exercise_id, position=0)
    new_set(conn, session_id, user_id, BENCH_PRESS, position=1)
    with pytest.raises(errors.ForeignKeyViolation) as refused:
        conn.execute("DELETE FROM exercises WHERE id = %s", (exercise_id,))
    assert refused.value.diag.constraint_name == "set_records_exercise_id_fkey"
    assert "is still referenced" in (refused.value.diag.message_detail or "")
    with pytest.raises(errors.ForeignKeyViolation):
        conn.execute("DELETE FROM exercises WHERE id = %s", (BENCH_PRESS,))


def test_an_exercise_in_a_plan_cannot_be_deleted(conn: psycopg.Connection[Any]) -> None:
    user_id = new_user(conn)
    exercise_id = new_exercise(conn, user_id, "Landmine Press")
    new_workout(conn, user_id, exercise_id)
    with pytest.raises(errors.ForeignKeyViolation) as refused:
        conn.execute("DELETE FROM exercises WHERE id = %s", (exercise_id,))
    assert refused.value.diag.constraint_name == "workout_exercises_exercise_id_fkey"


def test_an_unused_custom_exercise_can_be_deleted(conn: psycopg.Connection[Any]) -> None:
    user_id = new_user(conn)
    exercise_id = new_exercise(conn, user_id, "Landmine Press")
    conn.execute("DELETE FROM exercises WHERE id = %s", (exercise_id,))
    assert count(conn, "SELECT count(*) FROM exercises WHERE id = %s", exercise_id) == 0


def test_deleting_a_user_deletes_their_data_and_keeps_their_audit_rows(
    conn: psycopg.Connection[Any],
) -> None:
    user_id, other = new_user(conn), new_user(conn)
    for owner in (user_id, other):
        custom = new_exercise(conn, owner, "Landmine Press")
        workout_id = new_workout(conn, owner, custom, BENCH_PRESS)
        session_id = new_session(conn, owner, workout_id=workout_id)
        insert(
            conn,
            "session_exercises",
            user_id=owner,
            session_id=session_id,
            position=0,
            exercise_id=custom,
        )
        new_set(conn, session_id, owner, custom, position=0)
        new_set(conn, session_id, owner, BENCH_PRESS, position=1)
        insert(
            conn,
            "refresh_tokens",
            id=uuid.uuid4(),
            user_id=owner,
            family_id=uuid.uuid4(),
            token_hash=uuid.uuid4().bytes,
            expires_at=NOW + timedelta(days=30),
        )
        insert(conn, "audit_log", user_id=owner, action="login")
        insert(
            conn,
            "audit_log",
            user_id=owner,
            action="create",
            entity_type="workouts",
            entity_id=workout_id,
        )

    owned = {
        "exercises": "SELECT count(*) FROM exercises WHERE user_id = %s",
        "workouts": "SELECT count(*) FROM workouts WHERE user_id = %s",
        "workout_exercises": "SELECT count(*) FROM workout_exercises WHERE user_id = %s",
        "sessions": "SELECT count(*) FROM sessions WHERE user_id = %s",
        "session_exercises": "SELECT count(*) FROM session_exercises WHERE user_id = %s",
        "set_records": "SELECT count(*) FROM set_records WHERE user_id = %s",
        "refresh_tokens": "SELECT count(*) FROM refresh_tokens WHERE user_id = %s",
        "audit_log": "SELECT count(*) FROM audit_log WHERE user_id = %s",
    }
    before = {table: count(conn, query, other) for table, query in owned.items()}

    conn.execute("DELETE FROM users WHERE id = %s", (user_id,))

    assert {table: count(conn, query, user_id) for table, query in owned.items()} == dict.fromkeys(
        owned, 0
    )
    assert {table: count(conn, query, other) for table, query in owned.items()} == before
    assert count(conn, "SELECT count(*) FROM audit_log WHERE user_id IS NULL") == 2
    assert count(conn, "SELECT count(*) FROM exercises WHERE id = %s", BENCH_PRESS) == 1


def test_deleting_a_workout_keeps_its_sessions(conn: psycopg.Connection[Any]) -> None:
    user_id = new_user(conn)
    workout_id = new_workout(conn, user_id, BENCH_PRESS)
    session_id = new_session(conn, user_id, workout_id=workout_id)
    insert(
        conn,
        "session_exercises",
        user_id=user_id,
        session_id=session_id,
        position=0,
        exercise_id=BENCH_PRESS,
    )
    new_set(conn, session_id, user_id)

    conn.execute("DELETE FROM workouts WHERE id = %s", (workout_id,))

    row = conn.execute(
        "SELECT user_id, workout_id FROM sessions WHERE id = %s", (session_id,)
    ).fetchone()
    assert row == (user_id, None)
    assert (
        count(conn, "SELECT count(*) FROM session_exercises WHERE session_id = %s", session_id) == 1
    )
    assert count(conn, "SELECT count(*) FROM set_records WHERE session_id = %s", session_id) == 1
    assert (
        count(conn, "SELECT count(*) FROM workout_exercises WHERE workout_id = %s", workout_id) == 0
    )


def test_deleting_a_session_deletes_its_plan_and_sets(conn: psycopg.Connection[Any]) -> None:
    user_id = new_user(conn)
    session_id = new_session(conn, user_id)
    insert(
        conn,
        "session_exercises",
        user_id=user_id,
        session_id=session_id,
        position=0,
        exercise_id=BENCH_PRESS,
    )
    new_set(conn, session_id, user_id)
    conn.execute("DELETE FROM sessions WHERE id = %s", (session_id,))
    assert (
        count(conn, "SELECT count(*) FROM session_exercises WHERE session_id = %s", session_id) == 0
    )
    assert count(conn, "SELECT count(*) FROM set_records WHERE session_id = %s", session_id) == 0
