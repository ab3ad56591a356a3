"""Login throttling per account, kept in PostgreSQL so that it holds across workers and
replicas (OWASP Authentication cheat sheet: account lockout).

An attempt is counted before its password is checked, so a burst of parallel guesses gets
exactly `login_max_failures` checks per window; a correct password resets the count. Once an
account has had that many failures in `login_window_s` seconds, every attempt is answered
429 with `Retry-After` for `login_window_s` seconds, without the password being checked.
Unknown emails are throttled the same way, so the answers tell nothing about which
accounts exist.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

import msgspec

from app import audit
from app.core.config import Settings
from app.core.db import Db
from app.core.enums import AuditAction
from app.core.errors import TooManyRequests
from app.core.metrics import count_login_failure, count_rate_limit_refusal
from app.core.passwords import Passwords


class ThrottleState(msgspec.Struct):
    attempts: int
    retry_after_s: int | None
    just_locked: bool


def email_key(email: str) -> bytes:
    """The throttle key of a (normalised) email: its SHA-256, never the email itself."""
    return hashlib.sha256(email.encode("utf-8")).digest()


async def count_attempt(
    db: Db,
    *,
    settings: Settings,
    email: str,
    user_id: UUID | None,
    context: dict[str, str],
) -> None:
    """Count one attempt at `email`'s password; raise 429 when the account is locked.

    The attempt that locks the account is written to the audit log (`login_failed`, reason
    `locked`); the refused attempts after it are not, so a flood of them costs nothing.
    """
    state = await db.one(
        "throttle/attempt",
        ThrottleState,
        email_hash=email_key(email),
        window_s=settings.login_window_s,
        max_failures=settings.login_max_failures,
    )
    assert state is not None
    if state.retry_after_s is None:
        return
    if state.just_locked:
        count_login_failure("locked")
        async with db.transaction():
            await _record_failure(db, user_id=user_id, reason="locked", context=context)
    retry_after = max(1, state.retry_after_s)
    count_rate_limit_refusal("login")
    raise TooManyRequests(
        "too_many_attempts",
        f"Too many failed attempts for this account; try again in {retry_after} seconds",
        headers={"Retry-After": str(retry_after)},
    )


async def check_password(
    db: Db,
    *,
    settings: Settings,
    passwords: Passwords,
    email: str,
    user_id: UUID | None,
    password_hash: str | None,
    password: str,
    failure_reason: str,
    context: dict[str, str],
) -> bool:
    """Count an attempt at `email`'s password (429 when the account is locked), then check
    `password` against `password_hash` (None: against the dummy hash, so an unknown email
    takes as long). A failure goes to the audit log as `login_failed`, `failure_reason`."""
    await count_attempt(db, settings=settings, email=email, user_id=user_id, context=context)
    if await passwords.verify(password_hash, password):
        return True
    count_login_failure(failure_reason)
    async with db.transaction():
        await _record_failure(db, user_id=user_id, reason=failure_reason, context=context)
        await prune(db, settings=settings)
    return False


async def _record_failure(
    db: Db, *, user_id: UUID | None, reason: str, context: dict[str, str]
) -> None:
    await audit.record_account_action(
        db, action=AuditAction.LOGIN_FAILED, user_id=user_id, context=context, reason=reason
    )


async def reset(db: Db, *, email: str) -> None:
    await db.execute("throttle/reset", email_hash=email_key(email))


async def prune(db: Db, *, settings: Settings) -> None:
    """Delete the rows of accounts whose window and lock are over."""
    await db.execute("throttle/prune", window_s=settings.login_window_s)
