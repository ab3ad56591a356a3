"""Mailed account tokens: a password reset, and the proof that an email address is the
account holder's (on registration, and for the new address of an email change).

A token is `kpr_` (password reset) or `kev_` (email verification) and 32 random bytes
(base64url): the prefix lets secret scanners and people tell what it is. Only its SHA-256
is stored (table `account_tokens`), at most one per account and purpose: issuing a new one
replaces the one before, so only the newest email works. A token works once (its row is
deleted when used) and not after it expires: a reset token after 30 minutes, a verification
token after 24 hours. A reset token also stops working when the account's email changes.

The tokens reach the client only in the email, sent by the background worker (app/mail);
they are never in a response, a log line or the audit log.

The flows that use these are in `app.auth` (reset, verify) and `app.users` (resend, email
change); this module imports neither.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from uuid import UUID

import msgspec

from app.core.db import Db
from app.core.enums import AccountTokenPurpose
from app.core.errors import BadRequest, Unprocessable, field_error
from app.core.http import CONTROL_CHARACTERS
from app.mail import queue_email

RESET_TTL_S = 30 * 60
VERIFY_TTL_S = 24 * 60 * 60
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 128
PREFIXES = {
    AccountTokenPurpose.PASSWORD_RESET: "kpr_",
    AccountTokenPurpose.VERIFY_EMAIL: "kev_",
}
# 32 bytes in unpadded base64url are 43 characters
_SHAPE = re.compile(r"^k(?:pr|ev)_[A-Za-z0-9_-]{43}$")
EMAIL_MAX = 254
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ResetRecipient(msgspec.Struct):
    user_id: UUID
    email: str
    display_name: str


class FoundToken(msgspec.Struct):
    user_id: UUID
    email: str
    display_name: str


class UsedToken(msgspec.Struct):
    user_id: UUID
    email: str


def normalize_email(email: str, *, field: str = "email") -> str:
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
            field=field,
            problem="must be an email address like name@example.com",
        )
    return normalized


def new_token(purpose: AccountTokenPurpose) -> tuple[str, bytes]:
    """A fresh token of `purpose` and its SHA-256."""
    token = PREFIXES[purpose] + secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def invalid_token(purpose: AccountTokenPurpose) -> BadRequest:
    if purpose == AccountTokenPurpose.PASSWORD_RESET:
        return BadRequest(
            "invalid_reset_token",
            "The reset token is not valid (unknown, expired, already used or replaced by a "
            "newer one); ask for a new email",
        )
    return BadRequest(
        "invalid_verification_token",
        "The verification token is not valid (unknown, expired, already used or replaced "
        "by a newer one); ask for a new email",
    )


def token_hash_of(token: str, purpose: AccountTokenPurpose) -> bytes:
    """The hash to look `token` up by; 400 when it is not shaped like a token of `purpose`
    (nothing is looked up then)."""
    if not _SHAPE.match(token) or not token.startswith(PREFIXES[purpose]):
        raise invalid_token(purpose)
    return hash_token(token)


async def find(db: Db, *, token: str, purpose: AccountTokenPurpose) -> FoundToken:
    """The account a live token belongs to; 400 when there is none."""
    found = await db.one(
        "account_tokens/find", FoundToken, token_hash=token_hash_of(token, purpose), purpose=purpose
    )
    if found is None:
        raise invalid_token(purpose)
    return found


async def use(db: Db, *, token: str, purpose: AccountTokenPurpose) -> UsedToken:
    """Use a live token, exactly once (in the caller's transaction); 400 when it is not live
    (any more)."""
    used = await db.one(
        "account_tokens/use", UsedToken, token_hash=token_hash_of(token, purpose), purpose=purpose
    )
    if used is None:
        raise invalid_token(purpose)
    return used


async def cancel_email_change(db: Db, *, user_id: UUID) -> None:
    """Forget the account's pending email change (its verification token stops working)."""
    await db.execute("account_tokens/cancel_email_change", user_id=user_id)


async def issue_password_reset(db: Db, *, email: str) -> tuple[str, ResetRecipient | None]:
    """A reset token for the account of `email`, stored if the account exists, and its
    recipient (None for an unknown email). The same work either way."""
    token, token_hash = new_token(AccountTokenPurpose.PASSWORD_RESET)
    recipient = await db.one(
        "account_tokens/issue_password_reset",
        ResetRecipient,
        email=email,
        token_hash=token_hash,
        ttl_s=RESET_TTL_S,
    )
    return token, recipient


async def send_verification(db: Db, *, user_id: UUID, email: str, display_name: str) -> None:
    """Issue the account's verification token for `email` (replacing any earlier one) and
    queue the email that carries it, in the caller's transaction."""
    token, token_hash = new_token(AccountTokenPurpose.VERIFY_EMAIL)
    await db.execute(
        "account_tokens/issue",
        user_id=user_id,
        purpose=AccountTokenPurpose.VERIFY_EMAIL,
        token_hash=token_hash,
        email=email,
        ttl_s=VERIFY_TTL_S,
    )
    await queue_email(
        db.conn,
        to=email,
        template="verify_email",
        values={"display_name": display_name, "email": email, "token": token, "hours": "24"},
    )
