"""One error shape for every failure, whatever raised it."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
import psycopg
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ExceptionHandlersMap
from psycopg import errors as pg
from psycopg_pool import PoolTimeout

log = logging.getLogger("kinetria.errors")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
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


class BadRequest(ApiError):
    status_code = 400


class Unauthorized(ApiError):
    status_code = 401


class Forbidden(ApiError):
    status_code = 403


class NotFound(ApiError):
    status_code = 404


class Conflict(ApiError):
    status_code = 409


class PreconditionFailed(ApiError):
    status_code = 412


class Unprocessable(ApiError):
    status_code = 422


class TooManyRequests(ApiError):
    status_code = 429


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
    body = ErrorBody(status_code, error_code, message, request_id_of(request), details)
    return Response(body, status_code=status_code, headers=headers, media_type=MediaType.JSON)


def _api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[ErrorBody]:
    return error_response(
        request, exc.status_code, exc.error_code, exc.message, exc.details, exc.headers
    )


def _http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorBody]:
    status = exc.status_code
    code = _STATUS_CODES.get(status, "error")
    details: list[dict[str, Any]] | None = None
    message = exc.detail
    if isinstance(exc, ValidationException):
        code = "validation_error"
        details = _validation_details(exc.extra)
        if message.startswith("Validation failed for"):
            message = "The request is not valid"
    elif status == 404:
        message = "No such resource"
    elif status == 405:
        message = f"Method {request.method} not allowed here"
    elif status == 413:
        message = "The request body is too large"
    return error_response(request, status, code, message, details, exc.headers)


def _validation_details(extra: Any) -> list[dict[str, Any]] | None:
    if not isinstance(extra, list) or not extra:
        return None
    details: list[dict[str, Any]] = []
    for item in extra:  # pyright: ignore[reportUnknownVariableType]
        if isinstance(item, dict):
            entry: dict[str, Any] = {"message": str(item.get("message", ""))}  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
            if item.get("key"):  # pyright: ignore[reportUnknownMemberType]
                entry["field"] = str(item["key"])  # pyright: ignore[reportUnknownArgumentType]
            if item.get("source"):  # pyright: ignore[reportUnknownMemberType]
                entry["source"] = str(item["source"])  # pyright: ignore[reportUnknownArgumentType]
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


def _pool_timeout(request: Request[Any, Any, Any], exc: PoolTimeout) -> Response[ErrorBody]:
    log.warning("no database connection in time", extra={"request_id": request_id_of(request)})
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
    HTTPException: _http_exception,
    PoolTimeout: _pool_timeout,
    psycopg.Error: _database_error,
    Exception: _unexpected,
}


def error_responses(*status_codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI declarations of the error responses a route can give."""
    return {
        code: ResponseSpec(data_container=ErrorBody, description=_STATUS_CODES.get(code, "error"))
        for code in status_codes
    }
