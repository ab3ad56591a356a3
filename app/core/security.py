"""Access tokens, the deny-by-default guard and the security headers.

Every route needs a valid access token unless its handler is marked `opt={"public": True}`.
Access tokens are short-lived HS256 JWTs (OWASP JWT cheat sheet): the algorithm is pinned,
and `iss`, `aud`, `sub`, `exp`, `iat`, `jti` and the token type `typ` are all required and
checked. `sid` names the login (refresh-token family) the token was issued for.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from uuid import UUID

import jwt
import msgspec
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Message, Scope

from app.core.config import Settings
from app.core.errors import Unauthorized
from app.core.metrics import Metrics

ISSUER = "kinetria"
AUDIENCE = "kinetria-api"
ACCESS_TOKEN_TYPE = "access"
ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti", "typ"]
_INVALID = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class CurrentUser(msgspec.Struct, frozen=True):
    id: UUID
    # The login (refresh-token family) the access token was issued for, when it has one.
    login_id: UUID | None = None


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
    state = connection.app.state
    verifier: AccessTokenVerifier = state.token_verifier
    user = verifier.verify(token.strip())
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
