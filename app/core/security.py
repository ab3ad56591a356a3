"""Access tokens, the deny-by-default guard and the security headers.

Every route needs a valid access token unless its handler is marked `opt={"public": True}`.
Access tokens are short-lived HS256 JWTs (OWASP JWT cheat sheet): the algorithm is pinned,
and `iss`, `aud`, `sub`, `exp`, `iat`, `jti` and the token type `typ` are all required and
checked. `sid` names the login (refresh-token family) the token was issued for.

The same guard takes personal API keys (`Bearer kin_<key id>_<secret>`, app/api_keys.py):
verified once per process against the stored SHA-256 and remembered until the key expires
(as access tokens are), admitted by the LoginGate like a login whose id is the key id (so a
revoked key is refused at once in every process), limited by its scopes (`read`: GET and
HEAD; `write`: every method) and never allowed on the routes that manage the account, its
logins, keys or webhooks (`key_may_call`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import math
import re
import time
import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

import jwt
import msgspec
import psycopg
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Message, Scope

from app.core.config import Settings
from app.core.db import Db, Queries
from app.core.errors import Forbidden, Unauthorized
from app.core.metrics import Metrics

log = logging.getLogger("kinetria.security")

ISSUER = "kinetria"
AUDIENCE = "kinetria-api"
ACCESS_TOKEN_TYPE = "access"
ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti", "typ"]
_INVALID = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class CurrentUser(msgspec.Struct, frozen=True):
    id: UUID
    # The login (refresh-token family) the access token was issued for, when it has one;
    # with an API key, the key's id.
    login_id: UUID | None = None
    # True when the request came with a personal API key rather than an access token.
    api_key: bool = False


def issue_access_token(settings: Settings, user_id: UUID, login_id: UUID | None = None) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "iat": now,
        "exp": now + settings.access_token_ttl_s,
        "jti": uuid.uuid4().hex,
        "typ": ACCESS_TOKEN_TYPE,
    }
    if login_id is not None:
        claims["sid"] = str(login_id)
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def decode_access_token(settings: Settings, token: str) -> CurrentUser:
    return _verify_access_token(settings, token)[0]


def _verify_access_token(settings: Settings, token: str) -> tuple[CurrentUser, int]:
    """The token's user and expiry (epoch seconds), or 401."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": _REQUIRED_CLAIMS},
        )
        if claims.get("typ") != ACCESS_TOKEN_TYPE:
            raise jwt.InvalidTokenError("not an access token")
        for name in ("sub", "jti"):
            if not isinstance(claims[name], str):
                raise jwt.InvalidTokenError(f"{name} is not a string")
        sid = claims.get("sid")
        if sid is not None and not isinstance(sid, str):
            raise jwt.InvalidTokenError("sid is not a string")
        user = CurrentUser(id=UUID(claims["sub"]), login_id=UUID(sid) if sid else None)
        return user, int(claims["exp"])
    except jwt.ExpiredSignatureError:
        raise Unauthorized(
            "token_expired", "The access token has expired", headers=_INVALID
        ) from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise Unauthorized(
            "invalid_token", "The access token is not valid", headers=_INVALID
        ) from None


class AccessTokenVerifier:
    """Verifies access tokens, remembering the ones it has verified until they expire.

    A client sends the same token on every request for its whole (short) life, so verifying
    its signature and claims once is enough; a different or altered token is a different key.
    """

    def __init__(
        self, settings: Settings, capacity: int = 4096, *, metrics: Metrics | None = None
    ) -> None:
        self._settings = settings
        self._capacity = capacity
        self._verified: dict[str, tuple[CurrentUser, int]] = {}
        self._metrics = metrics

    def verify(self, token: str) -> CurrentUser:
        remembered = self._verified.get(token)
        if remembered is not None:
            user, expires_at = remembered
            if time.time() < expires_at:
                if self._metrics is not None:
                    self._metrics.token_hits += 1
                return user
            del self._verified[token]
        if self._metrics is not None:
            self._metrics.token_misses += 1
        user, expires_at = _verify_access_token(self._settings, token)
        if len(self._verified) >= self._capacity:
            self._verified.pop(next(iter(self._verified)))  # the oldest
        self._verified[token] = (user, expires_at)
        return user


# --- personal API keys -------------------------------------------------------------------

API_KEY_PREFIX = "kin_"
# kin_ + the key id (32 lower-case hex digits) + _ + 32 random bytes in base64url (43 chars)
_API_KEY = re.compile(r"kin_([0-9a-f]{32})_[A-Za-z0-9_-]{43}")
_BAD_KEY = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
# Routes no key may call, whatever its scopes: the account, its logins, keys and audit
# history, authentication, webhooks (a subscription sends the user's data elsewhere). A new
# route under these prefixes is refused to keys until it is listed in KEY_ALLOWED.
KEY_FORBIDDEN_PREFIXES = ("/v1/me", "/v1/auth", "/v1/webhooks")
# ...except these reads: the profile and the export of one's own training data.
KEY_ALLOWED = frozenset({("GET", "/v1/me"), ("GET", "/v1/me/export")})
READ_METHODS = frozenset({"GET", "HEAD"})
TOUCH_EVERY_S = 60.0  # last_used_at is written at most this often per key and process


@functools.lru_cache(maxsize=1024)  # route paths: a few hundred at most
def key_may_call(method: str, path: str) -> bool:
    """Whether an API key (with the scope the method needs) may call `method path` (a route
    path, with or without its parameters' types)."""
    method = "GET" if method.upper() == "HEAD" else method.upper()
    if (method, path) in KEY_ALLOWED:
        return True
    return not any(path == p or path.startswith(p + "/") for p in KEY_FORBIDDEN_PREFIXES)


def scope_needed(method: str) -> str:
    return "read" if method.upper() in READ_METHODS else "write"


class StoredApiKey(msgspec.Struct):
    user_id: UUID
    key_hash: bytes
    scopes: list[str]
    expires_at: datetime | None


class VerifiedKey(msgspec.Struct, frozen=True):
    user: CurrentUser  # login_id: the key's id
    scopes: frozenset[str]
    expires_at: float  # epoch seconds; inf: never
    # What the LoginGate knows the key by: the first 16 bytes of its SHA-256, as a UUID. It
    # names this very key (not just its id, which a new key may take once this one is
    # revoked); revoking it notifies the same value (queries/api_keys/revoke.sql).
    gate_id: UUID


class ApiKeyVerifier:
    """Verifies API keys, remembering the ones it has verified until they expire (a client
    sends the same key on every request). Revocation is the LoginGate's: a remembered key
    is still admitted only while it stands there."""

    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._verified: dict[str, VerifiedKey] = {}
        self._touched: dict[UUID, float] = {}  # key id -> monotonic time last_used_at was set

    def remembered(self, key: str) -> VerifiedKey | None:
        """The key as verified before (None: not yet), or 401 `token_expired` once it has
        expired. No await on this path: it is every request's."""
        verified = self._verified.get(key)
        if verified is not None and time.time() >= verified.expires_at:
            raise Unauthorized("token_expired", "The API key has expired", headers=_BAD_KEY)
        return verified

    async def verify(
        self, key: str, *, pool: Any, queries: Queries, slow_query_ms: float
    ) -> VerifiedKey:
        """The key's user and scopes (asking the database the first time), or 401."""
        verified = self.remembered(key)
        if verified is None:
            verified = await self._look_up(key, pool, queries, slow_query_ms)
            if len(self._verified) >= self._capacity:
                self._verified.pop(next(iter(self._verified)))  # the oldest
            self._verified[key] = verified
            verified = self.remembered(key)
            assert verified is not None
        return verified

    async def _look_up(
        self, key: str, pool: Any, queries: Queries, slow_query_ms: float
    ) -> VerifiedKey:
        invalid = Unauthorized("invalid_token", "The API key is not valid", headers=_BAD_KEY)
        match = _API_KEY.fullmatch(key)
        if match is None:
            raise invalid
        key_id = UUID(match.group(1))
        async with pool.connection() as conn:
            stored = await Db(conn, queries, slow_query_ms).one(
                "api_keys/verify", StoredApiKey, key_id=key_id
            )
        digest = hashlib.sha256(key.encode("utf-8")).digest()
        if stored is None or not hmac.compare_digest(digest, stored.key_hash):
            raise invalid
        return VerifiedKey(
            user=CurrentUser(id=stored.user_id, login_id=key_id, api_key=True),
            scopes=frozenset(stored.scopes),
            expires_at=stored.expires_at.timestamp() if stored.expires_at else math.inf,
            gate_id=UUID(bytes=digest[:16]),
        )

    def due(self, key_id: UUID) -> bool:
        """Whether the key's last_used_at is to be written now: at most once every
        TOUCH_EVERY_S per key in this process (the SQL skips it within a minute too)."""
        now = time.monotonic()
        if now - self._touched.get(key_id, -math.inf) < TOUCH_EVERY_S:
            return False
        if len(self._touched) >= self._capacity:
            self._touched.clear()
        self._touched[key_id] = now
        return True

    async def touch(
        self, key_id: UUID, *, user_id: UUID, pool: Any, queries: Queries, slow_query_ms: float
    ) -> None:
        """Set the key's last_used_at (call it when `due`)."""
        try:
            async with pool.connection() as conn:
                await Db(conn, queries, slow_query_ms).execute(
                    "api_keys/touch", key_id=key_id, user_id=user_id
                )
        except psycopg.Error as exc:  # only a note of use: the request goes on
            log.warning("could not record an API key's use", extra={"error": type(exc).__name__})


def _check_key_may_call(scope: Any, scopes: frozenset[str]) -> None:
    method: str = scope.get("method", "GET")
    path: str = scope.get("path_template") or scope.get("path", "")
    if not key_may_call(method, path):
        raise Forbidden(
            "insufficient_scope",
            "An API key cannot manage the account, its logins, keys or webhooks: "
            "use an access token",
            headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
        )
    needed = scope_needed(method)
    if needed not in scopes and "write" not in scopes:
        raise Forbidden(
            "insufficient_scope",
            f"This API key lacks the `{needed}` scope",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'},
        )


async def _admit_api_key(connection: ASGIConnection[Any, Any, Any, Any], key: str) -> CurrentUser:
    state = connection.app.state
    verifier: ApiKeyVerifier = state.api_key_verifier
    pool, queries, slow_query_ms = state.pool, state.queries, state.settings.slow_query_ms
    verified = verifier.remembered(key) or await verifier.verify(
        key, pool=pool, queries=queries, slow_query_ms=slow_query_ms
    )
    user = verified.user
    key_id = user.login_id
    assert key_id is not None
    # revoked means revoked: the gate hears of revoked keys as of ended logins
    await state.login_gate.admit(
        user_id=user.id,
        login_id=verified.gate_id,
        key_id=key_id,
        pool=pool,
        queries=queries,
        slow_query_ms=slow_query_ms,
    )
    _check_key_may_call(connection.scope, verified.scopes)
    if verifier.due(key_id):
        await verifier.touch(
            key_id, user_id=user.id, pool=pool, queries=queries, slow_query_ms=slow_query_ms
        )
    return user


async def require_access_token(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    # async on purpose: Litestar runs a sync guard in a worker thread, per request
    if handler.opt.get("public") or connection.scope.get("method") == "OPTIONS":
        return  # OPTIONS (a CORS preflight too) only tells the methods of a path
    authorization = connection.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "missing_token",
            "This route needs an access token: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = token.strip()
    if token.startswith(API_KEY_PREFIX):
        connection.scope["state"]["user"] = await _admit_api_key(connection, token)
        return
    state = connection.app.state
    verifier: AccessTokenVerifier = state.token_verifier
    user = verifier.verify(token)
    # ended means ended: a login or account that ended is refused at once (one query per
    # login and process; the gate hears of ended logins through LISTEN/NOTIFY)
    await state.login_gate.admit(
        user_id=user.id,
        login_id=user.login_id,
        pool=state.pool,
        queries=state.queries,
        slow_query_ms=state.settings.slow_query_ms,
    )
    connection.scope["state"]["user"] = user


def provide_current_user(
    request: ASGIConnection[Any, Any, Any, Any], db: NamedDependency[object]
) -> CurrentUser:
    # `db` is not used: depending on it makes Litestar resolve the two dependencies one
    # after the other instead of in a task group of their own (about 0.1 ms per request).
    return request.scope["state"]["user"]


# The OWASP REST Security and HTTP Headers cheat sheets' headers for an API. The
# interactive API docs under the OpenAPI path run inline scripts and load their own files
# from the same origin, so they get a policy of their own.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
    b" img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)
NO_STORE = b"no-store"


async def add_security_headers(message: Message, scope: Scope) -> None:
    """`before_send` hook: the security headers on every HTTP response, errors included.
    Headers a handler set itself (e.g. `Cache-Control` next to an ETag) are kept."""
    if message["type"] != "http.response.start":
        return
    headers: list[Any] = list(message.get("headers", ()))
    present = {bytes(name).lower() for name, _ in headers}
    for name, value in SECURITY_HEADERS:
        if name not in present:
            headers.append((name, value))
    if b"content-security-policy" not in present:
        openapi = getattr(scope.get("app"), "openapi_config", None)
        docs_path = getattr(openapi, "path", None) or "/schema"
        path: str = scope.get("path", "")
        is_docs = path == docs_path or path.startswith(docs_path.rstrip("/") + "/")
        headers.append((b"content-security-policy", DOCS_CSP if is_docs else API_CSP))
    if b"cache-control" not in present:
        headers.append((b"cache-control", NO_STORE))
    message["headers"] = headers
