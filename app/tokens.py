"""Refresh tokens (RFC 9700): opaque random strings of 256 bits, stored only as SHA-256
hashes, rotated on every use within a family (one family = one login on one device).

Presenting a retired token again means it was copied: the whole family is revoked and the
reuse is written to the audit log. Tokens idle for `refresh_token_idle_days` expire.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from datetime import datetime
from uuid import UUID

import msgspec

from app.core.config import Settings
from app.core.db import Db

# A recognisable prefix lets secret scanners find leaked tokens; 32 random bytes follow.
TOKEN_PREFIX = "kr1_"  # noqa: S105 (a public prefix, not a secret)
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 128


class RotatedToken(msgspec.Struct):
    user_id: UUID
    family_id: UUID
    device_label: str
    created_at: datetime


class StoredRefreshToken(msgspec.Struct):
    user_id: UUID
    family_id: UUID
    retired_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime


class Login(msgspec.Struct):
    """An active login: a device that holds a live refresh token."""

    id: UUID
    device_label: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool


class IssuedToken(msgspec.Struct, frozen=True):
    token: str
    login_id: UUID


def new_id() -> UUID:
    """A UUIDv7 (RFC 9562): time-ordered, so new rows land at the end of the indexes."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 64) & 0xFFF) << 64
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)
    return UUID(int=value)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


async def issue(
    db: Db,
    settings: Settings,
    *,
    user_id: UUID,
    device_label: str,
    login_id: UUID | None = None,
    login_created_at: datetime | None = None,
) -> IssuedToken:
    """Store a new refresh token: of a new login, or the next of `login_id`'s family."""
    token = new_token()
    family_id = login_id or new_id()
    await db.execute(
        "tokens/insert",
        id=new_id(),
        user_id=user_id,
        family_id=family_id,
        token_hash=hash_token(token),
        device_label=device_label,
        login_created_at=login_created_at,
        idle_days=settings.refresh_token_idle_days,
    )
    return IssuedToken(token, family_id)


async def retire(db: Db, *, token: str) -> RotatedToken | None:
    """Retire `token` if it is usable (exactly once, whatever the concurrency)."""
    return await db.one("tokens/rotate", RotatedToken, token_hash=hash_token(token))


async def find(db: Db, *, token: str) -> StoredRefreshToken | None:
    return await db.one("tokens/find", StoredRefreshToken, token_hash=hash_token(token))


async def revoke_family(db: Db, *, user_id: UUID, family_id: UUID) -> int:
    return await db.execute("tokens/revoke_family", user_id=user_id, family_id=family_id)


async def end_login_by_token(db: Db, *, user_id: UUID, token: str) -> UUID | None:
    """Revoke the family of one of `user_id`'s tokens; the login id, or None if not theirs."""
    return await db.scalar(
        "tokens/end_login_by_token", user_id=user_id, token_hash=hash_token(token)
    )


async def end_login(db: Db, *, user_id: UUID, login_id: UUID) -> bool:
    return await db.execute("tokens/end_login", user_id=user_id, login_id=login_id) > 0


async def end_other_logins(db: Db, *, user_id: UUID, keep_login_id: UUID | None) -> int:
    return await db.execute("tokens/end_other_logins", user_id=user_id, keep_login_id=keep_login_id)


async def prune_expired(db: Db, *, user_id: UUID) -> None:
    await db.execute("tokens/prune_expired", user_id=user_id)


async def list_logins(
    db: Db,
    *,
    user_id: UUID,
    current_login_id: UUID | None,
    limit: int,
    before: tuple[datetime, UUID] | None,
) -> list[Login]:
    return await db.many(
        "tokens/list_logins",
        Login,
        user_id=user_id,
        current_login_id=current_login_id,
        before_created_at=before[0] if before else None,
        before_id=before[1] if before else None,
        limit=limit,
    )
