"""Rate limits (abuse limits), kept in PostgreSQL so that every worker and replica shares
them, like login throttling (app/throttle.py).

Each policy allows `quota` requests per `window_s` seconds (settings `RATE_LIMIT_<NAME>`):

* per client address (app/core/client_address.py; an IPv6 client counts by its /64, which
  one host can fill with addresses): `register`, `login`, `refresh`, `password_reset`;
* per user: `writes` (every non-GET route that needs an access token) and `stats` (every
  `/v1/stats` route), `verify_email` (resending the verification email);
* per email address (the SHA-256 of the lower-cased address, never the address itself):
  `password_reset_email`, counted by the route with `RateLimiter.count`, whether or not the
  address has an account.

A route takes a per-address policy with `opt=rate_limited("password_reset")` (the stats
router does the same with `stats`); writes are found by method. A limited request counts
itself with one upsert (queries/ratelimit/hit.sql) on the request's own connection, before its
handler runs; past the quota it is answered 429 `rate_limited` with `Retry-After` and the
`RateLimit-Policy` / `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers-12
(`"writes";q=600;w=60` and `"writes";r=0;t=12`), which every limited response carries.

The limiter fails open: when its query fails or takes longer than `RATE_LIMIT_TIMEOUT_MS`
(the table missing, locked or unreadable), the request goes on unlimited and the failure is
logged (at most every ten seconds per process, with the count of those not logged).
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import time
from collections.abc import Callable
from typing import Any, Literal

import msgspec
import psycopg
from litestar import Request
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Message, Scope
from psycopg_pool import AsyncConnectionPool

from app.core.client_address import ClientAddresses, parse_address
from app.core.config import RateLimit, Settings
from app.core.db import Db
from app.core.errors import TooManyRequests
from app.core.metrics import count_rate_limit_refusal

log = logging.getLogger("kinetria.ratelimit")

OPT = "rate_limit"  # a handler's (or router's) opt naming its policy
PER_ADDRESS = ("register", "login", "refresh", "password_reset")
PER_USER = ("writes", "stats", "verify_email")
PER_EMAIL = ("password_reset_email",)
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_POLICY = "_rate_limit_policy"  # the resolved policy, cached in the handler's opt
_STATE = "rate_limit"  # scope state: the fields for the response
PRUNE_EVERY = 1000  # checks per process between two deletions of expired windows
LOG_EVERY_S = 10.0


def rate_limited(policy: str) -> dict[str, str]:
    """The `opt` entry that puts a route under `policy` (one of PER_ADDRESS or PER_USER)."""
    assert policy in PER_ADDRESS or policy in PER_USER, policy
    return {OPT: policy}


def email_subject(email: str) -> str:
    """What an email address counts as: the SHA-256 (hex) of its lower-cased form."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


class RateLimitHit(msgspec.Struct):
    hits: int
    reset_s: int


class Policy(msgspec.Struct, frozen=True):
    name: str
    per: Literal["address", "user", "email"]
    quota: int
    window_s: int
    header: str  # the RateLimit-Policy field

    def fields(self, remaining: int, reset_s: int) -> dict[str, str]:
        return {
            "RateLimit-Policy": self.header,
            "RateLimit": f'"{self.name}";r={remaining};t={reset_s}',
        }


def _policy(name: str, limit: RateLimit | None) -> Policy | None:
    if limit is None:
        return None
    return Policy(
        name=name,
        per="address" if name in PER_ADDRESS else "email" if name in PER_EMAIL else "user",
        quota=limit.quota,
        window_s=limit.window_s,
        header=f'"{name}";q={limit.quota};w={limit.window_s}',
    )


def address_key(address: str) -> str:
    """What a client address counts as: itself, or its /64 for IPv6."""
    parsed = parse_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed) if parsed is not None else address[:64] or "unknown"


class RateLimiter:
    """The policies of one app, and the check its requests go through."""

    def __init__(self, settings: Settings, addresses: ClientAddresses) -> None:
        limits = {
            "register": settings.rate_limit_register,
            "login": settings.rate_limit_login,
            "refresh": settings.rate_limit_refresh,
            "password_reset": settings.rate_limit_password_reset,
            "writes": settings.rate_limit_writes,
            "stats": settings.rate_limit_stats,
            "verify_email": settings.rate_limit_verify_email,
            "password_reset_email": settings.rate_limit_password_reset_email,
        }
        assert set(limits) == {*PER_ADDRESS, *PER_USER, *PER_EMAIL}
        self.policies = {name: _policy(name, limit) for name, limit in limits.items()}
        self.addresses = addresses
        self.timeout_s = settings.rate_limit_timeout_ms / 1000
        self._checks = 0
        self._unlogged_failures = 0
        self._logged_at = -LOG_EVERY_S

    def policy_of(self, handler: BaseRouteHandler) -> Policy | None:
        """The handler's policy: named in its opt, else `writes` for a non-GET route that
        needs a token, else none. Resolved once per handler."""
        opt = handler.opt
        if _POLICY not in opt:
            name = opt.get(OPT)
            methods: set[str] = getattr(handler, "http_methods", set()) or set()
            if name is None and not opt.get("public") and methods and not methods <= _READS:
                name = "writes"
            opt[_POLICY] = self.policies[name] if name is not None else None
        return opt[_POLICY]

    async def check(self, db: Db, request: Request[Any, Any, Any]) -> None:
        """Count the request against its route's policy, if any; 429 past the quota."""
        policy = self.policy_of(request.route_handler)
        if policy is None:
            return
        scope = request.scope
        if policy.per == "user":
            subject = str(scope["state"]["user"].id)
        else:
            subject = address_key(self.addresses.of(scope))
        remaining = await self._hit(db, policy, subject)
        if remaining is not None:
            scope["state"][_STATE] = policy.fields(*remaining)

    async def count(self, db: Db, name: str, subject: str) -> None:
        """Count one request of `subject` against the policy `name` (one of PER_EMAIL, whose
        routes count themselves); 429 past the quota. Nothing when the policy is off."""
        assert name in PER_EMAIL, name
        policy = self.policies[name]
        if policy is not None:
            await self._hit(db, policy, subject)

    async def _hit(self, db: Db, policy: Policy, subject: str) -> tuple[int, int] | None:
        """Count one request; 429 past the quota, else (remaining, reset_s), or None when
        the limiter failed (the request goes on)."""
        try:
            async with asyncio.timeout(self.timeout_s):
                hit = await db.one(
                    "ratelimit/hit",
                    RateLimitHit,
                    policy=policy.name,
                    subject=subject,
                    window_s=policy.window_s,
                )
                self._checks += 1
                if self._checks % PRUNE_EVERY == 0:
                    await db.execute("ratelimit/prune")
        except (psycopg.Error, TimeoutError) as exc:
            self._failed(policy, exc)
            return None
        assert hit is not None
        if hit.hits > policy.quota:
            count_rate_limit_refusal(policy.name)
            raise TooManyRequests(
                "rate_limited",
                f"Too many requests ({policy.name}: {policy.quota} per {policy.window_s} s); "
                f"try again in {hit.reset_s} seconds",
                headers={"Retry-After": str(hit.reset_s), **policy.fields(0, hit.reset_s)},
            )
        return policy.quota - hit.hits, hit.reset_s

    async def check_on_primary(
        self,
        pool: AsyncConnectionPool[Any],
        request: Request[Any, Any, Any],
        db_of: Callable[[psycopg.AsyncConnection[Any]], Db],
    ) -> None:
        """`check` for a request whose own connection is a read replica's: on a connection of
        the primary's pool, waited for no longer than the check itself."""
        policy = self.policy_of(request.route_handler)
        if policy is None:
            return
        try:
            async with pool.connection(timeout=self.timeout_s) as conn:
                await self.check(db_of(conn), request)
        except psycopg.OperationalError as exc:  # PoolTimeout, or the primary is gone
            self._failed(policy, exc)

    def _failed(self, policy: Policy, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._logged_at < LOG_EVERY_S:
            self._unlogged_failures += 1
            return
        log.warning(
            "rate limit check failed; request let through",
            extra={
                "policy": policy.name,
                "reason": type(exc).__name__,
                "detail": str(exc).strip().splitlines()[0] if str(exc).strip() else "",
                "failures_not_logged": self._unlogged_failures,
            },
        )
        self._logged_at = now
        self._unlogged_failures = 0


async def add_rate_limit_fields(message: Message, scope: Scope) -> None:
    """`before_send` hook: the `RateLimit-Policy` and `RateLimit` fields on every response of
    a limited route that was let through (a 429 has them already)."""
    if message["type"] != "http.response.start":
        return
    fields: dict[str, str] | None = scope.get("state", {}).get(_STATE)
    if not fields:
        return
    headers: list[Any] = list(message.get("headers", ()))
    headers.extend((name.lower().encode(), value.encode()) for name, value in fields.items())
    message["headers"] = headers
