"""Configuration: environment variables (and `.env`), parsed once into a frozen Struct."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

import msgspec
from environs import Env, EnvValidationError
from marshmallow.validate import OneOf, Range

from app.core.setting_values import (
    RateLimit,
    check_networks,
    check_prepare_threshold,
    check_proxy_header,
    check_rate_limit,
    is_postgres_url,
    networks,
    none_if_empty,
    prepare_threshold,
    rate_limit,
    smtp_url_problem,
)

DEFAULT_JWT_SECRET = "dev-only-insecure-secret-change-me-in-production"
MIN_SECRET_BYTES = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    env: Environment = Environment.DEVELOPMENT
    database_url: str | None = None
    home: Path = Path(".kinetria")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "INFO"
    pool_min_size: int = 2
    pool_max_size: int = 10
    pool_timeout_s: float = 5.0
    db_connect_timeout_s: float = 5.0
    db_startup_timeout_s: float = 30.0
    statement_timeout_ms: int = 10_000
    slow_query_ms: float = 500.0
    max_body_bytes: int = 1_048_576
    # POST /v1/imports: its own body limit and deadline (README "Import and export")
    import_max_bytes: int = 20 * 1_048_576
    import_timeout_s: float = 120.0
    # files above this many bytes are imported by a background job (202); 0: every file
    import_sync_max_bytes: int = 1_048_576
    jwt_secret: str = DEFAULT_JWT_SECRET
    access_token_ttl_s: int = 900
    refresh_token_idle_days: int = 30
    # the sync feed: change-log events kept this many days (README "Sync")
    sync_retention_days: int = 90
    login_max_failures: int = 5
    login_window_s: int = 900
    cors_origins: tuple[str, ...] = ()
    # Scale-out: behind a connection pooler, a read replica for statistics
    prepare_threshold: int | None = 0
    database_replica_url: str | None = None
    # rate limits (abuse limits, app/ratelimit.py): None is off
    rate_limit_register: RateLimit | None = RateLimit(5, 60)
    rate_limit_login: RateLimit | None = RateLimit(30, 60)
    rate_limit_refresh: RateLimit | None = RateLimit(60, 60)
    rate_limit_password_reset: RateLimit | None = RateLimit(5, 3600)
    rate_limit_writes: RateLimit | None = RateLimit(600, 60)
    rate_limit_stats: RateLimit | None = RateLimit(60, 60)
    rate_limit_password_reset_email: RateLimit | None = RateLimit(3, 3600)
    rate_limit_verify_email: RateLimit | None = RateLimit(5, 3600)
    rate_limit_timeout_ms: int = 250
    trusted_proxies: tuple[str, ...] = ()
    trusted_proxy_header: str = "x-forwarded-for"
    # ended logins: the connection that LISTENs for them (None: DATABASE_URL's server)
    database_listen_url: str | None = None
    # reliability: connections, deadlines, readiness and drain (README "Reliability")
    pool_max_waiting: int = 64
    http_max_connections: int = 1024
    http_header_timeout_s: float = 30.0
    http_body_timeout_s: float = 30.0
    ready_timeout_s: float = 0.8
    shutdown_drain_s: float = 5.0
    shutdown_timeout_s: float = 30.0
    # observability: the operator listener (metrics, detailed health), tracing
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9464
    otlp_endpoint: str | None = None
    # webhooks: private, loopback and link-local destinations (development and tests only)
    webhook_allow_private: bool = False
    # the background worker and email (README "Background worker", "Email")
    worker_concurrency: int = 10
    worker_host: str = "127.0.0.1"
    worker_port: int = 9465
    worker_stop_timeout_s: float = 20.0
    worker_stalled_after_s: float = 30.0
    serve_worker: bool = True
    smtp_url: str | None = None
    smtp_timeout_s: float = 30.0
    mail_from: str = "Kinetria <no-reply@localhost>"
    # the test suite's apps only, set in code (no environment variable): Argon2id with its
    # smallest parameters (app/core/passwords.py minimal_hasher)
    password_hash_minimal: bool = False

    def __repr__(self) -> str:  # never print the secret
        return f"Settings(env={self.env.value}, host={self.host}, port={self.port})"


class ConfigError(Exception):
    """Raised with every bad variable named, so one run shows all that needs fixing."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration: " + "; ".join(problems))


class Variable(NamedTuple):
    """A setting's environment variable: the Settings field it fills, how environs reads its
    text (`str`, `int`, `float`, `bool`, `list`), what it must be, and how a valid value
    becomes the field's (once every variable is valid). Its default is the field's own."""

    field: str
    name: str
    read: str = "str"
    check: Callable[[Any], Any] | None = None
    finish: Callable[[Any], Any] | None = None


def load_settings(*, read_dotenv: bool = True) -> Settings:
    """Read settings from the process environment (and `.env`); raise ConfigError naming
    every bad variable at once."""
    env = Env(eager=False)
    if read_dotenv:
        env.read_env(".env", recurse=False, override=False)
    defaults = {field.name: field.default for field in msgspec.structs.fields(Settings)}
    values: dict[str, Any] = {
        v.field: getattr(env, v.read)(v.name, defaults[v.field], validate=v.check)
        for v in VARIABLES
    }
    problems: list[str] = []
    try:
        env.seal()
    except EnvValidationError as exc:
        errors: dict[str, Any] = exc.error_messages  # pyright: ignore[reportAssignmentType]
        for name, messages in errors.items():
            problems.append(f"{name}: {' '.join(str(m) for m in _flatten(messages))}")
    problems += _inconsistencies(values)
    if problems:
        raise ConfigError(problems)
    for variable in VARIABLES:
        if variable.finish is not None:
            values[variable.field] = variable.finish(values[variable.field])
    return Settings(**values)


def _inconsistencies(values: dict[str, Any]) -> list[str]:
    """What is wrong with valid values together, or in production."""
    problems: list[str] = []
    sizes = (values["pool_min_size"], values["pool_max_size"])
    if all(isinstance(size, int) for size in sizes) and sizes[0] > sizes[1]:
        problems.append("DB_POOL_MIN_SIZE: must not exceed DB_POOL_MAX_SIZE")
    for name, key in (
        ("DATABASE_URL", "database_url"),
        ("DATABASE_LISTEN_URL", "database_listen_url"),
    ):
        if values[key] and not is_postgres_url(values[key]):
            problems.append(f"{name}: not a PostgreSQL URL (postgresql://user@host:5432/name)")
    if values["smtp_url"]:
        problem = smtp_url_problem(values["smtp_url"])
        if problem:
            problems.append(f"SMTP_URL: {problem}")
    if isinstance(values["mail_from"], str) and "@" not in values["mail_from"]:
        problems.append("MAIL_FROM: not an address (Name <user@example.com> or user@example.com)")
    if values["env"] == Environment.PRODUCTION:
        secret: str = values["jwt_secret"]
        if secret == DEFAULT_JWT_SECRET:
            problems.append("JWT_SECRET: must be set to a secret of your own in production")
        elif len(secret.encode()) < MIN_SECRET_BYTES:
            problems.append(f"JWT_SECRET: must be at least {MIN_SECRET_BYTES} bytes in production")
        if not values["database_url"]:
            problems.append("DATABASE_URL: required in production (no embedded database)")
        if values["webhook_allow_private"] is True:
            problems.append(
                "WEBHOOK_ALLOW_PRIVATE: must not be true in production (it lets webhooks "
                "reach private addresses)"
            )
    return problems


def _flatten(messages: Any) -> list[Any]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flatten(value)]  # pyright: ignore[reportUnknownVariableType]
    if isinstance(messages, list):
        return [m for value in messages for m in _flatten(value)]  # pyright: ignore[reportUnknownVariableType]
    return [messages]


def _rate(field: str, name: str) -> Variable:
    return Variable(field, name, check=check_rate_limit, finish=rate_limit)


_POSITIVE = Range(min=1)
_PORT = Range(min=0, max=65535)
_LOG_LEVELS = OneOf(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])

# The one field no environment variable sets (the test suite's cheap password hashing).
SET_IN_CODE = ("password_hash_minimal",)

# Every variable of the README's configuration table but PROMETHEUS_MULTIPROC_DIR and
# GIT_REVISION (read where they are used), in the order of Settings (but SET_IN_CODE).
VARIABLES: tuple[Variable, ...] = (
    Variable(
        "env", "KINETRIA_ENV", check=OneOf([e.value for e in Environment]), finish=Environment
    ),
    Variable("database_url", "DATABASE_URL", finish=none_if_empty),
    Variable("home", "KINETRIA_HOME", finish=Path),
    Variable("host", "HOST"),
    Variable("port", "PORT", "int", Range(min=1, max=65535)),
    Variable("workers", "WORKERS", "int", Range(min=1, max=64)),
    Variable("log_level", "LOG_LEVEL", check=_LOG_LEVELS),
    Variable("pool_min_size", "DB_POOL_MIN_SIZE", "int", _POSITIVE),
    Variable("pool_max_size", "DB_POOL_MAX_SIZE", "int", _POSITIVE),
    Variable("pool_timeout_s", "DB_POOL_TIMEOUT", "float", Range(min=0.01)),
    Variable("db_connect_timeout_s", "DB_CONNECT_TIMEOUT", "float", Range(min=0.1)),
    Variable("db_startup_timeout_s", "DB_STARTUP_TIMEOUT", "float", Range(min=0)),
    Variable("statement_timeout_ms", "DB_STATEMENT_TIMEOUT_MS", "int", Range(min=0)),
    Variable("slow_query_ms", "SLOW_QUERY_MS", "float", Range(min=0)),
    Variable("max_body_bytes", "MAX_BODY_BYTES", "int", Range(min=1024)),
    Variable("import_max_bytes", "IMPORT_MAX_BYTES", "int", Range(min=1024, max=1 << 30)),
    Variable("import_timeout_s", "IMPORT_TIMEOUT_S", "float", Range(min=1)),
    Variable("import_sync_max_bytes", "IMPORT_SYNC_MAX_BYTES", "int", Range(min=0, max=1 << 30)),
    Variable("jwt_secret", "JWT_SECRET"),
    Variable("access_token_ttl_s", "ACCESS_TOKEN_TTL_S", "int", Range(min=30, max=900)),
    Variable("refresh_token_idle_days", "REFRESH_TOKEN_IDLE_DAYS", "int", Range(min=1, max=365)),
    Variable("sync_retention_days", "SYNC_RETENTION_DAYS", "int", Range(min=1, max=36_500)),
    Variable("login_max_failures", "LOGIN_MAX_FAILURES", "int", _POSITIVE),
    Variable("login_window_s", "LOGIN_WINDOW_S", "int", _POSITIVE),
    Variable("cors_origins", "CORS_ALLOWED_ORIGINS", "list", finish=tuple),
    Variable(
        "prepare_threshold",
        "DB_PREPARE_THRESHOLD",
        check=check_prepare_threshold,
        finish=prepare_threshold,
    ),
    Variable("database_replica_url", "DATABASE_REPLICA_URL", finish=none_if_empty),
    _rate("rate_limit_register", "RATE_LIMIT_REGISTER"),
    _rate("rate_limit_login", "RATE_LIMIT_LOGIN"),
    _rate("rate_limit_refresh", "RATE_LIMIT_REFRESH"),
    _rate("rate_limit_password_reset", "RATE_LIMIT_PASSWORD_RESET"),
    _rate("rate_limit_writes", "RATE_LIMIT_WRITES"),
    _rate("rate_limit_stats", "RATE_LIMIT_STATS"),
    _rate("rate_limit_password_reset_email", "RATE_LIMIT_PASSWORD_RESET_EMAIL"),
    _rate("rate_limit_verify_email", "RATE_LIMIT_VERIFY_EMAIL"),
    Variable("rate_limit_timeout_ms", "RATE_LIMIT_TIMEOUT_MS", "int", _POSITIVE),
    Variable(
        "trusted_proxies",
        "TRUSTED_PROXIES",
        "list",
        check=check_networks,
        finish=networks,
    ),
    Variable(
        "trusted_proxy_header",
        "TRUSTED_PROXY_HEADER",
        check=check_proxy_header,
        finish=str.lower,
    ),
    # LISTEN needs a session of its own (not PgBouncer's transaction mode)
    Variable("database_listen_url", "DATABASE_LISTEN_URL", finish=none_if_empty),
    Variable("pool_max_waiting", "DB_POOL_MAX_WAITING", "int", Range(min=0)),
    Variable("http_max_connections", "HTTP_MAX_CONNECTIONS", "int", _POSITIVE),
    Variable("http_header_timeout_s", "HTTP_HEADER_TIMEOUT_S", "float", Range(min=0.1, max=3600)),
    Variable("http_body_timeout_s", "HTTP_BODY_TIMEOUT_S", "float", Range(min=0.1, max=3600)),
    Variable("ready_timeout_s", "READY_TIMEOUT_S", "float", Range(min=0.05, max=10)),
    Variable("shutdown_drain_s", "SHUTDOWN_DRAIN_S", "float", Range(min=0)),
    Variable("shutdown_timeout_s", "SHUTDOWN_TIMEOUT_S", "float", Range(min=0.1)),
    Variable("metrics_host", "METRICS_HOST"),
    Variable("metrics_port", "METRICS_PORT", "int", _PORT),
    Variable("otlp_endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT", finish=none_if_empty),
    Variable("webhook_allow_private", "WEBHOOK_ALLOW_PRIVATE", "bool"),
    Variable("worker_concurrency", "WORKER_CONCURRENCY", "int", Range(min=1, max=200)),
    Variable("worker_host", "WORKER_HOST"),
    Variable("worker_port", "WORKER_PORT", "int", _PORT),
    Variable("worker_stop_timeout_s", "WORKER_STOP_TIMEOUT_S", "float", Range(min=0)),
    Variable("worker_stalled_after_s", "WORKER_STALLED_AFTER_S", "float", Range(min=5, max=3600)),
    Variable("serve_worker", "SERVE_WORKER", "bool"),
    Variable("smtp_url", "SMTP_URL", finish=none_if_empty),
    Variable("smtp_timeout_s", "SMTP_TIMEOUT_S", "float", Range(min=0.1, max=600)),
    Variable("mail_from", "MAIL_FROM"),
)
