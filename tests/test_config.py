from __future__ import annotations

import subprocess
import sys

import msgspec
import pytest

from app.core.config import (
    SET_IN_CODE,
    VARIABLES,
    ConfigError,
    Environment,
    Settings,
    load_settings,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in (
        "KINETRIA_ENV",
        "DATABASE_URL",
        "JWT_SECRET",
        "PORT",
        "WORKERS",
        "LOG_LEVEL",
        "DB_POOL_MIN_SIZE",
        "DB_POOL_MAX_SIZE",
        "CORS_ALLOWED_ORIGINS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]


def test_defaults_need_nothing() -> None:
    settings = load_settings()
    assert settings.env == Environment.DEVELOPMENT
    assert settings.database_url is None
    assert settings.port == 8000
    assert settings.slow_query_ms == 500


def test_values_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9001")
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "20")
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://a.example,https://b.example")
    settings = load_settings()
    assert settings.port == 9001
    assert settings.pool_max_size == 20
    assert settings.cors_origins == ("https://a.example", "https://b.example")


def test_dotenv_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    with open(".env", "w") as env_file:
        env_file.write("PORT=8123\n")
    assert load_settings().port == 8123
    monkeypatch.setenv("PORT", "8124")  # the environment wins over .env
    assert load_settings().port == 8124


def test_every_bad_variable_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "eighty")
    monkeypatch.setenv("WORKERS", "0")
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigError) as error:
        load_settings()
    names = [problem.split(":")[0] for problem in error.value.problems]
    assert sorted(names) == ["LOG_LEVEL", "PORT", "WORKERS"]


def test_pool_sizes_must_be_consistent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_POOL_MIN_SIZE", "8")
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "4")
    with pytest.raises(ConfigError, match="DB_POOL_MIN_SIZE"):
        load_settings()


@pytest.mark.parametrize(
    ("secret", "message"),
    [(None, "must be set"), ("short-secret", "at least 32 bytes")],
)
def test_production_refuses_default_or_short_secrets(
    monkeypatch: pytest.MonkeyPatch, secret: str | None, message: str
) -> None:
    monkeypatch.setenv("KINETRIA_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.internal/kinetria")
    if secret:
        monkeypatch.setenv("JWT_SECRET", secret)
    with pytest.raises(ConfigError, match=message) as error:
        load_settings()
    assert "short-secret" not in str(error.value)


def test_production_needs_a_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINETRIA_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", "x" * 40)
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings()


def test_secret_never_appears_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", "s3cr3t-" * 6)
    assert "s3cr3t" not in repr(load_settings())


def test_cli_stops_with_one_message_and_nonzero_exit() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve"],
        env={"PATH": "/usr/bin:/bin", "PORT": "0", "WORKERS": "many", "JWT_SECRET": "hunter2"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "PORT" in result.stderr
    assert "WORKERS" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("value", "expected"), [("0", 0), ("5", 5), ("none", None), ("None", None), ("", None)]
)
def test_prepare_threshold_is_a_count_or_none(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: int | None
) -> None:
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", value)
    assert load_settings().prepare_threshold == expected


def test_prepare_threshold_defaults_to_preparing_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DB_PREPARE_THRESHOLD", raising=False)
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)
    settings = load_settings()
    assert settings.prepare_threshold == 0
    assert settings.database_replica_url is None


@pytest.mark.parametrize("value", ["-1", "never", "2.5"])
def test_a_bad_prepare_threshold_is_named(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", value)
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(ConfigError) as error:
        load_settings()
    names = [problem.split(":")[0] for problem in error.value.problems]
    assert sorted(names) == ["DB_PREPARE_THRESHOLD", "PORT"]
    assert value in str(error.value)


def test_a_replica_url_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgresql://kinetria@replica/kinetria")
    assert load_settings().database_replica_url == "postgresql://kinetria@replica/kinetria"


def test_every_setting_has_one_variable_and_unset_means_its_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in VARIABLES:
        monkeypatch.delenv(variable.name, raising=False)
    fields = [field.name for field in msgspec.structs.fields(Settings)]
    assert [variable.field for variable in VARIABLES] + list(SET_IN_CODE) == fields
    assert len({variable.name for variable in VARIABLES}) == len(VARIABLES)
    assert load_settings(read_dotenv=False) == Settings()
