"""Accounts and authentication: register, log in, refresh, log out.

Register, login and refresh are public (they are how a client gets a token); everything
else needs an access token. A successful register, login or refresh answers with the user,
a short-lived access token and a new refresh token.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Router, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from app import audit, throttle, tokens
from app.core.config import Settings
from app.core.db import Db
from app.core.enums import AuditAction, WeightUnit
from app.core.errors import Conflict, Unauthorized, Unprocessable, error_responses
from app.core.passwords import MAX_BYTES, Passwords, check_policy, provide_passwords
from app.core.security import CurrentUser, issue_access_token

PUBLIC = {"public": True}
# Auth bodies are a few short strings (a password is at most 1 KiB); anything bigger is
# refused with 413 before it is read in full.
AUTH_BODY_LIMIT = 16 * 1024
DEVICE_LABEL_MAX = 200
EMAIL_MAX = 254
DISPLAY_NAME_MAX = 100

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class User(msgspec.Struct):
    id: UUID
    email: str
    display_name: str
    preferred_weight_unit: WeightUnit
    version: int
    created_at: datetime
    updated_at: datetime


class Credentials(msgspec.Struct):
    id: UUID
    email: str
    password_hash: str
    version: int


class TokenResponse(msgspec.Struct, kw_only=True):
    user: User
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 (the RFC 6750 token type)
    expires_in: int


class RegisterBody(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[
        str, msgspec.Meta(max_length=320, description="Your email; stored lower-cased")
    ]
    password: Annotated[
        str,
        msgspec.Meta(
            description="At least 10 characters, at most 1024 bytes; not your email address"
        ),
    ]
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=DISPLAY_NAME_MAX)]


class LoginBody(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=320)]
    password: Annotated[str, msgspec.Meta(max_length=MAX_BYTES)]


class RefreshBody(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=tokens.MAX_TOKEN_LENGTH)]


# --- input rules shared with /v1/me ------------------------------------------------------


def normalize_email(email: str) -> str:
    """The stored form of an email: trimmed and lower-cased; 422 when it is not one."""
    normalized = email.strip().lower()
    if len(normalized) > EMAIL_MAX or not _EMAIL.match(normalized) or _CONTROL.search(normalized):
        raise Unprocessable(
            "invalid_email",
            "The email address is not valid",
            details=[
                {"field": "email", "message": "must be an email address like name@example.com"}
            ],
        )
    return normalized


def clean_display_name(display_name: str) -> str:
    """The stored form of a display name: trimmed; 422 when blank or with control characters."""
    cleaned = display_name.strip()
    problem = None
    if not cleaned:
        problem = "must not be blank"
    elif _CONTROL.search(cleaned):
        problem = "must not contain control characters"
    if problem:
        raise Unprocessable(
            "invalid_display_name",
            "The display name is not valid",
            details=[{"field": "display_name", "message": problem}],
        )
    return cleaned


# --- what the request tells about the client -------------------------------------------------


def device_label(request: Request[Any, Any, Any]) -> str:
    """The label of a new login: the client's User-Agent, printable and at most 200 chars."""
    agent = _CONTROL.sub("", request.headers.get("user-agent", "")).strip()
    return agent[:DEVICE_LABEL_MAX]


def client_context(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Audit metadata about the client: address (of the peer; a proxy's own unless the
    server is told to trust its forwarding headers) and user agent."""
    return {
        "ip": request.client.host if request.client else "",
        "user_agent": device_label(request),
    }


def token_response(settings: Settings, user: User, issued: tokens.IssuedToken) -> TokenResponse:
    return TokenResponse(
        user=user,
        access_token=issue_access_token(settings, user.id, issued.login_id),
        refresh_token=issued.token,
        expires_in=settings.access_token_ttl_s,
    )


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


DEPENDENCIES = {
    "passwords": Provide(provide_passwords, sync_to_thread=False),
    "settings": Provide(provide_settings, sync_to_thread=False),
}

_INVALID_CREDENTIALS = ("invalid_credentials", "The email or password is not correct")
_INVALID_REFRESH = (
    "invalid_refresh_token",
    "The refresh token is not valid (unknown, expired, revoked or already used); log in again",
)


# --- routes ------------------------------------------------------------------------------


@post(
    "/register",
    operation_id="register",
    summary="Create an account",
    description="Creates an account and logs it in on this device. 409 `email_taken` when "
    "the email has an account; 422 `invalid_email`, `invalid_display_name` or "
    "`weak_password` (with `details`) when a value breaks a rule.",
    status_code=201,
    opt=PUBLIC,
    request_max_body_size=AUTH_BODY_LIMIT,
    responses=error_responses(400, 409, 413, 422),
    tags=["auth"],
)
async def register(
    data: JSONBody[RegisterBody],
    request: Request[Any, Any, Any],
    db: NamedDependency[Db],
    passwords: NamedDependency[Passwords],
    settings: NamedDependency[Settings],
) -> TokenResponse:
    email = normalize_email(data.email)
    display_name = clean_display_name(data.display_name)
    check_policy(data.password, email=email)
    password_hash = await passwords.hash(data.password)
    async with db.transaction():
        user = await db.one(
            "users/insert",
            User,
            id=tokens.new_id(),
            email=email,
            password_hash=password_hash,
            display_name=display_name,
        )
        if user is None:
            raise Conflict(
                "email_taken",
                "An account with this email already exists",
                details=[{"field": "email", "message": "already has an account"}],
            )
        issued = await tokens.issue(
            db, settings, user_id=user.id, device_label=device_label(request)
        )
        await audit.record(
            db,
            user_id=user.id,
            action=AuditAction.REGISTER,
            metadata={"login_id": str(issued.login_id), **client_context(request)},
        )
    return token_response(settings, user, issued)


@post(
    "/login",
    operation_id="login",
    summary="Log in with email and password",
    description="A wrong password and an unknown email give the same 401 "
    "`invalid_credentials`. After too many failures for one account within the window, "
    "429 `too_many_attempts` with `Retry-After` until the lock is over.",
    status_code=200,
    opt=PUBLIC,
    request_max_body_size=AUTH_BODY_LIMIT,
    responses=error_responses(400, 401, 413, 429),
    tags=["auth"],
)
async def login(
    data: JSONBody[LoginBody],
    request: Request[Any, Any, Any],
    db: NamedDependency[Db],
    passwords: NamedDependency[Passwords],
    settings: NamedDependency[Settings],
) -> TokenResponse:
    email = data.email.strip().lower()
    context = client_context(request)
    account = await db.one("users/get_credentials_by_email", Credentials, email=email)
    user_id = account.id if account else None
    await throttle.count_attempt(db, settings, email=email, user_id=user_id, context=context)
    # an unknown email is checked against the dummy hash: same answer, same time
    verified = await passwords.verify(account.password_hash if account else None, data.password)
    if account is None or not verified:
        async with db.transaction():
            await audit.record(
                db,
                user_id=user_id,
                action=AuditAction.LOGIN_FAILED,
                metadata={
                    "reason": "wrong_password" if account else "unknown_email",
                    **context,
                },
            )
            await throttle.prune(db, settings)
        raise Unauthorized(*_INVALID_CREDENTIALS)
    new_hash = None
    if passwords.needs_rehash(account.password_hash):
        new_hash = await passwords.hash(data.password)
    async with db.transaction():
        await throttle.reset(db, email=email)
        if new_hash is not None:
            await db.execute(
                "users/update_password_hash",
                user_id=account.id,
                old_hash=account.password_hash,
                new_hash=new_hash,
            )
        user = await db.one("users/get", User, user_id=account.id)
        if user is None:  # deleted while logging in
            raise Unauthorized(*_INVALID_CREDENTIALS)
        await tokens.prune_expired(db, user_id=user.id)
        issued = await tokens.issue(
            db, settings, user_id=user.id, device_label=device_label(request)
        )
        metadata: dict[str, Any] = {"login_id": str(issued.login_id), **context}
        if new_hash is not None:
            metadata["password_rehashed"] = True
        await audit.record(db, user_id=user.id, action=AuditAction.LOGIN, metadata=metadata)
    return token_response(settings, user, issued)


@post(
    "/refresh",
    operation_id="refreshTokens",
    summary="Trade a refresh token for a new pair",
    description="Retires the refresh token and returns a new access token and refresh "
    "token (rotation). Presenting a retired refresh token again ends that login on every "
    "device that holds it (the token was copied) and is recorded as "
    "`token_reuse_detected`. 401 `invalid_refresh_token` for any unusable token.",
    status_code=200,
    opt=PUBLIC,
    request_max_body_size=AUTH_BODY_LIMIT,
    responses=error_responses(400, 401, 413),
    tags=["auth"],
)
async def refresh(
    data: JSONBody[RefreshBody],
    request: Request[Any, Any, Any],
    db: NamedDependency[Db],
    settings: NamedDependency[Settings],
) -> TokenResponse:
    context = client_context(request)
    async with db.transaction():
        rotated = await tokens.retire(db, token=data.refresh_token)
        if rotated is not None:
            user = await db.one("users/get", User, user_id=rotated.user_id)
            assert user is not None  # tokens are deleted with their user
            issued = await tokens.issue(
                db,
                settings,
                user_id=user.id,
                device_label=rotated.device_label,
                login_id=rotated.family_id,
                login_created_at=rotated.created_at,
            )
            await audit.record(
                db,
                user_id=user.id,
                action=AuditAction.TOKEN_REFRESH,
                metadata={"login_id": str(issued.login_id), **context},
            )
            return token_response(settings, user, issued)
    stored = await tokens.find(db, token=data.refresh_token)
    if stored is not None and stored.retired_at is not None:
        await _reuse_detected(db, stored, context)
    raise Unauthorized(*_INVALID_REFRESH)


async def _reuse_detected(
    db: Db, stored: tokens.StoredRefreshToken, context: dict[str, str]
) -> None:
    """A retired token came back: someone holds a copy. End the whole login."""
    async with db.transaction():
        revoked = await tokens.revoke_family(db, user_id=stored.user_id, family_id=stored.family_id)
        await audit.record(
            db,
            user_id=stored.user_id,
            action=AuditAction.TOKEN_REUSE_DETECTED,
            metadata={
                "login_id": str(stored.family_id),
                "login_ended": revoked > 0,  # False when it had ended before
                **context,
            },
        )


@post(
    "/logout",
    operation_id="logout",
    summary="End the login of a refresh token",
    description="Revokes the refresh token's login (its whole rotation family). Like "
    "RFC 7009, answers 204 also when the token is unknown, already ended or not yours "
    "(nothing is changed then): the client can forget the token either way.",
    status_code=204,
    request_max_body_size=AUTH_BODY_LIMIT,
    responses=error_responses(400, 401, 413),
    tags=["auth"],
)
async def logout(
    data: JSONBody[RefreshBody],
    request: Request[Any, Any, Any],
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
) -> None:
    async with db.transaction():
        login_id = await tokens.end_login_by_token(
            db, user_id=current_user.id, token=data.refresh_token
        )
        if login_id is not None:
            await audit.record(
                db,
                user_id=current_user.id,
                action=AuditAction.LOGOUT,
                metadata={"login_id": str(login_id), **client_context(request)},
            )


router = Router(
    "/v1/auth",
    route_handlers=[register, login, refresh, logout],
    dependencies=DEPENDENCIES,
)
routes = [router]
