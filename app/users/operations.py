"""What can be done to an account, each in one call that owns its transaction, its audit
row and its change-log event: its rows (`queries/users/`), the profile changes of a PATCH
of /v1/me, the resent verification email and the deletion."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from app import account_tokens, audit, changelog, throttle, tokens
from app.account_tokens import normalize_email
from app.core.config import Settings
from app.core.db import Db
from app.core.enums import AuditAction, ChangeEventType, WeightUnit
from app.core.errors import ApiError, Conflict, Forbidden, Unauthorized, Unprocessable, field_error
from app.core.http import CONTROL_CHARACTERS, new_id, sent_fields, stale, unset_to_none
from app.core.passwords import Passwords, check_policy, normalize
from app.core.security import CurrentUser
from app.mail import queue_email
from app.users.models import PROFILE_FIELDS, Credentials, ProfileUpdate, User, VerificationSent

# --- input rules ---------------------------------------------------------------------------


def clean_display_name(display_name: str) -> str:
    """The stored form of a display name: trimmed; 422 when blank or with control characters."""
    cleaned = display_name.strip()
    if cleaned and not CONTROL_CHARACTERS.search(cleaned):
        return cleaned
    raise field_error(
        Unprocessable,
        "invalid_display_name",
        "The display name is not valid",
        field="display_name",
        problem="must not contain control characters" if cleaned else "must not be blank",
    )


def email_taken() -> ApiError:
    return field_error(
        Conflict,
        "email_taken",
        "An account with this email already exists",
        field="email",
        problem="already has an account",
    )


def _account_gone() -> Unauthorized:
    return Unauthorized(
        "invalid_token",
        "The account of this access token no longer exists",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def _concurrent_update() -> Conflict:
    return Conflict("concurrent_update", "The account changed while this request ran; try again")


# --- account rows ------------------------------------------------------------------------


async def record_profile(db: Db, user: User) -> None:
    """The account's document as it is now, in the change log (a device syncing gets it)."""
    await changelog.record_one(
        db,
        user_id=user.id,
        event_type=ChangeEventType.PROFILE_UPDATED,
        entity_id=user.id,
        version=user.version,
        document=user,
    )


async def get_user(db: Db, *, user_id: UUID) -> User | None:
    return await db.one("users/get", User, user_id=user_id)


async def insert_user(db: Db, *, email: str, password_hash: str, display_name: str) -> User:
    """A new account; 409 `email_taken` when the email (any case) has one."""
    user = await db.one(
        "users/insert",
        User,
        id=new_id(),
        email=email,
        password_hash=password_hash,
        display_name=display_name,
    )
    if user is None:
        raise email_taken()
    # the account's first event: a new device syncing from the beginning gets the profile
    await record_profile(db, user)
    return user


async def get_credentials_by_email(db: Db, *, email: str) -> Credentials | None:
    return await db.one("users/get_credentials_by_email", Credentials, email=email)


async def replace_password_hash(db: Db, *, user_id: UUID, old_hash: str, new_hash: str) -> None:
    """Store a new hash of the same password, unless the password changed meanwhile."""
    await db.execute(
        "users/update_password_hash", user_id=user_id, old_hash=old_hash, new_hash=new_hash
    )


async def set_reset_password(db: Db, *, user_id: UUID, password_hash: str) -> User | None:
    """The account with the password of a reset (its email verified: the token was mailed
    there); None when it was deleted."""
    return await db.one("users/reset_password", User, user_id=user_id, password_hash=password_hash)


async def set_verified_email(db: Db, *, user_id: UUID, email: str) -> User | None:
    """The account with `email` as its verified email; None when it was that already."""
    return await db.one("users/verify_email", User, user_id=user_id, email=email)


async def _audit(
    db: Db, action: AuditAction, user_id: UUID, context: dict[str, str], **metadata: Any
) -> None:
    await audit.record_account_action(
        db, action=action, user_id=user_id, context=context, **metadata
    )


# --- operations ----------------------------------------------------------------------------


async def get_account(db: Db, *, user_id: UUID) -> User:
    """The caller's account; 401 when it was deleted after the access token was issued."""
    user = await get_user(db, user_id=user_id)
    if user is None:
        raise _account_gone()
    return user


class _Changes(msgspec.Struct, kw_only=True):
    """What a PATCH of /v1/me changes, checked."""

    display_name: str | None
    preferred_weight_unit: WeightUnit | None
    password_hash: str | None
    new_email: str | None
    profile_fields: list[str]

    @property
    def empty(self) -> bool:
        return self.password_hash is None and self.new_email is None and not self.profile_fields


async def update_profile(
    db: Db,
    *,
    passwords: Passwords,
    settings: Settings,
    user: CurrentUser,
    data: ProfileUpdate,
    if_match: list[int] | None,
    context: dict[str, str],
) -> User:
    """Apply a PATCH of /v1/me. A password change ends every other login of the account
    and cancels a pending email change; an email change mails a verification token to the
    new address and a notice to the current one, which stays the account's until then."""
    _check_password_pair(data)
    display_name = unset_to_none(data.display_name)
    if display_name is not None:
        display_name = clean_display_name(display_name)
    new_email = None if isinstance(data.email, msgspec.UnsetType) else normalize_email(data.email)
    account = await db.one("users/get_credentials", Credentials, user_id=user.id)
    if account is None:
        raise _account_gone()
    if problem := stale(if_match, account.version):
        raise problem
    if new_email == account.email:
        new_email = None  # the address it has: no change
    password_hash = await _checked_changes(
        db, passwords=passwords, settings=settings, account=account, data=data, context=context
    )
    if new_email is not None and await db.scalar("users/email_taken", email=new_email):
        raise email_taken()
    changes = _Changes(
        display_name=display_name,
        preferred_weight_unit=unset_to_none(data.preferred_weight_unit),
        password_hash=password_hash,
        new_email=new_email,
        profile_fields=[name for name in sent_fields(data) if name in PROFILE_FIELDS],
    )
    if changes.empty:
        return await get_account(db, user_id=user.id)  # nothing to change
    async with db.transaction():
        return await _apply(db, user=user, account=account, changes=changes, context=context)


async def _apply(
    db: Db, *, user: CurrentUser, account: Credentials, changes: _Changes, context: dict[str, str]
) -> User:
    """Write the checked changes of a PATCH, in the caller's transaction."""
    if changes.password_hash is not None:
        await account_tokens.cancel_email_change(db, user_id=user.id)
    if changes.new_email is not None:
        await _start_email_change(db, user=user, account=account, new_email=changes.new_email)
    changed = await db.one(
        "users/update",
        User,
        user_id=user.id,
        version=account.version,
        display_name=changes.display_name,
        preferred_weight_unit=changes.preferred_weight_unit,
        password_hash=changes.password_hash,
    )
    if changed is None:
        raise _concurrent_update()
    if changes.password_hash is not None:
        ended = await tokens.end_other_logins(db, user_id=user.id, keep_login_id=user.login_id)
        await throttle.reset(db, email=account.email)
        await _audit(db, AuditAction.PASSWORD_CHANGE, user.id, context, ended_logins=ended)
    if changes.new_email is not None:
        await _audit(db, AuditAction.EMAIL_CHANGE_REQUEST, user.id, context)
    await record_profile(db, changed)
    return changed


async def _start_email_change(
    db: Db, *, user: CurrentUser, account: Credentials, new_email: str
) -> None:
    """Mail the new address its verification token (replacing any earlier one) and tell the
    current address, in the caller's transaction."""
    profile = await get_account(db, user_id=user.id)
    await account_tokens.send_verification(
        db, user_id=user.id, email=new_email, display_name=profile.display_name
    )
    await queue_email(
        db.conn,
        to=account.email,
        template="email_change_requested",
        values={"display_name": profile.display_name, "new_email": new_email},
    )


def _check_password_pair(data: ProfileUpdate) -> None:
    """The current password alone, or a new password or email without it, is a malformed
    body, answered before If-Match."""
    new_unset = isinstance(data.new_password, msgspec.UnsetType)
    email_unset = isinstance(data.email, msgspec.UnsetType)
    current_unset = isinstance(data.current_password, msgspec.UnsetType)
    if new_unset and email_unset and not current_unset:
        raise field_error(
            Unprocessable,
            "new_password_required",
            "current_password is only used to change the password or the email",
            field="new_password",
            problem="is required with current_password (unless email is given)",
        )
    if current_unset and not (new_unset and email_unset):
        raise field_error(
            Unprocessable,
            "current_password_required",
            "Changing the password or the email needs the current password",
            field="current_password",
            problem="is required with new_password" if not new_unset else "is required with email",
        )


async def _checked_changes(
    db: Db,
    *,
    passwords: Passwords,
    settings: Settings,
    account: Credentials,
    data: ProfileUpdate,
    context: dict[str, str],
) -> str | None:
    """Check the current password a password or email change comes with (throttled like
    logins); the hash of the new password a PATCH asks for, or None when it asks for none."""
    new_password, current_password = data.new_password, data.current_password
    if isinstance(current_password, msgspec.UnsetType):
        return None
    if not isinstance(new_password, msgspec.UnsetType):
        check_policy(new_password, email=account.email, field="new_password")
    if not await throttle.check_password(
        db,
        settings=settings,
        passwords=passwords,
        email=account.email,
        user_id=account.id,
        password_hash=account.password_hash,
        password=current_password,
        failure_reason="wrong_current_password",
        context=context,
    ):
        raise field_error(
            Forbidden,
            "wrong_password",
            "The current password is not correct",
            field="current_password",
            problem="is not correct",
        )
    if isinstance(new_password, msgspec.UnsetType):
        return None
    if normalize(new_password) == normalize(current_password):
        raise field_error(
            Unprocessable,
            "weak_password",
            "The password does not meet the policy",
            field="new_password",
            problem="must differ from the current one",
        )
    return await passwords.hash(new_password)


async def resend_verification(
    db: Db, *, user_id: UUID, context: dict[str, str]
) -> VerificationSent:
    """Mail a new verification token (the earlier one stops working): to the pending new
    address of an email change, else to the account's address; 409
    `email_already_verified` when there is nothing to verify."""
    user = await get_account(db, user_id=user_id)
    to = user.pending_email or (None if user.email_verified else user.email)
    if to is None:
        raise Conflict("email_already_verified", "Your email address is verified already")
    async with db.transaction():
        await account_tokens.send_verification(
            db, user_id=user_id, email=to, display_name=user.display_name
        )
        await _audit(db, AuditAction.EMAIL_VERIFICATION_REQUEST, user_id, context)
    return VerificationSent(
        email=to,
        message=f"A message with a new verification code is on its way to {to}; it works "
        f"once, for {account_tokens.VERIFY_TTL_S // 3600} hours",
    )


async def delete_account(
    db: Db, *, user_id: UUID, if_match: list[int] | None, context: dict[str, str]
) -> None:
    """Delete the account and all it owns; its audit rows stay, without the user id."""
    async with db.transaction():
        user = await get_account(db, user_id=user_id)
        if problem := stale(if_match, user.version):
            raise problem
        # recorded first: the row must reference the account while it still exists (the
        # delete then sets its user_id to NULL like every other row of the account)
        await _audit(db, AuditAction.ACCOUNT_DELETE, user_id, context)
        if not await db.execute("users/delete", user_id=user_id, versions=[user.version]):
            raise _concurrent_update()
