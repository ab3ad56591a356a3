"""The caller's own account: profile, password, logins and audit history.

`/v1/me` carries an ETag (its `version`): `If-None-Match` on GET gives 304, `If-Match` on
PATCH and DELETE gives 412 when stale.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Response, Router, delete, get, patch
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from app import audit, throttle, tokens
from app.auth import (
    AUTH_BODY_LIMIT,
    DEPENDENCIES,
    DISPLAY_NAME_MAX,
    Credentials,
    User,
    clean_display_name,
    client_context,
)
from app.core.config import Settings
from app.core.db import Db
from app.core.enums import AuditAction, WeightUnit
from app.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
    error_responses,
)
from app.core.http import (
    ETAG_HEADER,
    IfMatch,
    IfNoneMatch,
    conditional_get,
    if_match_versions,
    stale,
    with_etag,
)
from app.core.pagination import CursorParam, LimitParam, decode_cursor, page_of
from app.core.passwords import MAX_BYTES, Passwords, check_policy, normalize
from app.core.security import CurrentUser
from app.tokens import Login


class ProfileUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """The fields to change; those left out keep their value. A password change needs
    `current_password` and ends every other login of the account."""

    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=DISPLAY_NAME_MAX)] | (
        msgspec.UnsetType
    ) = msgspec.UNSET
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


class LoginPage(msgspec.Struct):
    items: list[Login]
    next_cursor: str | None


class AuditEntry(msgspec.Struct):
    id: int
    action: AuditAction
    entity_type: str
    entity_id: UUID | None
    metadata: dict[str, Any]
    request_id: str
    created_at: datetime


class AuditPage(msgspec.Struct):
    items: list[AuditEntry]
    next_cursor: str | None


def _account_gone() -> Unauthorized:
    return Unauthorized(
        "invalid_token",
        "The account of this access token no longer exists",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


@get(
    "/",
    operation_id="getMe",
    summary="Your account",
    response_headers=ETAG_HEADER,
    responses={
        304: ResponseSpec(data_container=None, description="Your copy is current"),
        **error_responses(401),
    },
    tags=["me"],
)
async def get_me(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    if_none_match: IfNoneMatch = None,
) -> Response[User]:
    user = await db.one("users/get", User, user_id=current_user.id)
    if user is None:
        raise _account_gone()
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
    request_max_body_size=AUTH_BODY_LIMIT,
    response_headers=ETAG_HEADER,
    responses=error_responses(400, 401, 403, 409, 412, 413, 422, 429),
    tags=["me"],
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
    display_name = (
        None
        if isinstance(data.display_name, msgspec.UnsetType)
        else clean_display_name(data.display_name)
    )
    account = await db.one("users/get_credentials", Credentials, user_id=current_user.id)
    if account is None:
        raise _account_gone()
    if problem := stale(if_match_versions(if_match), account.version):
        raise problem
    context = client_context(request)
    password_hash = None
    if not isinstance(data.new_password, msgspec.UnsetType):
        password_hash = await _new_password_hash(
            db, passwords, settings, account, data.new_password, data.current_password, context
        )
    elif not isinstance(data.current_password, msgspec.UnsetType):
        raise Unprocessable(
            "new_password_required",
            "current_password is only used to change the password",
            details=[{"field": "new_password", "message": "is required with current_password"}],
        )
    profile_fields = [
        name
        for name in ("display_name", "preferred_weight_unit")
        if getattr(data, name) is not msgspec.UNSET
    ]
    if password_hash is None and not profile_fields:
        user = await db.one("users/get", User, user_id=current_user.id)
        if user is None:
            raise _account_gone()
        return with_etag(user, user.version)  # nothing to change
    async with db.transaction():
        user = await db.one(
            "users/update",
            User,
            user_id=current_user.id,
            version=account.version,
            display_name=display_name,
            preferred_weight_unit=None
            if isinstance(data.preferred_weight_unit, msgspec.UnsetType)
            else data.preferred_weight_unit,
            password_hash=password_hash,
        )
        if user is None:
            raise Conflict(
                "concurrent_update", "The account changed while this request ran; try again"
            )
        if password_hash is not None:
            ended = await tokens.end_other_logins(
                db, user_id=user.id, keep_login_id=current_user.login_id
            )
            await throttle.reset(db, email=account.email)
            await audit.record(
                db,
                user_id=user.id,
                action=AuditAction.PASSWORD_CHANGE,
                metadata={"ended_logins": ended, **context},
            )
        if profile_fields:
            await audit.record(
                db,
                user_id=user.id,
                action=AuditAction.PROFILE_UPDATE,
                metadata={"fields": profile_fields, **context},
            )
    return with_etag(user, user.version)


async def _new_password_hash(
    db: Db,
    passwords: Passwords,
    settings: Settings,
    account: Credentials,
    new_password: str,
    current_password: str | msgspec.UnsetType,
    context: dict[str, str],
) -> str:
    """Check a password change and hash the new password."""
    if isinstance(current_password, msgspec.UnsetType):
        raise Unprocessable(
            "current_password_required",
            "Changing the password needs the current password",
            details=[{"field": "current_password", "message": "is required with new_password"}],
        )
    check_policy(new_password, email=account.email, field="new_password")
    await throttle.count_attempt(
        db, settings, email=account.email, user_id=account.id, context=context
    )
    if not await passwords.verify(account.password_hash, current_password):
        async with db.transaction():
            await audit.record(
                db,
                user_id=account.id,
                action=AuditAction.LOGIN_FAILED,
                metadata={"reason": "wrong_current_password", **context},
            )
        raise Forbidden(
            "wrong_password",
            "The current password is not correct",
            details=[{"field": "current_password", "message": "is not correct"}],
        )
    if normalize(new_password) == normalize(current_password):
        raise Unprocessable(
            "weak_password",
            "The password does not meet the policy",
            details=[{"field": "new_password", "message": "must differ from the current one"}],
        )
    return await passwords.hash(new_password)


@delete(
    "/",
    operation_id="deleteMe",
    summary="Delete your account and all its data",
    description="Deletes the account, its workouts, sessions, sets, custom exercises and "
    "logins. The audit log keeps its rows, without the user id.",
    status_code=204,
    responses=error_responses(401, 409, 412),
    tags=["me"],
)
async def delete_me(
    request: Request[Any, Any, Any],
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    if_match: IfMatch = None,
) -> None:
    versions = if_match_versions(if_match)
    async with db.transaction():
        user = await db.one("users/get", User, user_id=current_user.id)
        if user is None:
            raise _account_gone()
        if problem := stale(versions, user.version):
            raise problem
        # recorded first: the row must reference the account while it still exists (the
        # delete then sets its user_id to NULL like every other row of the account)
        await audit.record(
            db,
            user_id=current_user.id,
            action=AuditAction.ACCOUNT_DELETE,
            metadata=client_context(request),
        )
        if not await db.execute("users/delete", user_id=current_user.id, versions=[user.version]):
            raise Conflict(
                "concurrent_update", "The account changed while this request ran; try again"
            )


@get(
    "/logins",
    operation_id="listLogins",
    summary="Your active logins",
    description="One item per device logged in (a live refresh token), newest first; "
    "`current` marks the login of the access token used.",
    responses=error_responses(400, 401),
    tags=["me"],
)
async def list_logins(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    limit: int = LimitParam,
    cursor: str | None = CursorParam,
) -> LoginPage:
    before = decode_cursor(cursor, tuple[datetime, UUID])
    rows = await tokens.list_logins(
        db,
        user_id=current_user.id,
        current_login_id=current_user.login_id,
        limit=limit + 1,
        before=before,
    )
    items, next_cursor = page_of(rows, limit, lambda login: (login.created_at, login.id))
    return LoginPage(items, next_cursor)


@delete(
    "/logins/{login_id:uuid}",
    operation_id="endLogin",
    summary="End one of your logins",
    description="Revokes the login's refresh token, so that device has to log in again "
    "(its current access token lapses within minutes). 404 `login_not_found` when it is "
    "not one of your active logins.",
    status_code=204,
    responses=error_responses(401, 404),
    tags=["me"],
)
async def end_login(
    request: Request[Any, Any, Any],
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    login_id: FromPath[UUID],
) -> None:
    async with db.transaction():
        if not await tokens.end_login(db, user_id=current_user.id, login_id=login_id):
            raise NotFound("login_not_found", "No such active login")
        await audit.record(
            db,
            user_id=current_user.id,
            action=AuditAction.LOGIN_REVOKE,
            metadata={"login_id": str(login_id), **client_context(request)},
        )


@get(
    "/audit",
    operation_id="listMyAuditLog",
    summary="Your audit history",
    description="What was done with your account and data, newest first.",
    responses=error_responses(400, 401),
    tags=["me"],
)
async def list_audit(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    limit: int = LimitParam,
    cursor: str | None = CursorParam,
) -> AuditPage:
    before = decode_cursor(cursor, tuple[int])
    rows = await db.many(
        "audit/list_for_user",
        AuditEntry,
        user_id=current_user.id,
        before_id=before[0] if before else None,
        limit=limit + 1,
    )
    items, next_cursor = page_of(rows, limit, lambda entry: (entry.id,))
    return AuditPage(items, next_cursor)


router = Router(
    "/v1/me",
    route_handlers=[get_me, update_me, delete_me, list_logins, end_login, list_audit],
    dependencies=DEPENDENCIES,
)
routes = [router]
