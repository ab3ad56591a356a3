"""The schema as a DBA sees it: the migrations apply, roll back completely and apply again
to the same schema; db/schema.sql is what a fresh migrate dumps; the ENUM types and the
StrEnums of app/core/enums.py agree; the system exercise catalogue is there."""

from __future__ import annotations

import enum
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from app.core import enums
from app.core.embedded import bin_dir
from app.core.migrate import MIGRATIONS, SCHEMA_FILE, dbmate_executable, dbmate_url, run_dbmate
from app.imports import models as import_models
from app.stats import models as stats_models
from app.worker import enums as worker_enums
from tests.catalogue import BENCH_PRESS

MIGRATION_FILES = sorted(MIGRATIONS.glob("*.sql"))


@pytest.fixture
def empty_database(admin_url: str) -> Iterator[str]:
    """A database of its own with nothing applied, dropped afterwards."""
    name = f"kinetria_schema_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def dump_schema(url: str, tmp_path: Path) -> str:
    """`dbmate dump` of `url`, exactly as it would write db/schema.sql."""
    target = tmp_path / f"dump-{uuid.uuid4().hex[:8]}.sql"
    env = {**os.environ, "PATH": f"{bin_dir()}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(
        [
            dbmate_executable(),
            "--url",
            dbmate_url(url),
            "--migrations-dir",
            str(MIGRATIONS),
            "--schema-file",
            str(target),
            "dump",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return target.read_text()


def server_major(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT current_setting('server_version_num')::int / 10000").fetchone()
    assert row is not None
    return row[0]


def without_version_banner(dump: str) -> str:
    """The dump minus pg_dump's '-- Dumped from/by ... version' lines, which name the minor
    versions of the server and the tool, not anything in the schema."""
    return re.sub(r"^-- Dumped (from database|by pg_dump) version .*\n", "", dump, flags=re.M)


def leftovers(url: str) -> list[str]:
    """Everything in the database that a migration could have created."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            """
            SELECT 'relation ' || c.relname
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public'
              AND c.relname NOT IN ('schema_migrations', 'schema_migrations_pkey')
            UNION ALL
            SELECT 'type ' || t.typname
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c', 'r', 'm')
              AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid)
            UNION ALL
            SELECT 'function ' || p.proname
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public'
            UNION ALL
            SELECT 'extension ' || extname FROM pg_extension WHERE extname <> 'plpgsql'
            UNION ALL
            SELECT 'schema migration ' || version FROM schema_migrations
            """
        ).fetchall()
    return sorted(row[0] for row in rows)


def test_migrations_roll_back_completely_and_apply_again_to_the_same_schema(
    empty_database: str, tmp_path: Path
) -> None:
    url = empty_database
    run_dbmate(url, "up", capture=True)
    first = dump_schema(url, tmp_path)
    assert "CREATE TABLE public.set_records" in first

    for _ in MIGRATION_FILES:
        run_dbmate(url, "rollback", capture=True)
    status = run_dbmate(url, "status", capture=True).stdout
    assert "Applied: 0" in status
    assert f"Pending: {len(MIGRATION_FILES)}" in status
    assert leftovers(url) == []

    run_dbmate(url, "up", capture=True)
    assert dump_schema(url, tmp_path) == first


def test_every_migration_has_an_up_and_a_down_section() -> None:
    assert len(MIGRATION_FILES) >= 7
    for path in MIGRATION_FILES:
        assert re.fullmatch(r"\d{14}_[a-z0-9_]+\.sql", path.name), path.name
        text = path.read_text()
        up, _, down = text.partition("-- migrate:down")
        assert up.lstrip().startswith("-- migrate:up"), path.name
        statements = [
            line for line in down.splitlines() if line.strip() and not line.startswith("--")
        ]
        assert statements, f"{path.name} has an empty down path"


@pytest.mark.xdist_group("db_schema_file")  # rewrites or reads db/schema.sql: one process
def test_committed_schema_file_is_what_a_fresh_migrate_dumps(db_url: str, tmp_path: Path) -> None:
    committed = SCHEMA_FILE.read_text()
    dumped_from = re.search(r"^-- Dumped from database version (\d+)", committed, flags=re.M)
    assert dumped_from, "db/schema.sql should be a dbmate dump"
    if server_major(db_url) != int(dumped_from.group(1)):
        pytest.skip("db/schema.sql is dumped from another PostgreSQL major version")
    fresh = dump_schema(db_url, tmp_path)
    assert without_version_banner(fresh) == without_version_banner(committed), (
        "db/schema.sql is stale: run `uv run dbmate up` on a fresh database "
        "(dbmate rewrites the file) and commit it"
    )


ENUM_CLASSES: list[type[enum.StrEnum]] = [
    enums.WorkoutStatus,
    enums.SessionStatus,
    enums.ExerciseCategory,
    enums.MuscleGroup,
    enums.AuditAction,
    enums.SetType,
    enums.WeightUnit,
    enums.ExerciseGroupKind,
    enums.BodyMeasurementKind,
    enums.BodyMeasurementUnit,
    enums.WebhookDisabledReason,
    enums.WebhookDeliveryStatus,
    enums.ChangeEventType,
    enums.ChangeEntityType,
    enums.ApiKeyScope,
    worker_enums.ProcrastinateJobStatus,
    worker_enums.ProcrastinateJobEventType,
    stats_models.RecordKind,
    enums.AccountTokenPurpose,
    enums.ImportStatus,
    import_models.ImportFormat,
]


def type_name(cls: type[enum.StrEnum]) -> str:
    """WorkoutStatus -> workout_status."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def database_enums(url: str) -> dict[str, list[str]]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            """
            SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)
            FROM pg_type t
            JOIN pg_namespace n ON n.oid = t.typnamespace
            JOIN pg_enum e ON e.enumtypid = t.oid
            WHERE n.nspname = 'public'
            GROUP BY t.typname
            """
        ).fetchall()
    return {name: labels for name, labels in rows}


@pytest.mark.parametrize("cls", ENUM_CLASSES, ids=type_name)
def test_enum_type_lists_the_same_values_in_the_same_order_as_its_strenum(
    cls: type[enum.StrEnum], db_url: str
) -> None:
    in_database = database_enums(db_url)
    assert type_name(cls) in in_database, f"no ENUM type {type_name(cls)} in the database"
    assert in_database[type_name(cls)] == [member.value for member in cls]


def test_every_enum_type_has_a_strenum(db_url: str) -> None:
    assert sorted(database_enums(db_url)) == sorted(type_name(cls) for cls in ENUM_CLASSES)


def test_the_system_catalogue_covers_every_category_and_muscle_group(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT name, category::text, primary_muscle::text FROM exercises WHERE user_id IS NULL"
        ).fetchall()
    assert len(rows) >= 60
    assert {category for _, category, _ in rows} == set(enums.ExerciseCategory)
    assert {muscle for _, _, muscle in rows} == set(enums.MuscleGroup)
    names = [name.lower() for name, _, _ in rows]
    assert len(names) == len(set(names))


def test_system_exercises_have_the_same_ids_in_every_database(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT name, user_id FROM exercises WHERE id = %s", (BENCH_PRESS,)
        ).fetchone()
    assert row == ("Barbell Bench Press", None)
