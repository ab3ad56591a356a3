"""`kinetria db backup FILE` and `kinetria db restore FILE [--clean]`, run as a user runs them:
a round trip keeps every row of every table and the documents the API answers; restore
refuses a database that is not empty unless told to replace it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient
from psycopg import sql

from app.core.backup import user_tables
from app.main import create_app
from tests.api import Client, TokenClient, register, signed_in
from tests.catalogue import BACK_SQUAT, BENCH_PRESS
from tests.conftest import TEST_JWT_SECRET, make_settings


def kinetria(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**os.environ, "KINETRIA_ENV": "test", "JWT_SECRET": TEST_JWT_SECRET, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def row_counts(url: str) -> dict[str, int]:
    """Every table's row count (the migration history included)."""
    counts: dict[str, int] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for table in user_tables(url):
            schema, name = table.split(".")
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, name))
            row = conn.execute(query).fetchone()
            counts[table] = int(row[0]) if row else -1
    return counts


def training(client: Client) -> tuple[TokenClient, dict[str, str]]:
    """A user with a plan and a finished session of three sets; the documents to compare."""
    ann = signed_in(client, register(client, "ann@example.com"))
    workout = ann.post("/v1/workouts", json={"name": "Strength A"}).json()["id"]
    plan = [
        {"exercise_id": str(BACK_SQUAT), "target_sets": 5, "target_reps": 5},
        {"exercise_id": str(BENCH_PRESS), "target_sets": 5, "target_reps": 5},
    ]
    assert ann.put(f"/v1/workouts/{workout}/exercises", json=plan).status_code == 200
    session = ann.post("/v1/sessions", json={"workout_id": workout}).json()["id"]
    sets = [
        {"exercise_id": str(BACK_SQUAT), "reps": 5, "weight": 100, "rpe": 8},
        {"exercise_id": str(BACK_SQUAT), "reps": 5, "weight": 102.5},
        {"exercise_id": str(BENCH_PRESS), "reps": 5, "weight": 175, "weight_unit": "lb"},
    ]
    assert ann.post(f"/v1/sessions/{session}/sets", json=sets).status_code == 201
    assert ann.post(f"/v1/sessions/{session}/finish").status_code == 200
    return ann, {
        "session": f"/v1/sessions/{session}",
        "workout": f"/v1/workouts/{workout}",
        "records": "/v1/stats/records",
        "me": "/v1/me",
    }


def documents(caller: TokenClient, paths: dict[str, str]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for name, path in paths.items():
        response = caller.get(path)
        assert response.status_code == 200, response.text
        answers[name] = (response.json(), response.headers.get("etag"))
    return answers


def test_a_backup_restores_every_row_and_document(
    db_url: str, client: Client, scratch_database: str, tmp_path: Path
) -> None:
    ann, paths = training(client)
    before = documents(ann, paths)
    counts = row_counts(db_url)
    assert counts["public.set_records"] == 3
    assert counts["public.schema_migrations"] > 0

    file = tmp_path / "kinetria.dump"
    made = kinetria("db", "backup", str(file), DATABASE_URL=db_url)
    assert made.returncode == 0, made.stderr
    assert f"to {file}" in made.stdout
    assert file.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format

    restored = kinetria("db", "restore", str(file), DATABASE_URL=scratch_database)
    assert restored.returncode == 0, restored.stderr
    assert row_counts(scratch_database) == counts
    # the same token (the same secret) reads the same documents from the restored database
    with TestClient(create_app(make_settings(scratch_database))) as other:
        assert documents(ann.on(other), paths) == before


def test_restore_refuses_a_database_that_is_not_empty_unless_clean(
    db_url: str, client: Client, tmp_path: Path
) -> None:
    ann, paths = training(client)
    before = documents(ann, paths)
    counts = row_counts(db_url)
    file = tmp_path / "kinetria.dump"
    assert kinetria("db", "backup", str(file), DATABASE_URL=db_url).returncode == 0

    # a change after the backup, then a restore over it
    assert ann.delete(paths["session"]).status_code == 204
    refused = kinetria("db", "restore", str(file), DATABASE_URL=db_url)
    assert refused.returncode == 1
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("kinetria: database kinetria_test_")
    assert "is not empty" in line
    assert "--clean" in line
    assert ann.get(paths["session"]).status_code == 404  # nothing was touched

    cleaned = kinetria("db", "restore", str(file), "--clean", DATABASE_URL=db_url)
    assert cleaned.returncode == 0, cleaned.stderr
    assert row_counts(db_url) == counts
    # a restarted API (the old one's prepared statements name the dropped objects)
    with TestClient(create_app(make_settings(db_url))) as restarted:
        assert documents(ann.on(restarted), paths) == before


def test_restore_into_the_embedded_database(db_url: str, client: Client, tmp_path: Path) -> None:
    """Without DATABASE_URL the commands use the embedded database of KINETRIA_HOME."""
    training(client)
    counts = row_counts(db_url)
    file = tmp_path / "kinetria.dump"
    assert kinetria("db", "backup", str(file), DATABASE_URL=db_url).returncode == 0
    home = tmp_path / "home"
    restored = kinetria("db", "restore", str(file), DATABASE_URL="", KINETRIA_HOME=str(home))
    assert restored.returncode == 0, restored.stderr
    assert "into database kinetria" in restored.stdout
    again = kinetria(
        "db", "backup", str(tmp_path / "again.dump"), DATABASE_URL="", KINETRIA_HOME=str(home)
    )
    assert again.returncode == 0, again.stderr
    assert not (home / "pgdata" / "postmaster.pid").exists()  # stopped after each command
    # what the embedded database now holds is what was backed up
    into = tmp_path / "check"
    check = kinetria(
        "db", "restore", str(tmp_path / "again.dump"), DATABASE_URL="", KINETRIA_HOME=str(into)
    )
    assert check.returncode == 0, check.stderr
    assert f"({len(counts)} tables)" in check.stdout


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no backup file at"),
        ("not an archive", "is not a backup made by `kinetria db backup`"),
    ],
)
def test_restore_says_what_is_wrong_with_the_file(
    scratch_database: str, tmp_path: Path, setup: str, message: str
) -> None:
    file = tmp_path / "kinetria.dump"
    if setup == "not an archive":
        file.write_text("SELECT 1;\n")
    result = kinetria("db", "restore", str(file), DATABASE_URL=scratch_database)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert message in line
    assert user_tables(scratch_database) == []


def test_backup_and_restore_need_a_file_and_a_reachable_database(tmp_path: Path) -> None:
    missing = kinetria("db", "backup")
    assert missing.returncode == 2
    assert "db backup needs FILE" in missing.stderr
    unreachable = kinetria(
        "db",
        "backup",
        str(tmp_path / "x.dump"),
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none?connect_timeout=2",
    )
    assert unreachable.returncode == 1
    [line] = unreachable.stderr.strip().splitlines()
    assert line.startswith("kinetria: cannot connect to the database")
    assert not (tmp_path / "x.dump").exists()
