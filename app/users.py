"""The caller's own account: profile, password, deletion.

`/v1/me` carries an ETag (its `version`): `If-None-Match` on GET gives 304, `If-Match` on
PATCH and DELETE gives 412 when stale. Registration and login (`app.auth`) use the account
rules and rows defined here. The account's logins (`/v1/me/logins`) are served by
`app.tokens`, its audit history (`/v1/me/audit`) by `app.audit`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar
from uuid import UUID

import msgspec
from litestar import Request, Response, Router, delete, get, patch
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from app import audit, changelog, throttle, tokens
from app.audit import client_context
from app.core.config import Settings
from app.core.db import Db
from app.core.enums import AuditAction, ChangeEventType, WeightUnit
from app.core.errors import Conflict, Forbidden, Unauthorized, Unprocessable, field_error
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


class Credentials(msgspec.Struct):
    id: UUID
    email: str
    password_hash: str
    version: int


class ProfileUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """The fields to change; those left out keep their value. A password change needs
    `current_password` and ends every other login of the account."""

    # in the document: either password without the other is 422 (`current_password_required`,
    # `new_password_required`)
    json_schema_rules: ClassVar[dict[str, Any]] = {
        "dependentRequired": {
            "new_password": ["current_password"],
            "current_password": ["new_password"],
        }
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
        raise field_error(
            Conflict,
            "email_taken",
            "An account with this email already exists",
            field="email",
            problem="already has an account",
        )
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
    """Apply a PATCH of /v1/me; a password change ends every other login of the account."""
    _check_password_pair(data)
    display_name = unset_to_none(data.display_name)
    if display_name is not None:
        display_name = clean_display_name(display_name)
    account = await db.one("users/get_credentials", Credentials, user_id=user.id)
    if account is None:
        raise _account_gone()
    if problem := stale(if_match_versions(if_match), account.version):
        raise problem
    password_hash = await _password_change(
        db, passwords=passwords, settings=settings, account=account, data=data, context=context
    )
    profile_fields = [name for name in sent_fields(data) if name in PROFILE_FIELDS]
    if password_hash is None and not profile_fields:
        return await get_account(db, user_id=user.id)  # nothing to change
    async with db.transaction():
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
        await changelog.record_one(
            db,
            user_id=user.id,
            event_type=ChangeEventType.PROFILE_UPDATED,
            entity_id=user.id,
            version=changed.version,
            document=changed,
        )
    return changed


def _check_password_pair(data: ProfileUpdate) -> None:
    """Either password without the other is a malformed body, answered before If-Match."""
    new_unset = isinstance(data.new_password, msgspec.UnsetType)
    current_unset = isinstance(data.current_password, msgspec.UnsetType)
    if new_unset and not current_unset:
        raise field_error(
            Unprocessable,
            "new_password_required",
            "current_password is only used to change the password",
            field="new_password",
            problem="is required with current_password",
        )
    if current_unset and not new_unset:
        raise field_error(
            Unprocessable,
            "current_password_required",
            "Changing the password needs the current password",
            field="current_password",
            problem="is required with new_password",
        )


async def _password_change(
    db: Db,
    *,
    passwords: Passwords,
    settings: Settings,
    account: Credentials,
    data: ProfileUpdate,
    context: dict[str, str],
) -> str | None:
    """The hash of the new password a PATCH asks for, once the change is checked; None
    when it asks for none."""
    new_password, current_password = data.new_password, data.current_password
    if isinstance(new_password, msgspec.UnsetType) or isinstance(
        current_password, msgspec.UnsetType
    ):
        return None
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
    if normalize(new_password) == normalize(current_password):
        raise field_error(
            Unprocessable,
            "weak_password",
            "The password does not meet the policy",
            field="new_password",
            problem="must differ from the current one",
        )
    return await passwords.hash(new_password)


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
    summary="Change your display name, preferred weight unit or password",
    description="A password change needs `current_password` (403 `wrong_password` when it "
    "is not correct; these checks count against the login throttle, 429 "
    "`too_many_attempts`) and ends every other login of the account; the login of the "
    "access token used stays. 422 `weak_password`, `invalid_display_name`, "
    "`current_password_required`.",
    request_max_body_size=ACCOUNT_BODY_LIMIT,
    response_headers=ETAG_HEADER,
    responses=responses(
        412,
        413,
        codes={
            403: "wrong_password",
            409: "concurrent_update",
            422: "weak_password, invalid_display_name, current_password_required, "
            "new_password_required",
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


router = Router(
    "/v1/me",
    route_handlers=[get_me, update_me, delete_me],
    dependencies=DEPENDENCIES,
    tags=["me"],
)
