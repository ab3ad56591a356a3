"""One error shape for every failure, whatever raised it.

A validation error names the exact location of the bad value (`[3].reps`, `email`, or
`body` for the whole body); the strict checks of every request body and query string that
raise them are in app/core/validation.py.
"""

from __future__ import annotations

import logging
import re
from enum import Enum
from typing import Any

import msgspec
import psycopg
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
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

# where a msgspec message locates the bad value: "<message> - at `$<path>`"
AT_PATH = re.compile(r"^(?P<message>.*) - at `\$(?P<path>[^`]*)`$", re.DOTALL)
_NAMED_FIELD = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<field>\w+)`$")
_DATA_PATH = re.compile(r"^\.data(?=$|[.\[])")


def body_detail(message: str, path: str) -> dict[str, Any]:
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
    match = AT_PATH.match(str(cause)) if isinstance(cause, msgspec.ValidationError) else None
    body_path = _DATA_PATH.match(match["path"]) if match else None
    if match and body_path:
        details = [body_detail(match["message"], match["path"][body_path.end() :])]
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
