"""The caller's own account: profile, password, email address, deletion.

`/v1/me` carries an ETag (its `version`): `If-None-Match` on GET gives 304, `If-Match` on
PATCH and DELETE gives 412 when stale. `email_verified` says whether the account's address
was proven by a mailed token (app/account_tokens.py); an email change waits, as
`pending_email`, until the new address is proven. Registration and login (`app.auth`) use
the account rules and rows defined here. The account's logins (`/v1/me/logins`) are served by
`app.tokens`, its audit history (`/v1/me/audit`) by `app.audit`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar
from uuid import UUID

import msgspec
from litestar import Request, Response, Router, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from app import account_tokens, audit, changelog, throttle, tokens
from app.account_tokens import normalize_email
from app.audit import client_context
from app.core.config import Settings
from app.core.db import Db
from app.core.enums import AuditAction, ChangeEventType, WeightUnit
from app.core.errors import ApiError, Conflict, Forbidden, Unauthorized, Unprocessable, field_error
from app.core.http import (
    CONTROL_CHARACTERS,
    ETAG_HEADER,
    NO_CONTROL_CHARACTERS,
    IfMatch,
    IfNoneMatch,
    conditional_get,
    if_match_versions,
    new_id,
    responses,
    sent_fields,
    stale,
    unset_to_none,
    with_etag,
)
from app.core.passwords import MAX_BYTES, Passwords, check_policy, normalize, provide_passwords
from app.core.security import CurrentUser
from app.mail import queue_email
from app.ratelimit import rate_limited

# Account bodies are a few short strings (a password is at most 1 KiB); anything bigger is
# refused with 413 before it is read in full.
ACCOUNT_BODY_LIMIT = 16 * 1024
DISPLAY_NAME_MAX = 100
PROFILE_FIELDS = ("display_name", "preferred_weight_unit")


class User(msgspec.Struct):
    id: UUID
    email: str
    display_name: str
    preferred_weight_unit: WeightUnit
    version: int
    created_at: datetime
    updated_at: datetime
    # with defaults, so documents written before they existed (exports) still read
    email_verified: bool = False
    pending_email: str | None = None


class Credentials(msgspec.Struct):
    id: UUID
    email: str
    password_hash: str
    version: int


class ProfileUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """The fields to change; those left out keep their value. A password change needs
    `current_password` and ends every other login of the account; so does an email change,
    which waits until the new address is verified."""

    # in the document: a new password or email without the current password is 422
    # (`current_password_required`), the current password alone too (`new_password_required`)
    json_schema_rules: ClassVar[dict[str, Any]] = {
        "dependentRequired": {
            "new_password": ["current_password"],
            "email": ["current_password"],
        },
        "dependentSchemas": {
            "current_password": {"anyOf": [{"required": ["new_password"]}, {"required": ["email"]}]}
        },
    }

    display_name: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=DISPLAY_NAME_MAX,
            extra_json_schema={"pattern": NO_CONTROL_CHARACTERS},
        ),
    ] | (msgspec.UnsetType) = msgspec.UNSET
    preferred_weight_unit: WeightUnit | msgspec.UnsetType = msgspec.UNSET
    new_password: (
        Annotated[
            str,
            msgspec.Meta(description="At least 10 characters, at most 1024 bytes; not your email"),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    current_password: Annotated[str, msgspec.Meta(max_length=MAX_BYTES)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    email: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=320,
                description="A new email address: mailed a verification code; it becomes the "
                "account's email once verified (until then it is `pending_email`)",
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET


class VerificationSent(msgspec.Struct):
    email: str
    message: str


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


DEPENDENCIES = {
    "passwords": Provide(provide_passwords, sync_to_thread=False),
    "settings": Provide(provide_settings, sync_to_thread=False),
}


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


# --- account rows ------------------------------------------------------------------------


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
    await changelog.record_one(
        db,
        user_id=user.id,
        event_type=ChangeEventType.PROFILE_UPDATED,
        entity_id=user.id,
        version=user.version,
        document=user,
    )
    return user


async def get_credentials_by_email(db: Db, *, email: str) -> Credentials | None:
    return await db.one("users/get_credentials_by_email", Credentials, email=email)


async def replace_password_hash(db: Db, *, user_id: UUID, old_hash: str, new_hash: str) -> None:
    """Store a new hash of the same password, unless the password changed meanwhile."""
    await db.execute(
        "users/update_password_hash", user_id=user_id, old_hash=old_hash, new_hash=new_hash
    )


# --- operations ----------------------------------------------------------------------------


def _account_gone() -> Unauthorized:
    return Unauthorized(
        "invalid_token",
        "The account of this access token no longer exists",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


async def _audit(
    db: Db, action: AuditAction, user_id: UUID, context: dict[str, str], **metadata: Any
) -> None:
    await audit.record_account_action(
        db, action=action, user_id=user_id, context=context, **metadata
    )


def _concurrent_update() -> Conflict:
    return Conflict("concurrent_update", "The account changed while this request ran; try again")


async def get_account(db: Db, *, user_id: UUID) -> User:
    """The caller's account; 401 when it was deleted after the access token was issued."""
    user = await get_user(db, user_id=user_id)
    if user is None:
        raise _account_gone()
    return user


async def update_profile(
    db: Db,
    *,
    passwords: Passwords,
    settings: Settings,
    user: CurrentUser,
    data: ProfileUpdate,
    if_match: str | None,
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
    if problem := stale(if_match_versions(if_match), account.version):
        raise problem
    if new_email == account.email:
        new_email = None  # the address it has: no change
    password_hash = await _checked_changes(
        db, passwords=passwords, settings=settings, account=account, data=data, context=context
    )
    if new_email is not None and await db.scalar("users/email_taken", email=new_email):
        raise email_taken()
    profile_fields = [name for name in sent_fields(data) if name in PROFILE_FIELDS]
    if password_hash is None and new_email is None and not profile_fields:
        return await get_account(db, user_id=user.id)  # nothing to change
    async with db.transaction():
        if password_hash is not None:
            await db.execute("account_tokens/cancel_email_change", user_id=user.id)
        if new_email is not None:
            await _start_email_change(db, user=user, account=account, new_email=new_email)
        changed = await db.one(
            "users/update",
            User,
            user_id=user.id,
            version=account.version,
            display_name=display_name,
            preferred_weight_unit=unset_to_none(data.preferred_weight_unit),
            password_hash=password_hash,
        )
        if changed is None:
            raise _concurrent_update()
        if password_hash is not None:
            ended = await tokens.end_other_logins(db, user_id=user.id, keep_login_id=user.login_id)
            await throttle.reset(db, email=account.email)
            await _audit(db, AuditAction.PASSWORD_CHANGE, user.id, context, ended_logins=ended)
        if new_email is not None:
            await _audit(db, AuditAction.EMAIL_CHANGE_REQUEST, user.id, context)
        await changelog.record_one(
            db,
            user_id=user.id,
            event_type=ChangeEventType.PROFILE_UPDATED,
            entity_id=user.id,
            version=changed.version,
            document=changed,
        )
    return changed


def email_taken() -> ApiError:
    return field_error(
        Conflict,
        "email_taken",
        "An account with this email already exists",
        field="email",
        problem="already has an account",
    )


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
    db: Db, *, user_id: UUID, if_match: str | None, context: dict[str, str]
) -> None:
    """Delete the account and all it owns; its audit rows stay, without the user id."""
    versions = if_match_versions(if_match)
    async with db.transaction():
        user = await get_account(db, user_id=user_id)
        if problem := stale(versions, user.version):
            raise problem
        # recorded first: the row must reference the account while it still exists (the
        # delete then sets its user_id to NULL like every other row of the account)
        await _audit(db, AuditAction.ACCOUNT_DELETE, user_id, context)
        if not await db.execute("users/delete", user_id=user_id, versions=[user.version]):
            raise _concurrent_update()


# --- routes ------------------------------------------------------------------------------


@get(
    "/",
    operation_id="getMe",
    summary="Your account",
    response_headers=ETAG_HEADER,
    responses=responses(304, takes_input=False),
)
async def get_me(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    if_none_match: IfNoneMatch = None,
) -> Response[User]:
    user = await get_account(db, user_id=current_user.id)
    return conditional_get(user, user.version, if_none_match)


@patch(
    "/",
    operation_id="updateMe",
    summary="Change your display name, preferred weight unit, password or email",
    description="A password or email change needs `current_password` (403 `wrong_password` "
    "when it is not correct; these checks count against the login throttle, 429 "
    "`too_many_attempts`). A password change ends every other login of the account (the "
    "login of the access token used stays) and cancels a pending email change. An email "
    "change mails a verification code to the new address and a notice to the current one; "
    "the account keeps its current email (the new one shows as `pending_email`) until the "
    "code is used at `POST /v1/auth/verify-email`. 409 `email_taken` when another account "
    "has the new address. 422 `weak_password`, `invalid_display_name`, `invalid_email`, "
    "`current_password_required`.",
    request_max_body_size=ACCOUNT_BODY_LIMIT,
    response_headers=ETAG_HEADER,
    responses=responses(
        412,
        413,
        codes={
            403: "wrong_password",
            409: "concurrent_update, email_taken",
            422: "weak_password, invalid_display_name, invalid_email, "
            "current_password_required, new_password_required",
            429: "too_many_attempts",
        },
    ),
)
async def update_me(
    data: JSONBody[ProfileUpdate],
    request: Request[Any, Any, Any],
    db: NamedDependency[Db],
    passwords: NamedDependency[Passwords],
    settings: NamedDependency[Settings],
    current_user: NamedDependency[CurrentUser],
    if_match: IfMatch = None,
) -> Response[User]:
    user = await update_profile(
        db,
        passwords=passwords,
        settings=settings,
        user=current_user,
        data=data,
        if_match=if_match,
        context=client_context(request),
    )
    return with_etag(user, user.version)


@delete(
    "/",
    operation_id="deleteMe",
    summary="Delete your account and all its data",
    description="Deletes the account, its workouts, sessions, sets, custom exercises and "
    "logins. The audit log keeps its rows, without the user id.",
    status_code=204,
    responses=responses(409, 412, codes={409: "concurrent_update"}, takes_input=False),
)
async def delete_me(
    request: Request[Any, Any, Any],
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    if_match: IfMatch = None,
) -> None:
    await delete_account(
        db, user_id=current_user.id, if_match=if_match, context=client_context(request)
    )


@post(
    "/verify-email",
    operation_id="resendVerificationEmail",
    summary="Send the verification email again",
    description="Mails a new verification code (the earlier one stops working) to the "
    "pending address of an email change, else to the account's address. 409 "
    "`email_already_verified` when there is nothing to verify. Limited per user (429 "
    "`rate_limited`).",
    status_code=202,
    opt=rate_limited("verify_email"),
    responses=responses(
        409,
        codes={409: "email_already_verified", 429: "rate_limited"},
        takes_input=False,
    ),
)
async def resend_verification_email(
    request: Request[Any, Any, Any],
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
) -> VerificationSent:
    return await resend_verification(db, user_id=current_user.id, context=client_context(request))


router = Router(
    "/v1/me",
    route_handlers=[get_me, update_me, delete_me, resend_verification_email],
    dependencies=DEPENDENCIES,
    tags=["me"],
)
