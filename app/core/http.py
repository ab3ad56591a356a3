"""HTTP conventions shared by the training resources (exercises, workouts, sessions, sets).

* **ETags.** A single resource's ETag is its row `version`, quoted (`"3"`). Every change of
  the resource bumps the version, so the ETag changes with the representation.
* **If-None-Match** on a GET: a matching ETag (weak comparison, `*` matches) gives 304 with
  no body.
* **If-Match** on a write: the write happens only when the stored version is one of the
  listed ETags (strong comparison; `*` matches any existing resource), else 412
  `etag_mismatch` with the current ETag in the response. The check is part of the UPDATE or
  DELETE statement itself (`version = ANY(%(if_match)s)`), so nothing can change in between.
* **Idempotent creates.** A create may carry the client's own `id` (a UUID; the server makes
  a UUIDv7 when absent). Replaying a create whose id is already stored returns the stored
  resource with **200** (nothing was created this time; 201 means "created by this
  request"), provided the stored content matches the request; otherwise 409 `id_conflict`
  naming the differing fields.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import AsyncGenerator, Callable, Generator, Iterable, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from uuid import UUID

import msgspec
import psycopg
from litestar import Response
from litestar.datastructures import ResponseHeader
from litestar.params import HeaderParameter
from psycopg.types.json import Jsonb

from app.core.db import Db

# how a route documents its errors, where the resources have always imported it from
from app.core.error_docs import replay_response as replay_response
from app.core.error_docs import responses as responses
from app.core.errors import (
    ApiError,
    Conflict,
    PreconditionFailed,
    Unprocessable,
)

T = TypeVar("T")


def new_id() -> UUID:
    """A UUIDv7 (RFC 9562): time-ordered, so new rows land at the end of the indexes."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= ((rand >> 64) & 0xFFF) << 64
    value |= 0b10 << 62  # RFC 9562 variant
    value |= rand & ((1 << 62) - 1)
    return UUID(int=value)


# --- ETags and conditional requests ---------------------------------------------------------


def etag(version: int) -> str:
    return f'"{version}"'


IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        required=False,
        description='Only write if the resource still has this ETag (e.g. `"3"`); 412 otherwise.',
    ),
]
IfNoneMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-None-Match",
        required=False,
        description="304 with no body if the resource still has this ETag.",
    ),
]

ETAG_HEADER = [
    ResponseHeader(
        name="ETag",
        description="The version of the resource, for If-Match and If-None-Match.",
        documentation_only=True,
    )
]
# What a create answers: the new resource's ETag and URL.
CREATED_HEADERS = [
    *ETAG_HEADER,
    ResponseHeader(
        name="Location",
        description="The path of the resource created (or replayed).",
        documentation_only=True,
    ),
]


class Stored(msgspec.Struct, kw_only=True):
    """What every resource a client edits shows last, whatever its own fields: its `version`
    (the ETag) and when it was created and last changed. (A Struct's keyword-only fields
    come after its other fields, so a subclass's own fields stand before these.)"""

    version: int
    created_at: datetime
    updated_at: datetime


_MAX_VERSION = 2**31 - 1  # versions are integer columns


def _etag_versions(header: str, *, weak: bool) -> list[int]:
    versions: list[int] = []
    for raw in header.split(","):
        tag = raw.strip()
        if tag.startswith("W/"):
            if not weak:
                continue  # If-Match uses the strong comparison: a weak tag never matches
            tag = tag[2:]
        digits = tag[1:-1]
        if (
            len(tag) >= 3
            and tag[0] == tag[-1] == '"'
            and digits.isascii()
            and digits.isdigit()
            and len(digits) <= 10
            and int(digits) <= _MAX_VERSION
        ):
            versions.append(int(digits))
    return versions


def if_match_versions(header: str | None) -> list[int] | None:
    """The versions an If-Match header accepts: None for no condition (absent, or `*`:
    any existing resource); otherwise a list, empty when no listed tag can match."""
    if header is None or header.strip() == "*":
        return None
    return _etag_versions(header, weak=False)


def none_match(header: str | None, version: int) -> bool:
    """True when If-None-Match names the current version (so a GET answers 304)."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return version in _etag_versions(header, weak=True)


def stale(if_match: list[int] | None, version: int) -> PreconditionFailed | None:
    """The 412 to answer when If-Match does not accept the stored `version`, else None."""
    if if_match is None or version in if_match:
        return None
    return PreconditionFailed(
        "etag_mismatch",
        "The resource has changed since you read it; fetch it again and retry",
        details=[{"current_etag": etag(version)}],
        headers={"ETag": etag(version)},
    )


def unset_to_none(value: T | msgspec.UnsetType) -> T | None:
    """A PATCH field as a query parameter: NULL (keep the stored value) when not sent."""
    return None if isinstance(value, msgspec.UnsetType) else value


def sent_fields(patch: msgspec.Struct) -> list[str]:
    """The fields a PATCH body sets."""
    return [f for f in patch.__struct_fields__ if getattr(patch, f) is not msgspec.UNSET]


def with_etag(body: T, version: int, *, status_code: int = 200) -> Response[T]:
    return Response(body, status_code=status_code, headers={"ETag": etag(version)})


def conditional_get(body: T, version: int, if_none_match: str | None) -> Response[T]:
    """The body with its ETag, or 304 Not Modified when the client already has it."""
    if none_match(if_none_match, version):
        return Response(
            content=None,  # type: ignore[arg-type]
            status_code=304,
            headers={"ETag": etag(version)},
        )
    return with_etag(body, version)


def created(body: T, version: int, location: str, *, replayed: bool) -> Response[T]:
    """201 with Location for a new resource; 200 when an idempotent create was replayed."""
    headers = {"ETag": etag(version), "Location": location}
    return Response(body, status_code=200 if replayed else 201, headers=headers)


# --- request validation (raised from __post_init__, answered as 400 with the location) ----

# C0 and C1 control characters: never part of a name, an email or a device label.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# the same, as the JSON Schema `pattern` of a text field that refuses them
NO_CONTROL_CHARACTERS = r"^[^\u0000-\u001f\u007f-\u009f]*$"


# free text a user writes (notes, descriptions)
Notes = Annotated[str, msgspec.Meta(max_length=10_000)]


class RequestBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A request body: every field is named, an unknown one is refused (400)."""


class CreateBody(RequestBody, kw_only=True):
    """The body of an idempotent create: the client's own `id` (a UUIDv7 is best), or none
    for the server to make one."""

    id: UUID | None = None


def clean_name(name: str) -> str:
    """Inner whitespace collapsed, ends trimmed; blank is refused."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValueError("`name` must not be blank")
    return cleaned


def decimals_at_most(value: float | None, places: int, field: str) -> None:
    """Refuse more decimals than stored exactly (JSON numbers print shortest-exact)."""
    if value is None:
        return
    exponent = Decimal(repr(value)).as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise ValueError(f"`{field}` has more than {places} decimals")


# --- idempotent creates ---------------------------------------------------------------------


def _comparable(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value)).normalize()
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, list | tuple):
        return [_comparable(item) for item in value]  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, datetime):
        return value.timestamp()
    return value


def differing_fields(request: msgspec.Struct, stored: object, fields: Iterable[str]) -> list[str]:
    """The fields the request sets (UNSET ones are skipped) whose value differs from the
    stored resource's."""
    differing: list[str] = []
    for field in fields:
        wanted = getattr(request, field)
        if wanted is msgspec.UNSET:
            continue
        if _comparable(wanted) != _comparable(getattr(stored, field)):
            differing.append(field)
    return differing


def replayed_or_conflict(
    stored: T | None, request: msgspec.Struct, fields: Iterable[str], what: str
) -> T:
    """The stored resource when `request` replays the create that made it; else 409."""
    if stored is None:
        raise Conflict("id_conflict", f"This id is already taken by a record other than a {what}")
    differing = differing_fields(request, stored, fields)
    if differing:
        raise Conflict(
            "id_conflict",
            f"A {what} with this id already exists with different content",
            details=[
                {"field": field, "message": "differs from the stored value"} for field in differing
            ],
        )
    return stored


# --- constraint violations ------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """How a named constraint violation is told to the client."""

    error: type[ApiError]
    code: str
    message: str
    field: str | None = None

    def exception(self) -> ApiError:
        details = [{"field": self.field, "message": self.message}] if self.field else None
        return self.error(self.code, self.message, details=details)


def translate(exc: psycopg.Error, known: Mapping[str, Violation]) -> Exception:
    """The client-facing error for a known constraint, else the database error unchanged
    (the generic handler then answers 409/422)."""
    constraint = exc.diag.constraint_name
    if constraint and constraint in known:
        return known[constraint].exception()
    return exc


@contextmanager
def constraint_errors(known: Mapping[str, Violation]) -> Generator[None]:
    """Tell the client which rule a write broke: a violated constraint named in `known`
    becomes its error; any other database error goes on to the generic handler.

        with constraint_errors(_CONSTRAINTS):
            async with db.transaction():
                ...
    """
    try:
        yield
    except psycopg.IntegrityError as exc:
        raise translate(exc, known) from None


@asynccontextmanager
async def writing(db: Db, known: Mapping[str, Violation]) -> AsyncGenerator[None]:
    """One transaction whose broken rules the client is told: a violated constraint named
    in `known` becomes its error, also one found at commit (see `constraint_errors`)."""
    with constraint_errors(known):
        async with db.transaction():
            yield


def refused_write(
    current_version: int | None, if_match: list[int] | None, not_found: ApiError
) -> ApiError:
    """Why a conditional UPDATE or DELETE touched no row, given the version stored now
    (None: no such row for this user): 412 when If-Match named another version, else 404."""
    if current_version is None:
        return not_found
    return stale(if_match, current_version) or not_found


def found(item: T | None, not_found: Callable[[], ApiError]) -> T:
    """`item`, or the error `not_found()` makes (a 404) when there is none for this user."""
    if item is None:
        raise not_found()
    return item


def out_of_range(field: str, message: str) -> Violation:
    return Violation(Unprocessable, "out_of_range", message, field)


# --- query parameters -----------------------------------------------------------------------


def exact(value: float | None) -> Decimal | None:
    """A JSON number as the exact decimal the client wrote (floats print shortest-exact)."""
    return None if value is None else Decimal(repr(value))


def enum_values(members: Iterable[StrEnum] | None) -> list[str] | None:
    """The values of `members` as a text[] parameter; None (no filter) when there are none."""
    return [member.value for member in members] if members else None


# --- JSON parameters ------------------------------------------------------------------------

_JSON = msgspec.json.Encoder(decimal_format="number")


def json_param(value: Any) -> Jsonb:
    """`value` (Structs, lists, Decimals as exact numbers) as a jsonb query parameter, for
    statements that unpack a whole list at once (jsonb_to_recordset, jsonb_array_elements)."""
    return Jsonb(value, dumps=lambda obj: _JSON.encode(obj).decode())
