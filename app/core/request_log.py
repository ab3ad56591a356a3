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
from litestar.types import ASGIApp, HTTPScope, Message, Receive, ReceiveMessage, Scope, Send

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


class RequestLayer:
    """The ASGI layer around the app: what is fixed for every request, read once here; each
    HTTP request is an `_Exchange` of its own (one object, its state in slots)."""

    __slots__ = (
        "addresses",
        "app",
        "body_timeout_s",
        "default_max_body",
        "import_max_bytes",
        "import_timeout_s",
        "lifecycle",
        "metrics",
        "observe_request",
        "pool_timeout_s",
        "tracing",
    )

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        lifecycle: Lifecycle | None = None,
        *,
        metrics: Metrics | None = None,
        tracing: Tracing | None = None,
        addresses: ClientAddresses | None = None,
    ) -> None:
        self.app = app
        self.lifecycle = lifecycle
        self.metrics = metrics = metrics or Metrics()
        self.tracing = tracing or Tracing(None)
        self.addresses = addresses or ClientAddresses((), "x-forwarded-for")
        self.observe_request = metrics.observe_request
        self.default_max_body = settings.max_body_bytes
        self.body_timeout_s = settings.http_body_timeout_s
        self.pool_timeout_s = settings.pool_timeout_s
        # POST /v1/imports: a file, with its own limit and deadline
        self.import_max_bytes = settings.import_max_bytes
        self.import_timeout_s = settings.import_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await _Exchange(self, scope, receive, send).run()


class _Exchange:
    """One HTTP request on its way through the layer: its id, trace and timing, what was
    received and sent, and its deadline."""

    __slots__ = (
        "app_done",
        "arrived",
        "context",
        "cut_short",
        "draining",
        "handle",
        "late",
        "layer",
        "length_text",
        "loop",
        "max_body",
        "method",
        "receive",
        "received",
        "receiving",
        "request_id",
        "request_start",
        "scope",
        "send",
        "size",
        "started",
        "status",
        "task",
        "timing",
        "trace_header",
        "user_agent",
    )

    def __init__(self, layer: RequestLayer, scope: HTTPScope, receive: Receive, send: Send) -> None:
        self.arrived = arrived = time.perf_counter()
        self.timing = timing = Timing(arrived, layer.pool_timeout_s)
        self.max_body = layer.default_max_body
        if scope["path"] == IMPORT_PATH:
            self.max_body = layer.import_max_bytes
            timing.budget_s = layer.import_timeout_s
        incoming_id = traceparent = None
        self.user_agent = self.request_start = self.length_text = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming_id = value
            elif name == b"traceparent":
                traceparent = value
            elif name == b"user-agent":
                self.user_agent = value
            elif name == b"x-request-start":
                self.request_start = value
            elif name == b"content-length":
                self.length_text = value
        if incoming_id is not None and _VALID_REQUEST_ID.match(incoming_id):
            self.request_id = request_id = incoming_id.decode("ascii")
        else:
            self.request_id = request_id = uuid.uuid4().hex
        self.method = method = scope["method"]
        scope["state"]["request_id"] = request_id
        scope["state"][TIMING_KEY] = timing
        self.context = layer.tracing.start(request_id, traceparent, method)
        self.trace_header = traceparent_header(self.context)
        self.layer = layer
        self.scope = scope
        self.receive = receive
        self.send = send
        self.size = self.received = 0
        self.status = 500
        self.started = self.receiving = self.cut_short = self.app_done = False
        self.draining = layer.lifecycle is not None and layer.lifecycle.draining
        self.late: asyncio.Task[None] | None = None

    async def run(self) -> None:
        metrics = self.layer.metrics
        token = current_request_id.set(self.request_id)
        context_token = current_request.set(self.context)
        metrics_token = current_metrics.set(metrics)
        metrics.in_flight_now += 1
        self.loop = loop = asyncio.get_running_loop()
        self.task = task = asyncio.current_task()
        self.handle = loop.call_later(self.timing.budget_s, self.at_deadline)
        try:
            length_text = self.length_text
            length = int(length_text) if length_text is not None and length_text.isdigit() else None
            if length is not None and length > self.max_body:
                self.status = 413
                await send_error(
                    self.send_with_request_id,
                    413,
                    "payload_too_large",
                    "The request body is too large",
                    self.request_id,
                    [(b"connection", b"close")],
                )
                return
            try:
                await self.layer.app(
                    self.scope, self.receive_within_limits, self.send_with_request_id
                )
            except asyncio.CancelledError:
                if not self.cut_short or task is None:
                    raise
                task.uncancel()
            finally:
                self.app_done = True
            if self.late is not None:
                await self.late
        finally:
            self.handle.cancel()
            metrics.in_flight_now -= 1
            if self.late is None:
                self.finish()
            current_metrics.reset(metrics_token)
            current_request.reset(context_token)
            current_request_id.reset(token)

    async def receive_within_limits(self) -> ReceiveMessage:
        self.receiving = True
        began = time.perf_counter()
        body_timeout_s = self.layer.body_timeout_s
        try:
            async with asyncio.timeout_at(
                asyncio.get_running_loop().time() + self.arrived + body_timeout_s - began
            ):
                message = await self.receive()
        except TimeoutError:
            raise BodyTimeout(
                "body_timeout",
                f"The request body did not arrive within {body_timeout_s:g} s",
            ) from None
        finally:
            self.receiving = False
            self.timing.body_s += time.perf_counter() - began
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.max_body:
                raise BodyTooLarge("payload_too_large", "The request body is too large")
        return message

    async def send_with_request_id(self, message: Message) -> None:
        if self.cut_short:
            return  # answered already, at the deadline
        if message["type"] == "http.response.start":
            self.started = True
            self.status = message["status"]
            headers: list[Any] = list(message.get("headers", ()))
            headers.append((b"x-request-id", self.request_id.encode("ascii")))
            headers.append((b"traceparent", self.trace_header))
            lifecycle = self.layer.lifecycle
            if self.draining or (lifecycle is not None and lifecycle.draining):
                headers.append((b"connection", b"close"))
            message["headers"] = headers
        elif message["type"] == "http.response.body":
            self.size += len(message.get("body", b""))
        await self.send(message)

    def finish(self) -> None:
        """The request's metrics, span and access line, once it is answered."""
        layer = self.layer
        scope = self.scope
        timing = self.timing
        status = self.status
        method = self.method
        duration = time.perf_counter() - self.arrived
        route: str = scope.get("path_template") or UNMATCHED_ROUTE
        layer.observe_request(route, method, status, duration)
        queued = timing.queued_s
        if self.request_start is not None and layer.addresses.peer_is_trusted(scope):
            queued += _proxy_queue_s(self.request_start)
        if queued:
            layer.metrics.observe_queued(queued)
        end_request_span(self.context, method, route, status)
        if not log.isEnabledFor(logging.INFO):
            return
        user = scope["state"].get("user")
        user_agent = self.user_agent
        _write_access_line(
            {
                "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "level": "info",
                "logger": log.name,
                "event": "request",
                "request_id": self.request_id,
                "trace_id": self.context.trace_id,
                "span_id": self.context.span_id,
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(duration * 1000, 2),
                "body_ms": round(timing.body_s * 1000, 2),
                "queued_ms": round(queued * 1000, 2),
                "handler_ms": round((duration - timing.body_s - timing.queued_s) * 1000, 2),
                "response_bytes": self.size,
                "client": layer.addresses.of(scope),
                "user_agent": user_agent[:MAX_USER_AGENT].decode("latin-1") if user_agent else None,
                "user_id": str(user.id) if user is not None else None,
            }
        )

    async def answer_late(self) -> None:
        """The 503 at the deadline, sent at once: a cancelled query can take psycopg
        seconds to give up (it asks the server to cancel it, then waits)."""
        self.status = 503
        try:
            await send_error(
                self.send,
                503,
                "deadline_exceeded",
                "The request took too long, try again shortly",
                self.request_id,
                [(b"retry-after", b"1"), (b"x-request-id", self.request_id.encode("ascii"))],
            )
            self.finish()  # now, not when the cancelled query gives up
        finally:
            if self.task is not None and not self.app_done:
                self.task.cancel()

    def at_deadline(self) -> None:
        if self.started or self.task is None:
            return
        left = self.timing.deadline() - time.perf_counter()
        if self.receiving or left > 0.001:  # the body's time moves the deadline on
            self.handle = self.loop.call_later(max(left, 0.01), self.at_deadline)
            return
        self.cut_short = self.started = True  # from now on, what the app sends is dropped
        self.late = self.loop.create_task(self.answer_late())


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
