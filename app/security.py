"""Access tokens and the deny-by-default guard: every route needs a valid access token
unless its handler is marked `opt={"public": True}`."""

from __future__ import annotations

import time
import uuid
from typing import Any
from uuid import UUID

import jwt
import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from app.config import Settings
from app.errors import Unauthorized

ISSUER = "kinetria"
AUDIENCE = "kinetria-api"
ACCESS_TOKEN_TYPE = "access"
ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti", "typ"]


class CurrentUser(msgspec.Struct, frozen=True):
    id: UUID


def issue_access_token(settings: Settings, user_id: UUID) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "iat": now,
        "exp": now + settings.access_token_ttl_s,
        "jti": uuid.uuid4().hex,
        "typ": ACCESS_TOKEN_TYPE,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def decode_access_token(settings: Settings, token: str) -> CurrentUser:
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
        return CurrentUser(id=UUID(str(claims["sub"])))
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token_expired", "The access token has expired") from None
    except (jwt.InvalidTokenError, ValueError):
        raise Unauthorized("invalid_token", "The access token is not valid") from None


def require_access_token(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    if handler.opt.get("public"):
        return
    authorization = connection.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "missing_token",
            "This route needs an access token: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    settings: Settings = connection.app.state.settings
    connection.scope["state"]["user"] = decode_access_token(settings, token.strip())


def provide_current_user(request: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser:
    return request.scope["state"]["user"]
