"""The outermost layer: a request id for every request (accepted from `X-Request-ID` when
well-formed, else generated), echoed in the response; its W3C trace context (accepted from
`traceparent`, echoed as our own `traceparent`); its metrics; and one JSON log line per
request with who asked (client address, user agent, user id), what it answered (status,
size) and how long it took and waited. Never a header value that can hold a secret, never a
query string or a body.

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

from app.core.client_address import ClientAddresses
from app.core.config import Settings
from app.core.deadline import TIMING_KEY, Timing
from app.core.errors import ApiError, ErrorBody
from app.core.lifecycle import Lifecycle
from app.core.metrics import UNMATCHED_ROUTE, Metrics, current_metrics
from app.core.tracing import Tracing, current_request, end_request_span, traceparent_header

log = logging.getLogger("kinetria.access")

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")

_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
MAX_USER_AGENT = 256


class BodyTooLarge(ApiError, status=413): ...


class BodyTimeout(ApiError, status=408): ...


def _proxy_queue_s(value: bytes) -> float:
    """Seconds since a proxy's `X-Request-Start` (`t=<epoch>` in s, ms or µs), or 0."""
    try:
        stamp = float(value.decode("ascii").strip().removeprefix("t="))
    except ValueError:
        return 0.0
    if stamp > 1e14:
        stamp /= 1e6
    elif stamp > 1e11:
        stamp /= 1e3
    waited = time.time() - stamp
    return waited if 0 < waited < 3600 else 0.0


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


IMPORT_PATH = "/v1/imports"


def with_request_context(
    app: ASGIApp,
    settings: Settings,
    lifecycle: Lifecycle | None = None,
    *,
    metrics: Metrics | None = None,
    tracing: Tracing | None = None,
    addresses: ClientAddresses | None = None,
) -> ASGIApp:
    metrics = metrics or Metrics()
    tracing = tracing or Tracing(None)
    addresses = addresses or ClientAddresses((), "x-forwarded-for")
    observe_request = metrics.observe_request
    default_max_body = settings.max_body_bytes
    body_timeout_s = settings.http_body_timeout_s
    pool_timeout_s = settings.pool_timeout_s

    async def request_context(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        arrived = time.perf_counter()
        timing = Timing(arrived, pool_timeout_s)
        max_body = default_max_body
        if scope["path"] == IMPORT_PATH:  # an import file: its own limit and deadline
            max_body = settings.import_max_bytes
            timing.budget_s = settings.import_timeout_s
        incoming_id = traceparent = user_agent = request_start = length_text = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming_id = value
            elif name == b"traceparent":
                traceparent = value
            elif name == b"user-agent":
                user_agent = value
            elif name == b"x-request-start":
                request_start = value
            elif name == b"content-length":
                length_text = value
        if incoming_id is not None and _VALID_REQUEST_ID.match(incoming_id):
            request_id = incoming_id.decode("ascii")
        else:
            request_id = uuid.uuid4().hex
        method: str = scope["method"]
        scope["state"]["request_id"] = request_id
        scope["state"][TIMING_KEY] = timing
        context = tracing.start(request_id, traceparent, method)
        token = current_request_id.set(request_id)
        context_token = current_request.set(context)
        metrics_token = current_metrics.set(metrics)
        trace_header = traceparent_header(context)
        metrics.in_flight_now += 1
        size = 0
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
            nonlocal status, started, size
            if cut_short:
                return  # answered already, at the deadline
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers: list[Any] = list(message.get("headers", ()))
                headers.append((b"x-request-id", request_id.encode("ascii")))
                headers.append((b"traceparent", trace_header))
                if draining or (lifecycle is not None and lifecycle.draining):
                    headers.append((b"connection", b"close"))
                message["headers"] = headers
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        def finish() -> None:
            """The request's metrics, span and access line, once it is answered."""
            duration = time.perf_counter() - arrived
            route: str = scope.get("path_template") or UNMATCHED_ROUTE
            observe_request(route, method, status, duration)
            queued = timing.queued_s
            if request_start is not None and addresses.peer_is_trusted(scope):
                queued += _proxy_queue_s(request_start)
            if queued:
                metrics.observe_queued(queued)
            end_request_span(context, method, route, status)
            if not log.isEnabledFor(logging.INFO):
                return
            user = scope["state"].get("user")
            _write_access_line(
                {
                    "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "level": "info",
                    "logger": log.name,
                    "event": "request",
                    "request_id": request_id,
                    "trace_id": context.trace_id,
                    "span_id": context.span_id,
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(duration * 1000, 2),
                    "body_ms": round(timing.body_s * 1000, 2),
                    "queued_ms": round(queued * 1000, 2),
                    "handler_ms": round((duration - timing.body_s - timing.queued_s) * 1000, 2),
                    "response_bytes": size,
                    "client": addresses.of(scope),
                    "user_agent": user_agent[:MAX_USER_AGENT].decode("latin-1")
                    if user_agent
                    else None,
                    "user_id": str(user.id) if user is not None else None,
                }
            )

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
                finish()  # now, not when the cancelled query gives up
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
            length = int(length_text) if length_text is not None and length_text.isdigit() else None
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
            metrics.in_flight_now -= 1
            if late is None:
                finish()
            current_metrics.reset(metrics_token)
            current_request.reset(context_token)
            current_request_id.reset(token)

    return request_context


def route_of(scope: Scope) -> str:
    return scope.get("path_template") or scope["path"]


def _write_access_line(entry: dict[str, Any]) -> None:
    """The request's line, in the JSON-lines format of app.core.logs, written straight to stderr:
    going through `logging` cost about a third of a simple request's CPU time (measured).

    `duration_ms` runs from the request's arrival to its answer; of it, `body_ms` went to
    receiving the body, `queued_ms` to waiting for a database connection (plus, behind a
    trusted proxy that sends `X-Request-Start`, the wait before it reached us), and
    `handler_ms` is the rest (the handler, its queries, encoding)."""
    sys.stderr.write(_encode(entry).decode() + "\n")  # line-buffered: one write per request
