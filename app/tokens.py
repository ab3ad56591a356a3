"""Refresh tokens (RFC 9700): opaque random strings of 256 bits, stored only as SHA-256
hashes, rotated on every use within a family (one family = one login on one device).

Presenting a retired token again means it was copied: the whole family is revoked and the
reuse is written to the audit log. Tokens idle for `refresh_token_idle_days` expire.

A client sees its families as its logins: `/v1/me/logins` lists and ends them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from uuid import UUID

import msgspec
from litestar import Router, delete, get

from app import audit
from app.core.calls import calling
from app.core.config import Settings
from app.core.db import Db
from app.core.enums import AuditAction
from app.core.errors import NotFound
from app.core.http import new_id, responses
from app.core.pagination import Keyset
from app.core.resource import PAGING
from app.core.security import CurrentUser

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


class LoginPage(msgspec.Struct):
    items: list[Login]
    next_cursor: str | None


class IssuedToken(msgspec.Struct, frozen=True):
    token: str
    login_id: UUID


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


async def issue(
    db: Db,
    *,
    settings: Settings,
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


async def end_copied_login(db: Db, *, token: str, context: dict[str, str]) -> None:
    """When `token` is a retired one presented again, someone holds a copy of it: end its
    whole login (on every device that holds it) and record the reuse."""
    stored = await db.one("tokens/find", StoredRefreshToken, token_hash=hash_token(token))
    if stored is None or stored.retired_at is None:
        return
    async with db.transaction():
        revoked = await db.execute(
            "tokens/revoke_family", user_id=stored.user_id, family_id=stored.family_id
        )
        await audit.record_account_action(
            db,
            action=AuditAction.TOKEN_REUSE_DETECTED,
            user_id=stored.user_id,
            context=context,
            login_id=str(stored.family_id),
            login_ended=revoked > 0,  # False when it had ended before
        )


async def end_login_by_token(db: Db, *, user_id: UUID, token: str, context: dict[str, str]) -> None:
    """Log out: end the login of one of the user's refresh tokens; nothing when the token is
    unknown, already ended or not theirs."""
    async with db.transaction():
        login_id = await db.scalar(
            "tokens/end_login_by_token", user_id=user_id, token_hash=hash_token(token)
        )
        if login_id is not None:
            await _login_ended(db, AuditAction.LOGOUT, user_id, login_id, context)


async def end_login(db: Db, *, user_id: UUID, login_id: UUID, context: dict[str, str]) -> None:
    """End one of the user's active logins; 404 `login_not_found` when it is none."""
    async with db.transaction():
        if not await db.execute("tokens/end_login", user_id=user_id, login_id=login_id):
            raise NotFound("login_not_found", "No such active login")
        await _login_ended(db, AuditAction.LOGIN_REVOKE, user_id, login_id, context)


async def _login_ended(
    db: Db, action: AuditAction, user_id: UUID, login_id: UUID, context: dict[str, str]
) -> None:
    await audit.record_account_action(
        db, action=action, user_id=user_id, context=context, login_id=str(login_id)
    )


async def end_other_logins(db: Db, *, user_id: UUID, keep_login_id: UUID | None) -> int:
    return await db.execute("tokens/end_other_logins", user_id=user_id, keep_login_id=keep_login_id)


async def prune_expired(db: Db, *, user_id: UUID) -> None:
    await db.execute("tokens/prune_expired", user_id=user_id)


# the order of the list of logins: newest first
BY_CREATION = Keyset.of(Login, "created_at", "id")


async def list_logins(db: Db, *, user: CurrentUser, limit: int, cursor: str | None) -> LoginPage:
    """A page of the user's active logins, newest first; `current` marks the login of the
    caller's access token."""

    before = BY_CREATION.after(cursor)
    rows = await db.many(
        "tokens/list_logins",
        Login,
        user_id=user.id,
        current_login_id=user.login_id,
        before_created_at=before[0],
        before_id=before[1],
        limit=limit + 1,
    )
    return LoginPage(*BY_CREATION.page(rows, limit))


# --- routes ------------------------------------------------------------------------------


list_mine = calling(
    get,
    "/",
    list_logins,
    LoginPage,
    caller="user",
    needs=PAGING,
    operation_id="listLogins",
    summary="Your active logins",
    description="One item per device logged in (a live refresh token), newest first; "
    "`current` marks the login of the access token used.",
    responses=responses(codes={400: "invalid_cursor"}),
)
end_mine = calling(
    delete,
    "/{login_id:uuid}",
    end_login,
    None,
    path_ids=("login_id",),
    context=audit.client_context,
    operation_id="endLogin",
    summary="End one of your logins",
    description="Revokes the login's refresh token, so that device has to log in again "
    "(its access tokens stop working at once). 404 `login_not_found` when it is "
    "not one of your active logins.",
    status_code=204,
    responses=responses(404, codes={404: "login_not_found"}, takes_input=False),
)

router = Router("/v1/me/logins", route_handlers=[list_mine, end_mine], tags=["me"])
