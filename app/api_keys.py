"""Personal API keys: long-lived bearer credentials a user makes for their own scripts.

Routes: `GET/POST /v1/me/api-keys`, `GET/DELETE /v1/me/api-keys/{key_id}`. They need an
access token: a key never manages keys (nor the account, its logins or its webhooks; see
app/core/security.py for what a key may call).

* A key is `kin_<key id, 32 hex digits>_<32 random bytes, base64url>`: the recognisable
  prefix lets secret scanners find a leaked key, the id lets the server find its row by
  primary key and lets the list name a key without showing it. Only the SHA-256 of the key
  is stored (it is high-entropy: a fast hash is right, as for refresh tokens); the key is in
  the answer to its create, once, and nowhere else (not in a replay, a list, a log or the
  audit log).
* `scopes`: `read` (GET only) and/or `write` (every method; write includes read).
  `expires_at` (optional, in the future): from then on the key answers 401 `token_expired`.
* Revoking (DELETE) deletes the row and tells every server at commit (the ended-logins
  notification, login_id = the key id): the key answers 401 at once, everywhere.
* `last_used_at` is written at most once a minute per key, not on every request.
* Creates are safe to retry with the client's own `id` (a replay answers 200 without the
  key: revoke it and make another if the first answer was lost).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Response, delete, get, post
from litestar.params import JSONBody

from app import audit
from app.core.calls import calling, shown_once
from app.core.db import Db
from app.core.enums import ApiKeyScope, AuditAction
from app.core.errors import NotFound, Unprocessable
from app.core.http import (
    CREATED_HEADERS,
    ETAG_HEADER,
    Violation,
    clean_name,
    constraint_errors,
    found,
    new_id,
    refused_write,
    replayed_or_conflict,
    responses,
)
from app.core.pagination import Keyset
from app.core.resource import Resource, listing
from app.core.security import API_KEY_PREFIX

KEY_BYTES = 32
ENTITY = "api_key"
_NOT_FOUND = "api_key_not_found"

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, description="1 to 100 characters")]
Scopes = Annotated[
    list[ApiKeyScope],
    msgspec.Meta(
        min_length=1,
        max_length=2,
        description="`read` (GET only) and/or `write` (every method; write includes read), "
        "each once",
        extra_json_schema={"uniqueItems": True},
    ),
]

_CONSTRAINTS = {
    "api_keys_expires_at_check": Violation(
        Unprocessable, "out_of_range", "`expires_at` must be in the future", "expires_at"
    ),
}
_CREATE_FIELDS = ("name", "scopes", "expires_at")


class ApiKey(msgspec.Struct):
    """A personal API key as listed: never the key itself."""

    id: UUID
    name: str
    scopes: list[ApiKeyScope]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    version: int


class ApiKeyWithKey(ApiKey, kw_only=True):
    """A key with its secret: the answer to its create, the only time the key is shown."""

    key: str


class ApiKeyPage(msgspec.Struct):
    items: list[ApiKey]
    next_cursor: str | None


class ApiKeyCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: UUID | None = None
    name: Name
    scopes: Scopes
    expires_at: (
        Annotated[datetime, msgspec.Meta(tz=True, description="RFC 3339, with an offset")] | None
    ) = None  # default: never

    def __post_init__(self) -> None:
        self.name = clean_name(self.name)
        if len(set(self.scopes)) != len(self.scopes):
            raise ValueError("`scopes` lists a scope twice")
        self.scopes = sorted(self.scopes, key=list(ApiKeyScope).index)


def new_key(key_id: UUID) -> str:
    return f"{API_KEY_PREFIX}{key_id.hex}_{secrets.token_urlsafe(KEY_BYTES)}"


def hash_key(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def _not_found() -> NotFound:
    return NotFound(_NOT_FOUND, "No such API key")


async def _audit(
    db: Db, user_id: UUID, action: AuditAction, key_id: UUID, metadata: dict[str, Any]
) -> None:
    await audit.record(
        db, user_id=user_id, action=action, entity_type=ENTITY, entity_id=key_id, metadata=metadata
    )


async def _find(db: Db, user_id: UUID, key_id: UUID) -> ApiKey | None:
    return await db.one("api_keys/get", ApiKey, key_id=key_id, user_id=user_id)


async def create_key(
    db: Db, *, user_id: UUID, data: ApiKeyCreate, context: dict[str, str]
) -> tuple[ApiKey, bool]:
    """The key (an ApiKeyWithKey when made now), and True when `data` replays an earlier
    create (nothing written, no key shown)."""
    if data.expires_at is not None and data.expires_at <= datetime.now(UTC):
        raise _CONSTRAINTS["api_keys_expires_at_check"].exception()
    key_id = data.id or new_id()
    key = new_key(key_id)
    with constraint_errors(_CONSTRAINTS):
        async with db.transaction():
            stored = await db.one(
                "api_keys/insert",
                ApiKey,
                key_id=key_id,
                user_id=user_id,
                name=data.name,
                scopes=[scope.value for scope in data.scopes],
                key_hash=hash_key(key),
                expires_at=data.expires_at,
            )
            if stored is not None:
                metadata = {"name": stored.name, "scopes": stored.scopes, **context}
                await _audit(db, user_id, AuditAction.CREATE, key_id, metadata)
                fields = {f: getattr(stored, f) for f in stored.__struct_fields__}
                return ApiKeyWithKey(**fields, key=key), False
    existing = await _find(db, user_id, key_id)
    return replayed_or_conflict(existing, data, _CREATE_FIELDS, "API key"), True


# the order of the list: newest first
BY_CREATION = Keyset.of(ApiKey, "created_at", "id")


async def list_keys(db: Db, *, user_id: UUID, limit: int, cursor: str | None) -> ApiKeyPage:
    """A page of the user's keys, newest first."""
    before = BY_CREATION.after(cursor)
    rows = await db.many(
        "api_keys/list",
        ApiKey,
        user_id=user_id,
        before_created_at=before[0],
        before_id=before[1],
        limit=limit + 1,
    )
    return ApiKeyPage(*BY_CREATION.page(rows, limit))


async def get_key(db: Db, *, user_id: UUID, key_id: UUID) -> ApiKey:
    return found(await _find(db, user_id, key_id), _not_found)


async def revoke_key(
    db: Db,
    *,
    user_id: UUID,
    key_id: UUID,
    if_match: list[int] | None,
    context: dict[str, str],
) -> None:
    """Delete one of the user's keys; every server refuses it from the commit on."""
    async with db.transaction():
        name = await db.scalar("api_keys/revoke", key_id=key_id, user_id=user_id, if_match=if_match)
        if name is None:
            current = await _find(db, user_id, key_id)
            raise refused_write(current and current.version, if_match, _not_found())
        await _audit(db, user_id, AuditAction.DELETE, key_id, {"name": name, **context})


# --- routes ------------------------------------------------------------------------------


KEYS = Resource("/v1/me/api-keys", "key_id", tags=["me"])

index = listing(
    list_keys,
    ApiKeyPage,
    operation_id="listApiKeys",
    summary="Your personal API keys",
    description="Your API keys, newest first: name, scopes, when made, last used (to the "
    "minute) and when they expire; never the keys themselves. Expired keys are listed until "
    "you revoke them. Cursor pagination.",
)
create = calling(
    post,
    "/",
    create_key,
    Response[ApiKey],
    body=JSONBody[ApiKeyCreate],
    context=audit.client_context,
    creates=KEYS.path,
    operation_id="createApiKey",
    summary="Make a personal API key",
    description="Makes a key for your own scripts: `name`, `scopes` (`read`: GET only; "
    "`write`: every method, reading included) and `expires_at` (optional, in the future; "
    "default: never). The answer carries the `key`, shown this once: send it as "
    "`Authorization: Bearer kin_...`. A key never manages your account, logins, keys or "
    "webhooks (403 `insufficient_scope`). Send your own `id` to make the request safe to "
    "retry: a replay answers 200 with the stored key's details, without the key.",
    response_headers=CREATED_HEADERS,
    responses=shown_once(
        ApiKeyWithKey,
        ApiKey,
        "Created: the key's details and the key, shown this once",
        409,
        422,
        codes={409: "id_conflict", 422: "out_of_range"},
    ),
)
show = calling(
    get,
    KEYS.item,
    get_key,
    Response[ApiKey],
    path_ids=(KEYS.param,),
    if_none_match=True,
    operation_id="getApiKey",
    summary="Get one of your API keys",
    description="One of your API keys' details (never the key).",
    response_headers=ETAG_HEADER,
    responses=responses(304, 404, codes={404: _NOT_FOUND}),
)
revoke = calling(
    delete,
    KEYS.item,
    revoke_key,
    None,
    path_ids=(KEYS.param,),
    context=audit.client_context,
    if_match=True,
    operation_id="revokeApiKey",
    summary="Revoke one of your API keys",
    description="Deletes the key: from now on it answers 401 `invalid_token`, on every "
    "server at once. 404 `api_key_not_found` when it is not one of your keys.",
    status_code=204,
    responses=responses(404, 412, codes={404: _NOT_FOUND}),
)
router = KEYS.router(index, create, show, revoke)
