"""Accounts and authentication: register, log in, refresh, log out; password reset and
email verification by mailed tokens (app/account_tokens.py).

Register, login, refresh, the password reset and the email verification are public (they
are how a client gets a token, or gets back in); everything else needs an access token. A
successful register, login or refresh answers with the user, a short-lived access token and
a new refresh token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
import psycopg
from litestar import Request, Router, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from app import account_tokens, audit, changelog, throttle, tokens, users
from app.account_tokens import RESET_TTL_S, normalize_email
from app.audit import client_context
from app.core.config import Settings
from app.core.db import Db
from app.core.enums import AccountTokenPurpose, AuditAction, ChangeEventType
from app.core.errors import Unauthorized
from app.core.http import NO_CONTROL_CHARACTERS, responses
from app.core.metrics import count_registration
from app.core.passwords import MAX_BYTES, Passwords, check_policy
from app.core.security import CurrentUser, issue_access_token
from app.mail import queue_email
from app.ratelimit import RateLimiter, email_subject, rate_limited
from app.users import ACCOUNT_BODY_LIMIT, DEPENDENCIES, DISPLAY_NAME_MAX, User, email_taken

PUBLIC = {"public": True}


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


class PasswordResetBody(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=320, description="Your account's email")]


class PasswordResetConfirmBody(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=account_tokens.MAX_TOKEN_LENGTH,
            description="The reset code of the email (`kpr_...`)",
        ),
    ]
    new_password: Annotated[
        str,
        msgspec.Meta(
            description="At least 10 characters, at most 1024 bytes; not your email address"
        ),
    ]


class VerifyEmailBody(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=account_tokens.MAX_TOKEN_LENGTH,
            description="The verification code of the email (`kev_...`)",
        ),
    ]


class Accepted(msgspec.Struct):
    message: str


RESET_ACCEPTED = Accepted(
    "If an account has this email, a message with a reset code is on its way; the code "
    f"works once, for {RESET_TTL_S // 60} minutes"
)

_INVALID_CREDENTIALS = ("invalid_credentials", "The email or password is not correct")
_INVALID_REFRESH = (
    "invalid_refresh_token",
    "The refresh token is not valid (unknown, expired, revoked or already used); log in again",
)


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
    """Create an account, log it in on the client's device, and mail it a verification
    token for its email."""
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
        await account_tokens.send_verification(
            db, user_id=user.id, email=user.email, display_name=user.display_name
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


async def request_password_reset(
    db: Db, *, limiter: RateLimiter, data: PasswordResetBody, context: dict[str, str]
) -> Accepted:
    """Mail a reset token to the account of an email, if there is one. The answer is the
    same either way, and so is the work: one query issues the token or finds nothing, an
    audit row is written either way (for an unknown email without the email, like a failed
    login), so both transactions commit a write; only a known account has its email queued.
    Counted per email address (its hash) whether or not it has an account."""
    email = normalize_email(data.email)
    await limiter.count(db, "password_reset_email", email_subject(email))
    async with db.transaction():
        token, recipient = await account_tokens.issue_password_reset(db, email=email)
        if recipient is not None:
            await queue_email(
                db.conn,
                to=recipient.email,
                template="password_reset",
                values={
                    "display_name": recipient.display_name,
                    "token": token,
                    "minutes": str(RESET_TTL_S // 60),
                },
            )
        await audit.record_account_action(
            db,
            action=AuditAction.PASSWORD_RESET_REQUEST,
            user_id=recipient.user_id if recipient is not None else None,
            context=context,
            account_found=recipient is not None,
        )
    return RESET_ACCEPTED


async def reset_password(
    db: Db,
    *,
    passwords: Passwords,
    data: PasswordResetConfirmBody,
    context: dict[str, str],
) -> None:
    """Set a new password with a reset token: the token is used up, every login of the
    account ends (refresh tokens revoked; access tokens refused once the servers hear of
    it), a pending email change is cancelled, and the account is told by email. A token
    that is not live, or a password the policy refuses, changes nothing."""
    purpose = AccountTokenPurpose.PASSWORD_RESET
    found = await account_tokens.find(db, token=data.token, purpose=purpose)
    check_policy(data.new_password, email=found.email, field="new_password")
    password_hash = await passwords.hash(data.new_password)
    async with db.transaction():
        used = await account_tokens.use(db, token=data.token, purpose=purpose)
        await db.execute("account_tokens/cancel_email_change", user_id=used.user_id)
        user = await db.one(
            "users/reset_password", User, user_id=used.user_id, password_hash=password_hash
        )
        if user is None or user.email != used.email:  # deleted, or its email changed
            raise account_tokens.invalid_token(purpose)
        ended = await tokens.end_other_logins(db, user_id=user.id, keep_login_id=None)
        await throttle.reset(db, email=user.email)
        await audit.record_account_action(
            db,
            action=AuditAction.PASSWORD_RESET,
            user_id=user.id,
            context=context,
            ended_logins=ended,
        )
        await changelog.record_one(
            db,
            user_id=user.id,
            event_type=ChangeEventType.PROFILE_UPDATED,
            entity_id=user.id,
            version=user.version,
            document=user,
        )
        await queue_email(
            db.conn,
            to=user.email,
            template="password_changed",
            values={"display_name": user.display_name},
        )


async def verify_email(db: Db, *, data: VerifyEmailBody, context: dict[str, str]) -> None:
    """Prove an address with its verification token: the account's own address becomes
    verified; the new address of an email change becomes the account's email (verified),
    and the old address is told. 409 `email_taken` when another account took the new
    address meanwhile (the token stays usable)."""
    purpose = AccountTokenPurpose.VERIFY_EMAIL
    try:
        async with db.transaction():
            used = await account_tokens.use(db, token=data.token, purpose=purpose)
            before = await users.get_user(db, user_id=used.user_id)
            assert before is not None  # tokens are deleted with their account
            user = await db.one("users/verify_email", User, user_id=used.user_id, email=used.email)
            if user is None:
                return  # verified already: nothing changes
            changed = before.email != user.email
            await audit.record_account_action(
                db,
                action=AuditAction.EMAIL_CHANGE if changed else AuditAction.EMAIL_VERIFIED,
                user_id=user.id,
                context=context,
            )
            await changelog.record_one(
                db,
                user_id=user.id,
                event_type=ChangeEventType.PROFILE_UPDATED,
                entity_id=user.id,
                version=user.version,
                document=user,
            )
            if changed:
                await queue_email(
                    db.conn,
                    to=before.email,
                    template="email_changed",
                    values={"display_name": user.display_name, "new_email": user.email},
                )
    except psycopg.errors.UniqueViolation:
        raise email_taken() from None


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


@post(
    "/password-reset",
    operation_id="requestPasswordReset",
    summary="Ask for a password-reset email",
    description="Mails a reset code to the account of this email, valid once for 30 "
    "minutes (asking again replaces it). Always 202 with the same body, whether or not the "
    "email has an account. Limited per client address and per email address (429 "
    "`rate_limited`); 422 `invalid_email` when it is not an email address.",
    status_code=202,
    opt={**PUBLIC, **rate_limited("password_reset")},
    request_max_body_size=ACCOUNT_BODY_LIMIT,
    responses=responses(413, 422, codes={422: "invalid_email", 429: "rate_limited"}, public=True),
)
async def password_reset(
    data: JSONBody[PasswordResetBody],
    request: Request[Any, Any, Any],
    db: NamedDependency[Db],
) -> Accepted:
    return await request_password_reset(
        db,
        limiter=request.app.state.rate_limiter,
        data=data,
        context=client_context(request),
    )


@post(
    "/password-reset/confirm",
    operation_id="confirmPasswordReset",
    summary="Set a new password with the code of a reset email",
    description="Sets the password (the registration policy: 422 `weak_password`), ends "
    "every login of the account (log in again with the new password) and sends a "
    "'password changed' email. 400 `invalid_reset_token` for a code that is unknown, "
    "malformed, expired, used, replaced by a newer one, or mailed before the account's email "
    "changed; nothing changes then. Limited per client address like logins.",
    status_code=204,
    opt={**PUBLIC, **rate_limited("login")},
    request_max_body_size=ACCOUNT_BODY_LIMIT,
    responses=responses(
        413,
        422,
        codes={400: "invalid_reset_token", 422: "weak_password", 429: "rate_limited"},
        public=True,
    ),
)
async def password_reset_confirm(
    data: JSONBody[PasswordResetConfirmBody],
    request: Request[Any, Any, Any],
    db: NamedDependency[Db],
    passwords: NamedDependency[Passwords],
) -> None:
    await reset_password(db, passwords=passwords, data=data, context=client_context(request))


@post(
    "/verify-email",
    operation_id="verifyEmail",
    summary="Confirm an email address with the code of a verification email",
    description="The account's address becomes verified (`email_verified` on `/v1/me`); "
    "for an email change, the new address becomes the account's email and the old one is "
    "told. 400 `invalid_verification_token` for a code that is unknown, malformed, expired, "
    "used or replaced by a newer one; 409 `email_taken` when another account took the new "
    "address meanwhile. Nothing changes on an error. No access token needed (the code is "
    "the proof). Limited per client address like logins.",
    status_code=204,
    opt={**PUBLIC, **rate_limited("login")},
    request_max_body_size=ACCOUNT_BODY_LIMIT,
    responses=responses(
        409,
        413,
        codes={400: "invalid_verification_token", 409: "email_taken", 429: "rate_limited"},
        public=True,
    ),
)
async def verify_email_route(
    data: JSONBody[VerifyEmailBody],
    request: Request[Any, Any, Any],
    db: NamedDependency[Db],
) -> None:
    await verify_email(db, data=data, context=client_context(request))


router = Router(
    "/v1/auth",
    route_handlers=[
        register,
        login,
        refresh,
        logout,
        password_reset,
        password_reset_confirm,
        verify_email_route,
    ],
    dependencies=DEPENDENCIES,
    tags=["auth"],
)
