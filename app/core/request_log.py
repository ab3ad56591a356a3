"""The outermost layer: a request id for every request (accepted from `X-Request-ID` when
well-formed, else generated), echoed in the response, and one JSON log line per request.

It is also where a request's time starts (app/core/deadline.py): its arrival is stamped
before anything else runs, its body is received within `HTTP_BODY_TIMEOUT_S` (408) and
`MAX_BODY_BYTES` (413, told by Content-Length before reading, or while a chunked body
arrives), and a request still unanswered at its deadline is cancelled and answered 503. While
the server drains (app/core/lifecycle.py) every response closes its connection."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from app.core.config import Settings
from app.core.deadline import TIMING_KEY, Timing
from app.core.errors import ApiError, ErrorBody
from app.core.lifecycle import Lifecycle

log = logging.getLogger("kinetria.access")

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")

_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")


class BodyTooLarge(ApiError):
    status_code = 413


class BodyTimeout(ApiError):
    status_code = 408


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            return value.decode("ascii") if _VALID_REQUEST_ID.match(value) else None
    return None


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


_encode = msgspec.json.Encoder().encode


async def send_error(
    send: Send,
    status: int,
    error_code: str,
    message: str,
    request_id: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """An error in the one error shape, sent straight to the client (for what is refused
    before the app runs, or after it gave up)."""
    body = _encode(ErrorBody(status, error_code, message, request_id))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def with_request_context(
    app: ASGIApp, settings: Settings, lifecycle: Lifecycle | None = None
) -> ASGIApp:
    max_body = settings.max_body_bytes
    body_timeout_s = settings.http_body_timeout_s
    pool_timeout_s = settings.pool_timeout_s

    async def request_context(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        arrived = time.perf_counter()
        timing = Timing(arrived, pool_timeout_s)
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        method = scope["method"]
        scope["state"]["request_id"] = request_id
        scope["state"][TIMING_KEY] = timing
        token = current_request_id.set(request_id)
        status = 500
        started = False
        receiving = False
        received = 0
        draining = lifecycle is not None and lifecycle.draining

        async def receive_within_limits() -> ReceiveMessage:
            nonlocal receiving, received
            receiving = True
            began = time.perf_counter()
            try:
                async with asyncio.timeout_at(
                    asyncio.get_running_loop().time() + arrived + body_timeout_s - began
                ):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout(
                    "body_timeout",
                    f"The request body did not arrive within {body_timeout_s:g} s",
                ) from None
            finally:
                receiving = False
                timing.body_s += time.perf_counter() - began
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body:
                    raise BodyTooLarge("payload_too_large", "The request body is too large")
            return message

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, started
            if cut_short:
                return  # answered already, at the deadline
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers: list[Any] = list(message.get("headers", ()))
                headers.append((b"x-request-id", request_id.encode("ascii")))
                if draining or (lifecycle is not None and lifecycle.draining):
                    headers.append((b"connection", b"close"))
                message["headers"] = headers
            await send(message)

        def log_line() -> None:
            if log.isEnabledFor(logging.INFO):
                _write_access_line(request_id, method, route_of(scope), status, timing)

        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        cut_short = False
        app_done = False
        late: asyncio.Task[None] | None = None

        async def answer_late() -> None:
            """The 503 at the deadline, sent at once: a cancelled query can take psycopg
            seconds to give up (it asks the server to cancel it, then waits)."""
            nonlocal status
            status = 503
            try:
                await send_error(
                    send,
                    503,
                    "deadline_exceeded",
                    "The request took too long, try again shortly",
                    request_id,
                    [(b"retry-after", b"1"), (b"x-request-id", request_id.encode("ascii"))],
                )
                log_line()  # now, not when the cancelled query gives up
            finally:
                if task is not None and not app_done:
                    task.cancel()

        def at_deadline() -> None:
            nonlocal handle, cut_short, started, late
            if started or task is None:
                return
            left = timing.deadline() - time.perf_counter()
            if receiving or left > 0.001:  # the body's time moves the deadline on
                handle = loop.call_later(max(left, 0.01), at_deadline)
                return
            cut_short = started = True  # from now on, what the app sends is dropped
            late = loop.create_task(answer_late())

        handle = loop.call_later(timing.budget_s, at_deadline)
        try:
            length = _content_length(scope)
            if length is not None and length > max_body:
                status = 413
                await send_error(
                    send_with_request_id,
                    413,
                    "payload_too_large",
                    "The request body is too large",
                    request_id,
                    [(b"connection", b"close")],
                )
                return
            try:
                await app(scope, receive_within_limits, send_with_request_id)
            except asyncio.CancelledError:
                if not cut_short or task is None:
                    raise
                task.uncancel()
            finally:
                app_done = True
            if late is not None:
                await late
        finally:
            handle.cancel()
            current_request_id.reset(token)
            if late is None:
                log_line()

    return request_context


def route_of(scope: Scope) -> str:
    return scope.get("path_template") or scope["path"]


def _write_access_line(
    request_id: str, method: str, route: str, status: int, timing: Timing
) -> None:
    """The request's line, in the JSON-lines format of app.core.logs, written straight to stderr:
    going through `logging` cost about a third of a simple request's CPU time (measured).

    `duration_ms` runs from the request's arrival to its answer; of it, `body_ms` went to
    receiving the body, `queued_ms` to waiting for a database connection, and `handler_ms`
    is the rest (the handler, its queries, encoding)."""
    duration = time.perf_counter() - timing.arrived
    line = _encode(
        {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "info",
            "logger": log.name,
            "event": "request",
            "request_id": request_id,
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(duration * 1000, 2),
            "body_ms": round(timing.body_s * 1000, 2),
            "queued_ms": round(timing.queued_s * 1000, 2),
            "handler_ms": round((duration - timing.body_s - timing.queued_s) * 1000, 2),
        }
    )
    sys.stderr.write(line.decode() + "\n")  # stderr is line-buffered: one write per request
