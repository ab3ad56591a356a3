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


class ThrottleState(msgspec.Struct):
    attempts: int
    retry_after_s: int | None
    just_locked: bool


def email_key(email: str) -> bytes:
    """The throttle key of a (normalised) email: its SHA-256, never the email itself."""
    return hashlib.sha256(email.encode("utf-8")).digest()


async def count_attempt(
    db: Db,
    settings: Settings,
    *,
    email: str,
    user_id: UUID | None = None,
    context: dict[str, str] | None = None,
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
        async with db.transaction():
            await audit.record(
                db,
                user_id=user_id,
                action=AuditAction.LOGIN_FAILED,
                metadata={"reason": "locked", **(context or {})},
            )
    retry_after = max(1, state.retry_after_s)
    raise TooManyRequests(
        "too_many_attempts",
        f"Too many failed attempts for this account; try again in {retry_after} seconds",
        headers={"Retry-After": str(retry_after)},
    )


async def reset(db: Db, *, email: str) -> None:
    await db.execute("throttle/reset", email_hash=email_key(email))


async def prune(db: Db, settings: Settings) -> None:
    """Delete the rows of accounts whose window and lock are over."""
    await db.execute("throttle/prune", window_s=settings.login_window_s)
