"""Authentication, each step in one call that owns its transaction and audit row: register,
log in, refresh, log out; the password reset and the email verification by mailed tokens.
The rows are the account's (app/users), its refresh tokens (app/tokens), its login throttle
(app/throttle) and its mailed tokens (app/account_tokens): this module runs no SQL of its
own."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from app import account_tokens, audit, throttle, tokens
from app.account_tokens import RESET_TTL_S, normalize_email
from app.auth.models import (
    RESET_ACCEPTED,
    Accepted,
    LoginBody,
    PasswordResetBody,
    PasswordResetConfirmBody,
    RefreshBody,
    RegisterBody,
    TokenResponse,
    VerifyEmailBody,
)
from app.core.config import Settings
from app.core.db import Db
from app.core.enums import AccountTokenPurpose, AuditAction
from app.core.errors import Unauthorized
from app.core.metrics import count_registration
from app.core.passwords import Passwords, check_policy
from app.core.security import issue_access_token
from app.mail import queue_email
from app.ratelimit import RateLimiter, email_subject
from app.users.models import User
from app.users.operations import (
    clean_display_name,
    email_taken,
    get_credentials_by_email,
    get_user,
    insert_user,
    record_profile,
    replace_password_hash,
    set_reset_password,
    set_verified_email,
)

_INVALID_CREDENTIALS = ("invalid_credentials", "The email or password is not correct")
_INVALID_REFRESH = (
    "invalid_refresh_token",
    "The refresh token is not valid (unknown, expired, revoked or already used); log in again",
)


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
    display_name = clean_display_name(data.display_name)
    check_policy(data.password, email=email)
    password_hash = await passwords.hash(data.password)
    async with db.transaction():
        user = await insert_user(
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
    account = await get_credentials_by_email(db, email=email)
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
            await replace_password_hash(
                db, user_id=account.id, old_hash=account.password_hash, new_hash=new_hash
            )
        user = await get_user(db, user_id=account.id)
        if user is None:  # deleted while logging in
            raise Unauthorized(*_INVALID_CREDENTIALS)
        await tokens.prune_expired(db, user_id=user.id)
        rehashed: dict[str, Any] = {"password_rehashed": True} if new_hash is not None else {}
        return await _signed_in(
            db, settings=settings, user=user, action=AuditAction.LOGIN, context=context, **rehashed
        )


async def rotate_refresh(
    db: Db, *, settings: Settings, data: RefreshBody, context: dict[str, str]
) -> TokenResponse:
    """Retire a refresh token for the next pair of its login; 401 when it is not usable
    (and, when it was used before, its login ends: someone holds a copy)."""
    token = data.refresh_token
    async with db.transaction():
        rotated = await tokens.retire(db, token=token)
        if rotated is not None:
            user = await get_user(db, user_id=rotated.user_id)
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


async def log_out(db: Db, *, user_id: UUID, data: RefreshBody, context: dict[str, str]) -> None:
    """End the login of one of the user's refresh tokens (nothing when it is not theirs)."""
    await tokens.end_login_by_token(db, user_id=user_id, token=data.refresh_token, context=context)


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
        await account_tokens.cancel_email_change(db, user_id=used.user_id)
        user = await set_reset_password(db, user_id=used.user_id, password_hash=password_hash)
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
        await record_profile(db, user)
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
            before = await get_user(db, user_id=used.user_id)
            assert before is not None  # tokens are deleted with their account
            user = await set_verified_email(db, user_id=used.user_id, email=used.email)
            if user is None:
                return  # verified already: nothing changes
            changed = before.email != user.email
            await audit.record_account_action(
                db,
                action=AuditAction.EMAIL_CHANGE if changed else AuditAction.EMAIL_VERIFIED,
                user_id=user.id,
                context=context,
            )
            await record_profile(db, user)
            if changed:
                await queue_email(
                    db.conn,
                    to=before.email,
                    template="email_changed",
                    values={"display_name": user.display_name, "new_email": user.email},
                )
    except psycopg.errors.UniqueViolation:
        raise email_taken() from None
