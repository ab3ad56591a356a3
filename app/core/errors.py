"""One error shape for every failure, whatever raised it.

Request bodies are checked here too, for every route alike: a JSON body is decoded strictly
against the handler's `data` type before Litestar converts it (leniently: it would take "5"
for 5), and a validation error names the exact location of the bad value (`[3].reps`,
`email`, or `body` for the whole body). Text PostgreSQL cannot store (U+0000, unpaired
surrogates) is refused the same way, in a body or in the query string, on every route.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import reduce
from operator import or_
from types import NoneType
from typing import Any
from urllib.parse import unquote_to_bytes

import msgspec
import psycopg
from litestar import MediaType, Request, Response
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import BodyKwarg, ParameterKwarg
from litestar.types import ExceptionHandlersMap
from psycopg import errors as pg
from psycopg_pool import PoolTimeout
from psycopg_pool import TooManyRequests as PoolFull

from app.core.metrics import count_error, count_pool_timeout

log = logging.getLogger("kinetria.errors")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable_entity",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """The body of every error response."""

    status_code: int
    error_code: str
    message: str
    request_id: str
    details: list[dict[str, Any]] | None = None


class ApiError(Exception):
    """Raised by handlers and functions for an error a client should see."""

    status_code = 400

    def __init_subclass__(cls, status: int | None = None, **kwargs: Any) -> None:
        """`class NotFound(ApiError, status=404)`: the HTTP status of that kind of error."""
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status_code = status

    def __init__(
        self,
        error_code: str,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.details = details
        self.headers = headers


class BadRequest(ApiError, status=400): ...


class Unauthorized(ApiError, status=401): ...


class Forbidden(ApiError, status=403): ...


class NotFound(ApiError, status=404): ...


class Conflict(ApiError, status=409): ...


class Gone(ApiError, status=410): ...


class PreconditionFailed(ApiError, status=412): ...


class Unprocessable(ApiError, status=422): ...


class TooManyRequests(ApiError, status=429): ...


class UnsupportedMediaType(ApiError, status=415): ...


def field_error(
    error: type[ApiError], error_code: str, message: str, *, field: str, problem: str
) -> ApiError:
    """An error about one field of the request body, with what is wrong with it."""
    return error(error_code, message, details=[{"field": field, "message": problem}])


def request_id_of(request: Request[Any, Any, Any]) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


def error_response(
    request: Request[Any, Any, Any],
    status_code: int,
    error_code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[ErrorBody]:
    count_error(error_code, status_code)
    body = ErrorBody(status_code, error_code, message, request_id_of(request), details)
    return Response(body, status_code=status_code, headers=headers, media_type=MediaType.JSON)


def _api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[ErrorBody]:
    return error_response(
        request, exc.status_code, exc.error_code, exc.message, exc.details, exc.headers
    )


def _http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorBody]:
    status = exc.status_code
    code = _STATUS_CODES.get(status, "error")
    message = exc.detail
    if status == 404:
        message = "No such resource"
    elif status == 405:
        message = f"Method {request.method} not allowed here"
        headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() != "allow"}
        allow = next((v for k, v in (exc.headers or {}).items() if k.lower() == "allow"), None)
        if allow:  # in the order OPTIONS lists them
            headers["Allow"] = ", ".join(sorted(m.strip() for m in allow.split(",")))
        exc.headers = headers
    elif status == 413:
        message = "The request body is too large"
    return error_response(request, status, code, message, None, exc.headers)


# --- validation: strict JSON bodies, and where the bad value is -----------------------------

_AT_PATH = re.compile(r"^(?P<message>.*) - at `\$(?P<path>[^`]*)`$", re.DOTALL)
_NAMED_FIELD = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<field>\w+)`$")
_DATA_PATH = re.compile(r"^\.data(?=$|[.\[])")


def _body_detail(message: str, path: str) -> dict[str, Any]:
    """A detail from a msgspec message and the location of the bad value in the body (a JSON
    path without its `$`: `.name`, `[3].reps`, or `` for the whole body)."""
    named = _NAMED_FIELD.search(message)  # a missing or unknown field is named, not located
    if named:
        path = f"{path}.{named['field']}"
    return {"message": message, "field": path.removeprefix(".") or "body", "source": "body"}


def _validation_error(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[ErrorBody]:
    """400 `validation_error`. A bad body value is told by its exact location, which
    Litestar does not keep (it names only `data`, or the first key of the path); parameters
    are told by Litestar's own details (name and source)."""
    cause = exc.__cause__
    match = _AT_PATH.match(str(cause)) if isinstance(cause, msgspec.ValidationError) else None
    body_path = _DATA_PATH.match(match["path"]) if match else None
    if match and body_path:
        details = [_body_detail(match["message"], match["path"][body_path.end() :])]
    else:
        details = _validation_details(exc.extra)
    message = exc.detail
    if message.startswith("Validation failed for"):
        message = "The request is not valid"
    return error_response(
        request, exc.status_code, "validation_error", message, details, exc.headers
    )


def _validation_details(extra: Any) -> list[dict[str, Any]] | None:
    if not isinstance(extra, list) or not extra:
        return None
    details: list[dict[str, Any]] = []
    for item in extra:  # pyright: ignore[reportUnknownVariableType]
        if isinstance(item, dict):
            entry: dict[str, Any] = {"message": str(item.get("message", ""))}  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
            if item.get("key"):  # pyright: ignore[reportUnknownMemberType]
                entry["field"] = str(item["key"])  # pyright: ignore[reportUnknownArgumentType]
            source = item.get("source")  # pyright: ignore[reportUnknownMemberType]
            if source:  # "body", or a ParamType: "query", "path", "header", "cookie"
                entry["source"] = str(source.value if isinstance(source, Enum) else source)
            details.append(entry)
    return details or None


# application/json, or a structured +json type, with or without parameters (charset)
_JSON_MEDIA_TYPE = re.compile(r"^\s*application/(?:[\w.+-]+\+)?json\s*(?:;|$)", re.IGNORECASE)
_BODY_DECODER = "strict_body_decoder"  # in a route handler's `opt`, set on its first request


def _strict_decoder(handler: HTTPRouteHandler) -> Callable[[bytes], object] | None:
    """A strict decoder of the handler's JSON body, or None when it takes none."""
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return None
    body = data.kwarg_definition
    if isinstance(body, BodyKwarg) and body.media_type != RequestEncodingType.JSON:
        return None
    kind: Any = data.raw
    if data.has_default and data.is_optional:  # an optional body is left out, never `null`
        kind = reduce(or_, [t.annotation for t in data.inner_types if t.annotation is not NoneType])
    decoder = msgspec.json.Decoder(kind, strict=True)

    # a plain function, not the Decoder: Litestar deep-copies route options per app
    def decode(content: bytes) -> object:
        return decoder.decode(content)

    return decode


# Text PostgreSQL cannot store in a text column: NUL, and UTF-16 surrogates (which JSON can
# escape one by one, `"\ud800"`, and Python keeps as they are).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_UNSTORABLE_MESSAGE = "Text must be UTF-8 without U+0000 (NUL) or unpaired surrogates"


def _unstorable_at(value: Any, path: str) -> str | None:
    """The location of the first text in a decoded JSON value that cannot be stored."""
    if isinstance(value, str):
        return path if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():  # pyright: ignore[reportUnknownVariableType]
            name = str(key)  # pyright: ignore[reportUnknownArgumentType]
            if _UNSTORABLE.search(name):
                return f"{path}.{name.encode('unicode_escape').decode()}"
            found = _unstorable_at(item, f"{path}.{name}")
            if found is not None:
                return found
    if isinstance(value, list):
        return _first_in(value, path, _unstorable_at)  # pyright: ignore[reportUnknownArgumentType]
    return None


def _first_in(items: list[Any], path: str, find: Callable[[Any, str], str | None]) -> str | None:
    """The first location `find` names among the items of a list at `path`."""
    for index, item in enumerate(items):
        found = find(item, f"{path}[{index}]")
        if found is not None:
            return found
    return None


def _unstorable_text(field: str, source: str) -> BadRequest:
    return BadRequest(
        "validation_error",
        "The request is not valid",
        details=[{"message": _UNSTORABLE_MESSAGE, "field": field, "source": source}],
    )


def check_text(request: Request[Any, Any, Any], body: bytes | None) -> None:
    """400 naming the query parameter or body field whose text cannot be stored."""
    raw: bytes = request.scope.get("query_string", b"")
    if b"%" in raw:  # what the query string can hide: %00, or bytes that are not UTF-8
        for part in raw.split(b"&"):
            name, _, value = part.partition(b"=")
            try:
                text = [unquote_to_bytes(x.replace(b"+", b" ")).decode() for x in (name, value)]
            except UnicodeDecodeError:
                text = None  # an encoded surrogate (%ED%A0%80) is not UTF-8 either
            if text is None or any(_UNSTORABLE.search(x) for x in text):
                field = unquote_to_bytes(name).decode(errors="replace")
                raise _unstorable_text(field.encode("unicode_escape").decode(), "query")
    if body and (b"\x00" in body or _UNSTORABLE_ESCAPE.search(body)):
        try:
            decoded = json.loads(body)  # keeps lone surrogates, which msgspec refuses to read
        except ValueError:
            return  # not JSON: the decoders answer it
        found = _unstorable_at(decoded, "")
        if found is not None:
            raise _unstorable_text(found.removeprefix(".") or "body", "body")


_NULLABLE_QUERY = "nullable_query_names"  # in a route handler's `opt`, set on its first request


def _nullable_query_names(handler: HTTPRouteHandler) -> frozenset[str]:
    """The query parameters of `X | None` with X not text: Litestar would read `null` in
    them as the parameter left out."""
    names: set[str] = set()
    for name, parameter in handler.parsed_fn_signature.parameters.items():
        kwarg = parameter.kwarg_definition
        if not parameter.is_optional or not isinstance(kwarg, ParameterKwarg):
            continue
        if kwarg.header or kwarg.cookie:
            continue
        if any(inner.annotation is str for inner in parameter.inner_types):
            continue
        names.add(kwarg.query or getattr(kwarg, "name", None) or name)
    return frozenset(names)


def check_null_query(request: Request[Any, Any, Any]) -> None:
    """400 for `?name=null` where `name` is not text: the document says a parameter is
    never null (leave it out), so `null` is a bad value, not an absent one."""
    handler = request.route_handler
    if _NULLABLE_QUERY not in handler.opt:
        handler.opt[_NULLABLE_QUERY] = _nullable_query_names(handler)
    names: frozenset[str] = handler.opt[_NULLABLE_QUERY]
    if not names or b"null" not in request.scope.get("query_string", b""):
        return
    for name, value in request.query_params.multi_items():
        if name in names and value == "null":
            raise BadRequest(
                "validation_error",
                "The request is not valid",
                details=[
                    {
                        "message": "`null` is not a value here: leave the parameter out",
                        "field": name,
                        "source": "query",
                    }
                ],
            )


async def check_json_body(request: Request[Any, Any, Any]) -> None:
    """`before_request` hook of the app: a JSON body that does not match its type exactly
    ("5" for an int, a number of seconds for a time) is 400 `validation_error` naming the
    bad value, before Litestar converts it leniently for the handler.

    The body is decoded twice: here into its type (the result is dropped), then again by
    Litestar for the handler. Its bytes are read once (Litestar keeps them), the decoder is
    built once per route, and a typed decode takes about a microsecond per set."""
    handler = request.route_handler
    if _BODY_DECODER not in handler.opt:
        handler.opt[_BODY_DECODER] = _strict_decoder(handler)
    decode: Callable[[bytes], object] | None = handler.opt[_BODY_DECODER]
    check_null_query(request)
    if decode is None:
        check_text(request, None)
        return
    body = await request.body()
    check_text(request, body)
    if not body:
        return  # an optional body left out, or a missing one Litestar answers
    content_type = request.headers.get("content-type")
    if content_type is not None and not _JSON_MEDIA_TYPE.match(content_type):
        raise UnsupportedMediaType(
            "unsupported_media_type",
            "The request body must be JSON (Content-Type: application/json)",
        )
    try:
        found = _bad_instant_at(decode(body), "")
    except msgspec.ValidationError as exc:
        match = _AT_PATH.match(str(exc))
        message, path = (match["message"], match["path"]) if match else (str(exc), "")
        raise BadRequest(
            "validation_error",
            "The request is not valid",
            details=[_body_detail(message, path)],
        ) from None
    except msgspec.DecodeError:
        return  # malformed JSON: Litestar answers it
    except UnicodeDecodeError:  # a string that is not UTF-8 (msgspec does not wrap it)
        raise BadRequest("bad_request", "The request body is not valid UTF-8") from None
    if found is not None:
        raise BadRequest(
            "validation_error",
            "The request is not valid",
            details=[{"message": _INSTANT_MESSAGE, "field": found or "body", "source": "body"}],
        )


# What PostgreSQL's timestamptz takes and Python reads back: offsets under 16 hours, and the
# instant in the years 1 to 9999 once in UTC (0001-01-01T00:00:00+01:00 is in year 0).
_MAX_OFFSET = timedelta(hours=16)
_INSTANT_MESSAGE = "An instant needs an offset within ±15:59 and a UTC time in the years 1 to 9999"


def _bad_instant(value: datetime) -> bool:
    offset = value.utcoffset()
    if offset is None:
        return False
    if abs(offset) >= _MAX_OFFSET:
        return True
    try:
        value.astimezone(UTC)
    except OverflowError:
        return True
    return False


def _bad_instant_at(value: object, path: str) -> str | None:
    """The location of the first date-time in a decoded body that cannot be stored."""
    if isinstance(value, datetime):
        return path.removeprefix(".") if _bad_instant(value) else None
    if isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            found = _bad_instant_at(getattr(value, name), f"{path}.{name}")
            if found is not None:
                return found
    if isinstance(value, list):
        return _first_in(value, path, _bad_instant_at)  # pyright: ignore[reportUnknownArgumentType]
    return None


def _database_error(request: Request[Any, Any, Any], exc: psycopg.Error) -> Response[ErrorBody]:
    constraint = exc.diag.constraint_name
    details = [{"constraint": constraint}] if constraint else None
    if isinstance(exc, pg.UniqueViolation):
        return error_response(request, 409, "conflict", "That already exists", details)
    if isinstance(exc, pg.ForeignKeyViolation):
        if "still referenced" in (exc.diag.message_detail or ""):
            return error_response(request, 409, "in_use", "Other records still use it", details)
        return error_response(
            request, 422, "invalid_reference", "A referenced record does not exist", details
        )
    if isinstance(exc, pg.IntegrityError | pg.DataError):
        return error_response(
            request, 422, "constraint_violation", "A value is out of the allowed range", details
        )
    if isinstance(exc, pg.QueryCanceled):
        log.warning("query cancelled", extra={"request_id": request_id_of(request)})
        return error_response(
            request, 503, "timeout", "The request took too long", None, {"Retry-After": "1"}
        )
    if isinstance(exc, psycopg.OperationalError):
        log.error(
            "database unavailable",
            extra={"request_id": request_id_of(request), "reason": type(exc).__name__},
        )
        return error_response(
            request,
            503,
            "database_unavailable",
            "The database is unavailable, try again shortly",
            None,
            {"Retry-After": "2"},
        )
    return _unexpected(request, exc)


def _pool_timeout(
    request: Request[Any, Any, Any], exc: PoolTimeout | PoolFull
) -> Response[ErrorBody]:
    log.warning("no database connection in time", extra={"request_id": request_id_of(request)})
    count_pool_timeout()
    return error_response(
        request,
        503,
        "service_unavailable",
        "The service is busy, try again shortly",
        None,
        {"Retry-After": "1"},
    )


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    log.error(
        "unhandled exception",
        exc_info=exc,
        extra={"request_id": request_id_of(request), "path": request.url.path},
    )
    return error_response(request, 500, "internal_error", "Something went wrong on our side")


exception_handlers: ExceptionHandlersMap = {
    ApiError: _api_error,
    ValidationException: _validation_error,
    HTTPException: _http_exception,
    PoolTimeout: _pool_timeout,
    PoolFull: _pool_timeout,  # DB_POOL_MAX_WAITING requests wait already
    psycopg.Error: _database_error,
    Exception: _unexpected,
}
