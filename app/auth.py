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
from litestar.di import NamedDependency
from litestar.params import JSONBody

from app import audit, throttle, tokens, users
from app.audit import client_context
from app.core.config import Settings
from app.core.db import Db
from app.core.enums import AuditAction
from app.core.errors import Unauthorized, Unprocessable, field_error
from app.core.http import CONTROL_CHARACTERS, NO_CONTROL_CHARACTERS, responses
from app.core.metrics import count_registration
from app.core.passwords import MAX_BYTES, Passwords, check_policy
from app.core.security import CurrentUser, issue_access_token
from app.ratelimit import rate_limited
from app.users import ACCOUNT_BODY_LIMIT, DEPENDENCIES, DISPLAY_NAME_MAX, User

PUBLIC = {"public": True}
EMAIL_MAX = 254

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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
    display_name: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=DISPLAY_NAME_MAX,
            extra_json_schema={"pattern": NO_CONTROL_CHARACTERS},
        ),
    ]


class LoginBody(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=320)]
    password: Annotated[str, msgspec.Meta(max_length=MAX_BYTES)]


class RefreshBody(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=tokens.MAX_TOKEN_LENGTH)]


_INVALID_CREDENTIALS = ("invalid_credentials", "The email or password is not correct")
_INVALID_REFRESH = (
    "invalid_refresh_token",
    "The refresh token is not valid (unknown, expired, revoked or already used); log in again",
)


def normalize_email(email: str) -> str:
    """The stored form of an email: trimmed and lower-cased; 422 when it is not one."""
    normalized = email.strip().lower()
    if (
        len(normalized) > EMAIL_MAX
        or not _EMAIL.match(normalized)
        or CONTROL_CHARACTERS.search(normalized)
    ):
        raise field_error(
            Unprocessable,
            "invalid_email",
            "The email address is not valid",
            field="email",
            problem="must be an email address like name@example.com",
        )
    return normalized


# --- operations ----------------------------------------------------------------------------


async def _signed_in(
    db: Db,
    *,
    settings: Settings,
    user: User,
    action: AuditAction,
    context: dict[str, str],
    device_label: str | None = None,
    login_id: UUID | None = None,
    login_created_at: datetime | None = None,
    **metadata: Any,
) -> TokenResponse:
    """Store the next refresh token of a login (a new one, labelled with the client's user
    agent, unless `login_id` is given), record `action`, and answer with the user and the
    new token pair."""
    issued = await tokens.issue(
        db,
        settings=settings,
        user_id=user.id,
        device_label=context["user_agent"] if device_label is None else device_label,
        login_id=login_id,
        login_created_at=login_created_at,
    )
    await audit.record_account_action(
        db,
        action=action,
        user_id=user.id,
        context=context,
        login_id=str(issued.login_id),
        **metadata,
    )
    return TokenResponse(
        user=user,
        access_token=issue_access_token(settings, user.id, issued.login_id),
        refresh_token=issued.token,
        expires_in=settings.access_token_ttl_s,
    )


async def register_user(
    db: Db,
    *,
    passwords: Passwords,
    settings: Settings,
    data: RegisterBody,
    context: dict[str, str],
) -> TokenResponse:
    """Create an account and log it in on the client's device."""
    email = normalize_email(data.email)
    display_name = users.clean_display_name(data.display_name)
    check_policy(data.password, email=email)
    password_hash = await passwords.hash(data.password)
    async with db.transaction():
        user = await users.insert_user(
            db, email=email, password_hash=password_hash, display_name=display_name
        )
        signed_in = await _signed_in(
            db, settings=settings, user=user, action=AuditAction.REGISTER, context=context
        )
    count_registration()
    return signed_in


async def log_in(
    db: Db,
    *,
    passwords: Passwords,
    settings: Settings,
    data: LoginBody,
    context: dict[str, str],
) -> TokenResponse:
    """Check an email and password (throttled per account) and start a login."""
    email = data.email.strip().lower()
    account = await users.get_credentials_by_email(db, email=email)
    verified = await throttle.check_password(
        db,
        settings=settings,
        passwords=passwords,
        email=email,
        user_id=account.id if account else None,
        password_hash=account.password_hash if account else None,
        password=data.password,
        failure_reason="wrong_password" if account else "unknown_email",
        context=context,
    )
    if account is None or not verified:
        raise Unauthorized(*_INVALID_CREDENTIALS)
    new_hash = None
    if passwords.needs_rehash(account.password_hash):
        new_hash = await passwords.hash(data.password)
    async with db.transaction():
        await throttle.reset(db, email=email)
        if new_hash is not None:
            await users.replace_password_hash(
                db, user_id=account.id, old_hash=account.password_hash, new_hash=new_hash
            )
        user = await users.get_user(db, user_id=account.id)
        if user is None:  # deleted while logging in
            raise Unauthorized(*_INVALID_CREDENTIALS)
        await tokens.prune_expired(db, user_id=user.id)
        rehashed: dict[str, Any] = {"password_rehashed": True} if new_hash is not None else {}
        return await _signed_in(
            db, settings=settings, user=user, action=AuditAction.LOGIN, context=context, **rehashed
        )


async def rotate_refresh(
    db: Db, *, settings: Settings, token: str, context: dict[str, str]
) -> TokenResponse:
    """Retire a refresh token for the next pair of its login; 401 when it is not usable
    (and, when it was used before, its login ends: someone holds a copy)."""
    async with db.transaction():
        rotated = await tokens.retire(db, token=token)
        if rotated is not None:
            user = await users.get_user(db, user_id=rotated.user_id)
            assert user is not None  # tokens are deleted with their user
            return await _signed_in(
                db,
                settings=settings,
                user=user,
                action=AuditAction.TOKEN_REFRESH,
                context=context,
                device_label=rotated.device_label,
                login_id=rotated.family_id,
                login_created_at=rotated.created_at,
            )
    await tokens.end_copied_login(db, token=token, context=context)
    raise Unauthorized(*_INVALID_REFRESH)


# --- routes ------------------------------------------------------------------------------


@post(
    "/register",
    operation_id="register",
    summary="Create an account",
    description="Creates an account and logs it in on this device. 409 `email_taken` when "
    "the email has an account; 422 `invalid_email`, `invalid_display_name` or "
    "`weak_password` (with `details`) when a value breaks a rule.",
    status_code=201,
    opt={**PUBLIC, **rate_limited("register")},
    request_max_body_size=ACCOUNT_BODY_LIMIT,
    responses=responses(
        409,
        413,
        422,
        429,
        codes={
            409: "email_taken",
            422: "invalid_email, invalid_display_name, weak_password",
            429: "rate_limited",
        },
        public=True,
    ),
)
async def register(
    data: JSONBody[RegisterBody],
    request: Request[Any, Any, Any],
    db: NamedDependency[Db],
    passwords: NamedDependency[Passwords],
    settings: NamedDependency[Settings],
) -> TokenResponse:
    return await register_user(
        db, passwords=passwords, settings=settings, data=data, context=client_context(request)
    )


@post(
    "/login",
    operation_id="login",
    summary="Log in with email and password",
    description="A wrong password and an unknown email give the same 401 "
    "`invalid_credentials`. After too many failures for one account within the window, "
    "429 `too_many_attempts` with `Retry-After` until the lock is over.",
    status_code=200,
    opt={**PUBLIC, **rate_limited("login")},
    request_max_body_size=ACCOUNT_BODY_LIMIT,
    responses=responses(
        413,
        codes={401: "invalid_credentials", 429: "too_many_attempts, rate_limited"},
        public=True,
    ),
)
async def login(
    data: JSONBody[LoginBody],
    request: Request[Any, Any, Any],
    db: NamedDependency[Db],
    passwords: NamedDependency[Passwords],
    settings: NamedDependency[Settings],
) -> TokenResponse:
    return await log_in(
        db, passwords=passwords, settings=settings, data=data, context=client_context(request)
    )


@post(
    "/refresh",
    operation_id="refreshTokens",
    summary="Trade a refresh token for a new pair",
    description="Retires the refresh token and returns a new access token and refresh "
    "token (rotation). Presenting a retired refresh token again ends that login on every "
    "device that holds it (the token was copied) and is recorded as "
    "`token_reuse_detected`. 401 `invalid_refresh_token` for any unusable token.",
    status_code=200,
    opt={**PUBLIC, **rate_limited("refresh")},
    request_max_body_size=ACCOUNT_BODY_LIMIT,
    responses=responses(
        413, codes={401: "invalid_refresh_token", 429: "rate_limited"}, public=True
    ),
)
async def refresh(
    data: JSONBody[RefreshBody],
    request: Request[Any, Any, Any],
    db: NamedDependency[Db],
    settings: NamedDependency[Settings],
) -> TokenResponse:
    return await rotate_refresh(
        db, settings=settings, token=data.refresh_token, context=client_context(request)
    )


@post(
    "/logout",
    operation_id="logout",
    summary="End the login of a refresh token",
    description="Revokes the refresh token's login (its whole rotation family). Like "
    "RFC 7009, answers 204 also when the token is unknown, already ended or not yours "
    "(nothing is changed then): the client can forget the token either way.",
    status_code=204,
    request_max_body_size=ACCOUNT_BODY_LIMIT,
    responses=responses(413),
)
async def logout(
    data: JSONBody[RefreshBody],
    request: Request[Any, Any, Any],
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
) -> None:
    await tokens.end_login_by_token(
        db, user_id=current_user.id, token=data.refresh_token, context=client_context(request)
    )


router = Router(
    "/v1/auth",
    route_handlers=[register, login, refresh, logout],
    dependencies=DEPENDENCIES,
    tags=["auth"],
)
