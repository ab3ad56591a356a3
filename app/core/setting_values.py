"""The values of the settings' variables: their checks (a ValidationError names what is
wrong) and their conversions into what `Settings` holds (app/core/config.py)."""

from __future__ import annotations

import ipaddress
import re

import msgspec
from marshmallow import ValidationError


class RateLimit(msgspec.Struct, frozen=True):
    """A rate-limit policy's quota: at most `quota` requests per `window_s` seconds."""

    quota: int
    window_s: int


def none_if_empty(text: str | None) -> str | None:
    return text or None


def rate_limit(value: str | RateLimit) -> RateLimit | None:
    return parse_rate_limit(value) if isinstance(value, str) else value


def prepare_threshold(value: str | int) -> int | None:
    """psycopg's `prepare_threshold`: a count of executions, or None (never prepare) for
    empty or `none`."""
    if isinstance(value, int):
        return value
    text = value.strip()
    return None if text.lower() in ("", "none") else int(text)


def check_prepare_threshold(text: str) -> None:
    text = text.strip()
    if text.lower() not in ("", "none") and not text.isdigit():
        raise ValidationError(
            f"must be a whole number of executions (0 prepares at once) or none, got {text!r}"
        )


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


# rate limits (abuse limits, app/ratelimit.py): `QUOTA/WINDOW_S` or `off`
RATE_LIMIT_FORMAT = re.compile(r"^\s*(\d{1,9})\s*/\s*(\d{1,6})\s*$")


def parse_rate_limit(text: str) -> RateLimit | None:
    """`600/60` (600 requests per 60 seconds) as a RateLimit, `off` as None."""
    if text.strip().lower() == "off":
        return None
    match = RATE_LIMIT_FORMAT.match(text)
    if match is None or int(match[1]) < 1 or not 1 <= int(match[2]) <= 86_400:
        raise ValueError(text)
    return RateLimit(int(match[1]), int(match[2]))


def check_rate_limit(text: str) -> None:
    try:
        parse_rate_limit(text)
    except ValueError:
        raise ValidationError(
            "must be QUOTA/WINDOW_S (requests per seconds, e.g. 600/60; quota at least 1, "
            "window 1 to 86400) or off"
        ) from None


def check_proxy_header(name: str) -> None:
    if name.lower() not in ("x-forwarded-for", "forwarded"):
        raise ValidationError("must be X-Forwarded-For or Forwarded")


def check_networks(networks: list[str]) -> None:
    for network in networks:
        if not network.strip():
            continue  # a trailing comma
        try:
            ipaddress.ip_network(network.strip(), strict=False)
        except ValueError:
            raise ValidationError(
                f"{network!r} is not an IP address or CIDR network (e.g. 10.0.0.0/8)"
            ) from None


def is_postgres_url(url: str) -> bool:
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    if not url.startswith(("postgresql://", "postgres://")):
        return False
    try:
        conninfo_to_dict(url)
    except ProgrammingError:
        return False
    return True


def networks(networks: list[str]) -> tuple[str, ...]:
    return tuple(n.strip() for n in networks if n.strip())
