"""Configuration: environment variables (and `.env`), parsed once into a frozen Struct."""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from pathlib import Path
from typing import Any

import msgspec
from environs import Env, EnvValidationError
from marshmallow import ValidationError
from marshmallow.validate import OneOf, Range

DEFAULT_JWT_SECRET = "dev-only-insecure-secret-change-me-in-production"
MIN_SECRET_BYTES = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class RateLimit(msgspec.Struct, frozen=True):
    """A rate-limit policy's quota: at most `quota` requests per `window_s` seconds."""

    quota: int
    window_s: int


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


def load_settings(*, read_dotenv: bool = True) -> Settings:
    """Read settings from the process environment (and `.env`); raise ConfigError naming
    every bad variable at once."""
    env = Env(eager=False)
    if read_dotenv:
        env.read_env(".env", recurse=False, override=False)
    positive = Range(min=1)
    values: dict[str, Any] = {
        "env": env.str(
            "KINETRIA_ENV", "development", validate=OneOf([e.value for e in Environment])
        ),
        "database_url": env.str("DATABASE_URL", "") or None,
        "home": Path(env.str("KINETRIA_HOME", ".kinetria")),
        "host": env.str("HOST", "127.0.0.1"),
        "port": env.int("PORT", 8000, validate=Range(min=1, max=65535)),
        "workers": env.int("WORKERS", 1, validate=Range(min=1, max=64)),
        "log_level": env.str(
            "LOG_LEVEL", "INFO", validate=OneOf(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
        ),
        "pool_min_size": env.int("DB_POOL_MIN_SIZE", 2, validate=positive),
        "pool_max_size": env.int("DB_POOL_MAX_SIZE", 10, validate=positive),
        "pool_timeout_s": env.float("DB_POOL_TIMEOUT", 5.0, validate=Range(min=0.01)),
        "db_connect_timeout_s": env.float("DB_CONNECT_TIMEOUT", 5.0, validate=Range(min=0.1)),
        "db_startup_timeout_s": env.float("DB_STARTUP_TIMEOUT", 30.0, validate=Range(min=0)),
        "statement_timeout_ms": env.int("DB_STATEMENT_TIMEOUT_MS", 10_000, validate=Range(min=0)),
        "slow_query_ms": env.float("SLOW_QUERY_MS", 500.0, validate=Range(min=0)),
        "max_body_bytes": env.int("MAX_BODY_BYTES", 1_048_576, validate=Range(min=1024)),
        "import_max_bytes": env.int(
            "IMPORT_MAX_BYTES", 20 * 1_048_576, validate=Range(min=1024, max=1 << 30)
        ),
        "import_timeout_s": env.float("IMPORT_TIMEOUT_S", 120.0, validate=Range(min=1)),
        "import_sync_max_bytes": env.int(
            "IMPORT_SYNC_MAX_BYTES", 1_048_576, validate=Range(min=0, max=1 << 30)
        ),
        "jwt_secret": env.str("JWT_SECRET", DEFAULT_JWT_SECRET),
        "access_token_ttl_s": env.int("ACCESS_TOKEN_TTL_S", 900, validate=Range(min=30, max=900)),
        "refresh_token_idle_days": env.int(
            "REFRESH_TOKEN_IDLE_DAYS", 30, validate=Range(min=1, max=365)
        ),
        "sync_retention_days": env.int(
            "SYNC_RETENTION_DAYS", 90, validate=Range(min=1, max=36_500)
        ),
        "login_max_failures": env.int("LOGIN_MAX_FAILURES", 5, validate=positive),
        "login_window_s": env.int("LOGIN_WINDOW_S", 900, validate=positive),
        "cors_origins": tuple(env.list("CORS_ALLOWED_ORIGINS", [])),
        # Scale-out: behind a connection pooler, a read replica for statistics
        "database_replica_url": env.str("DATABASE_REPLICA_URL", "") or None,
        # rate limits (abuse limits, app/ratelimit.py)
        **{
            f"rate_limit_{name}": env.str(
                f"RATE_LIMIT_{name.upper()}", default, validate=_check_rate_limit
            )
            for name, default in RATE_LIMIT_DEFAULTS.items()
        },
        "rate_limit_timeout_ms": env.int("RATE_LIMIT_TIMEOUT_MS", 250, validate=positive),
        "trusted_proxies": env.list("TRUSTED_PROXIES", [], validate=_check_networks),  # pyright: ignore[reportArgumentType]
        "trusted_proxy_header": env.str(
            "TRUSTED_PROXY_HEADER", "x-forwarded-for", validate=_check_proxy_header
        ),
        # ended logins: LISTEN needs a session of its own (not PgBouncer's transaction mode)
        "database_listen_url": env.str("DATABASE_LISTEN_URL", "") or None,
        # reliability: connections, deadlines, readiness and drain (README "Reliability")
        "pool_max_waiting": env.int("DB_POOL_MAX_WAITING", 64, validate=Range(min=0)),
        "http_max_connections": env.int("HTTP_MAX_CONNECTIONS", 1024, validate=positive),
        "http_header_timeout_s": env.float(
            "HTTP_HEADER_TIMEOUT_S", 30.0, validate=Range(min=0.1, max=3600)
        ),
        "http_body_timeout_s": env.float(
            "HTTP_BODY_TIMEOUT_S", 30.0, validate=Range(min=0.1, max=3600)
        ),
        "ready_timeout_s": env.float("READY_TIMEOUT_S", 0.8, validate=Range(min=0.05, max=10)),
        "shutdown_drain_s": env.float("SHUTDOWN_DRAIN_S", 5.0, validate=Range(min=0)),
        "shutdown_timeout_s": env.float("SHUTDOWN_TIMEOUT_S", 30.0, validate=Range(min=0.1)),
        # observability: the operator listener (metrics, detailed health), tracing
        "metrics_host": env.str("METRICS_HOST", "127.0.0.1"),
        "metrics_port": env.int("METRICS_PORT", 9464, validate=Range(min=0, max=65535)),
        "otlp_endpoint": env.str("OTEL_EXPORTER_OTLP_ENDPOINT", "") or None,
        # webhooks: private, loopback and link-local destinations (development and tests only)
        "webhook_allow_private": env.bool("WEBHOOK_ALLOW_PRIVATE", False),
        # the background worker and email (README "Background worker", "Email")
        "worker_concurrency": env.int("WORKER_CONCURRENCY", 10, validate=Range(min=1, max=200)),
        "worker_host": env.str("WORKER_HOST", "127.0.0.1"),
        "worker_port": env.int("WORKER_PORT", 9465, validate=Range(min=0, max=65535)),
        "worker_stop_timeout_s": env.float("WORKER_STOP_TIMEOUT_S", 20.0, validate=Range(min=0)),
        "worker_stalled_after_s": env.float(
            "WORKER_STALLED_AFTER_S", 30.0, validate=Range(min=5, max=3600)
        ),
        "serve_worker": env.bool("SERVE_WORKER", True),
        "smtp_url": env.str("SMTP_URL", "") or None,
        "smtp_timeout_s": env.float("SMTP_TIMEOUT_S", 30.0, validate=Range(min=0.1, max=600)),
        "mail_from": env.str("MAIL_FROM", "Kinetria <no-reply@localhost>"),
    }
    problems: list[str] = []
    prepare_threshold = _prepare_threshold(env.str("DB_PREPARE_THRESHOLD", "0"))
    if isinstance(prepare_threshold, str):
        problems.append(f"DB_PREPARE_THRESHOLD: {prepare_threshold}")
    else:
        values["prepare_threshold"] = prepare_threshold
    try:
        env.seal()
    except EnvValidationError as exc:
        errors: dict[str, Any] = exc.error_messages  # pyright: ignore[reportAssignmentType]
        for name, messages in errors.items():
            problems.append(f"{name}: {' '.join(str(m) for m in _flatten(messages))}")
    sizes = (values["pool_min_size"], values["pool_max_size"])
    if all(isinstance(size, int) for size in sizes) and sizes[0] > sizes[1]:
        problems.append("DB_POOL_MIN_SIZE: must not exceed DB_POOL_MAX_SIZE")
    for name, key in (
        ("DATABASE_URL", "database_url"),
        ("DATABASE_LISTEN_URL", "database_listen_url"),
    ):
        if values[key] and not _is_postgres_url(values[key]):
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
    if problems:
        raise ConfigError(problems)
    values["env"] = Environment(values["env"])
    for name in RATE_LIMIT_DEFAULTS:
        values[f"rate_limit_{name}"] = parse_rate_limit(values[f"rate_limit_{name}"])
    values["trusted_proxy_header"] = values["trusted_proxy_header"].lower()
    values["trusted_proxies"] = tuple(n.strip() for n in values["trusted_proxies"] if n.strip())
    return Settings(**values)


SMTP_STARTTLS = ("auto", "required", "off")


def smtp_url_problem(url: str) -> str | None:
    """What is wrong with an SMTP_URL, or None: smtp://[user:password@]host[:port][?starttls=
    auto|required|off] or smtps://[user:password@]host[:port] (TLS from the first byte)."""
    from urllib.parse import parse_qs, urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"not a URL ({exc})"
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        return "must be smtp://[user:password@]host[:port] or smtps://..."
    if port == 0:
        return "port 0"
    query = parse_qs(parts.query)
    unknown = set(query) - {"starttls"}
    if unknown:
        return f"unknown parameter {sorted(unknown)[0]!r} (only starttls)"
    starttls = query.get("starttls", ["auto"])[-1]
    if starttls not in SMTP_STARTTLS:
        return "starttls must be auto, required or off"
    if parts.scheme == "smtps" and "starttls" in query:
        return "starttls applies to smtp:// only (smtps:// is TLS from the start)"
    return None


def _prepare_threshold(text: str) -> int | str | None:
    """psycopg's `prepare_threshold`: a count of executions, or None (never prepare) for
    empty or `none`; a string says what is wrong."""
    text = text.strip()
    if text.lower() in ("", "none"):
        return None
    if not text.isdigit():
        return f"must be a whole number of executions (0 prepares at once) or none, got {text!r}"
    return int(text)


# rate limits (abuse limits, app/ratelimit.py): `QUOTA/WINDOW_S` or `off`
RATE_LIMIT_DEFAULTS = {
    "register": "5/60",
    "login": "30/60",
    "refresh": "60/60",
    "password_reset": "5/3600",
    "writes": "600/60",
    "stats": "60/60",
    "password_reset_email": "3/3600",
    "verify_email": "5/3600",
}
_RATE_LIMIT = re.compile(r"^\s*(\d{1,9})\s*/\s*(\d{1,6})\s*$")


def parse_rate_limit(text: str) -> RateLimit | None:
    """`600/60` (600 requests per 60 seconds) as a RateLimit, `off` as None."""
    if text.strip().lower() == "off":
        return None
    match = _RATE_LIMIT.match(text)
    if match is None or int(match[1]) < 1 or not 1 <= int(match[2]) <= 86_400:
        raise ValueError(text)
    return RateLimit(int(match[1]), int(match[2]))


def _check_rate_limit(text: str) -> None:
    try:
        parse_rate_limit(text)
    except ValueError:
        raise ValidationError(
            "must be QUOTA/WINDOW_S (requests per seconds, e.g. 600/60; quota at least 1, "
            "window 1 to 86400) or off"
        ) from None


def _check_proxy_header(name: str) -> None:
    if name.lower() not in ("x-forwarded-for", "forwarded"):
        raise ValidationError("must be X-Forwarded-For or Forwarded")


def _check_networks(networks: list[str]) -> None:
    for network in networks:
        if not network.strip():
            continue  # a trailing comma
        try:
            ipaddress.ip_network(network.strip(), strict=False)
        except ValueError:
            raise ValidationError(
                f"{network!r} is not an IP address or CIDR network (e.g. 10.0.0.0/8)"
            ) from None


def _is_postgres_url(url: str) -> bool:
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    if not url.startswith(("postgresql://", "postgres://")):
        return False
    try:
        conninfo_to_dict(url)
    except ProgrammingError:
        return False
    return True


def _flatten(messages: Any) -> list[Any]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flatten(value)]  # pyright: ignore[reportUnknownVariableType]
    if isinstance(messages, list):
        return [m for value in messages for m in _flatten(value)]  # pyright: ignore[reportUnknownVariableType]
    return [messages]
