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
from collections.abc import Callable, Generator, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar
from uuid import UUID

import msgspec
import psycopg
from litestar import Response
from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import HeaderParameter
from psycopg.types.json import Jsonb

from app.core.errors import (
    ApiError,
    Conflict,
    ErrorBody,
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


# --- OpenAPI --------------------------------------------------------------------------------

ERROR_STATUSES = {
    400: "The request is malformed (wrong type, missing or unknown field, bad parameter)",
    401: "Missing or invalid access token",
    403: "Forbidden",
    404: "Not found (or not yours)",
    408: "The request body did not arrive within HTTP_BODY_TIMEOUT_S",
    409: "Conflict",
    410: "Gone: what the cursor points at was pruned or has expired",
    412: "If-Match names a stale ETag",
    413: "The request body is too large",
    415: "The request body is not JSON (send Content-Type: application/json)",
    422: "The request is well-formed but not acceptable",
    429: "Too many requests; wait as long as Retry-After says",
    503: "The database is busy or unavailable; retry after Retry-After seconds",
}
_NOT_MODIFIED = "Not modified: the client's copy (If-None-Match) is current"
# Always the same: what the ETag check and the body limit answer.
_FIXED_CODES = {412: ["etag_mismatch"], 413: ["payload_too_large"]}
# Messages of the documented examples, for the codes whose message a client may show as is.
_EXAMPLE_MESSAGES = {
    "validation_error": "The request is not valid",
    "bad_request": "JSON is malformed. Input data was truncated",
    "payload_too_large": "The request body is too large",
    "missing_token": "This route needs an access token: Authorization: Bearer <token>",
    "invalid_token": "The access token is not valid",
    "token_expired": "The access token has expired",
    "etag_mismatch": "The resource has changed since you read it; fetch it again and retry",
    "workout_not_found": "No such workout",
    "service_unavailable": "The service is busy, try again shortly",
    "database_unavailable": "The database is unavailable, try again shortly",
    "timeout": "The request took too long",
    "deadline_exceeded": "The request took too long, try again shortly",
}


def error_example(status: int, code: str) -> dict[str, Any]:
    """An error body as the server sends it, for the document's examples."""
    example: dict[str, Any] = {
        "status_code": status,
        "error_code": code,
        "message": _EXAMPLE_MESSAGES.get(code, code.replace("_", " ").capitalize()),
        "request_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    }
    if code == "validation_error":
        example["details"] = [
            {"message": "Expected `int` >= 0", "field": "[3].reps", "source": "body"}
        ]
    elif code == "etag_mismatch":
        example["details"] = [{"current_etag": '"4"'}]
    return example


def rate_limited(method: str, path: str) -> bool:
    """Whether an operation is subject to a rate limit (429 `rate_limited`): sign-up, login,
    refresh, the password reset and the email verification per client address; every write
    and the statistics per user."""
    if path in (
        "/v1/auth/register",
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/auth/password-reset",
        "/v1/auth/password-reset/confirm",
        "/v1/auth/verify-email",
    ):
        return True
    if path.startswith("/health"):
        return False
    return method.lower() != "get" or path.startswith("/v1/stats/") or path.endswith("/history")


def responses(
    *status_codes: int,
    codes: Mapping[int, str] | None = None,
    public: bool = False,
    takes_input: bool = True,
) -> dict[int, ResponseSpec]:
    """OpenAPI declarations of a route's error responses, naming the `error_code`s each
    status can carry (`codes`, comma-separated). 400 (validation) is included unless the
    route has nothing a client can get wrong (`takes_input=False`: no body, query or typed
    header); 401 (access token) unless the route is `public`, where a 401 is listed only with
    its own codes. The document adds what every route of a kind answers (400
    `validation_error` everywhere, as every query string is checked; 413 with a body, 503
    with the database, 429 where limited; see app/core/openapi.py)."""
    codes = codes or {}
    implied = {400} if takes_input else set[int]()
    if not public:
        implied.add(401)
    specs: dict[int, ResponseSpec] = {}
    for status in sorted({*implied, *status_codes, *codes}):
        if status == 304:
            specs[status] = ResponseSpec(data_container=None, description=_NOT_MODIFIED)
            continue
        named = [c.strip() for c in codes.get(status, "").split(",") if c.strip()]
        named = [*_FIXED_CODES.get(status, []), *named]
        specs[status] = ResponseSpec(
            data_container=ErrorBody,
            generate_examples=False,
            description=ERROR_STATUSES.get(status, "Error"),
            examples=[Example(summary=code, value=error_example(status, code)) for code in named],
        )
    return specs


def error_codes_of(specs: Mapping[int, ResponseSpec]) -> dict[int, list[str]]:
    """The `error_code`s the declarations of `responses()` name, by status."""
    found: dict[int, list[str]] = {}
    for status, spec in specs.items():
        if spec.data_container is ErrorBody:
            found[status] = [e.summary for e in spec.examples or [] if e.summary]
    return found


def replay_response(container: type[Any]) -> dict[int, ResponseSpec]:
    return {
        200: ResponseSpec(
            data_container=container,
            description="A replay of an earlier create with the same id and content: "
            "the stored resource, nothing new created",
        )
    }


# --- JSON parameters ------------------------------------------------------------------------

_JSON = msgspec.json.Encoder(decimal_format="number")


def json_param(value: Any) -> Jsonb:
    """`value` (Structs, lists, Decimals as exact numbers) as a jsonb query parameter, for
    statements that unpack a whole list at once (jsonb_to_recordset, jsonb_array_elements)."""
    return Jsonb(value, dumps=lambda obj: _JSON.encode(obj).decode())
