"""The outermost layer: a request id for every request (accepted from `X-Request-ID` when
well-formed, else generated), echoed in the response; its W3C trace context (accepted from
`traceparent`, echoed as our own `traceparent`); its metrics; and one JSON log line per
request with who asked (client address, user agent, user id), what it answered (status,
size) and how long it took and waited. Never a header value that can hold a secret, never a
query string or a body."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.core.clients import TrustedProxies
from app.core.metrics import UNMATCHED_ROUTE, Metrics, current_metrics
from app.core.tracing import (
    RequestContext,
    Tracing,
    current_request,
    end_request_span,
    traceparent_header,
)

log = logging.getLogger("kinetria.access")

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")

_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
MAX_USER_AGENT = 256


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


def with_request_context(
    app: ASGIApp,
    *,
    metrics: Metrics | None = None,
    tracing: Tracing | None = None,
    trusted_proxies: TrustedProxies | None = None,
) -> ASGIApp:
    metrics = metrics or Metrics()
    tracing = tracing or Tracing(None)
    proxies = trusted_proxies or TrustedProxies(())
    observe_request = metrics.observe_request

    async def request_context(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming_id = traceparent = user_agent = forwarded = request_start = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming_id = value
            elif name == b"traceparent":
                traceparent = value
            elif name == b"user-agent":
                user_agent = value
            elif name == b"x-forwarded-for":
                forwarded = value if forwarded is None else forwarded + b"," + value
            elif name == b"x-request-start":
                request_start = value
        if incoming_id is not None and _VALID_REQUEST_ID.match(incoming_id):
            request_id = incoming_id.decode("ascii")
        else:
            request_id = uuid.uuid4().hex
        method: str = scope["method"]
        scope["state"]["request_id"] = request_id
        context = tracing.start(request_id, traceparent, method)
        id_token = current_request_id.set(request_id)
        context_token = current_request.set(context)
        metrics_token = current_metrics.set(metrics)
        trace_header = traceparent_header(context)
        status = 500
        size = 0
        metrics.in_flight_now += 1

        async def send_with_ids(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
                headers: list[Any] = list(message.get("headers", ()))
                headers.append((b"x-request-id", request_id.encode("ascii")))
                headers.append((b"traceparent", trace_header))
                message["headers"] = headers
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await app(scope, receive, send_with_ids)
        finally:
            metrics.in_flight_now -= 1
            current_metrics.reset(metrics_token)
            current_request.reset(context_token)
            current_request_id.reset(id_token)
            duration = time.perf_counter() - started
            route: str = scope.get("path_template") or UNMATCHED_ROUTE
            observe_request(route, method, status, duration)
            peer = scope.get("client")
            peer_host = peer[0] if peer else None
            wait = 0.0
            if request_start is not None and peer_host is not None and proxies.trusts(peer_host):
                wait = _proxy_queue_s(request_start)
            if context.db_at:
                wait += context.db_at - started
            if wait:
                metrics.observe_queued(wait)
            end_request_span(context, method, route, status)
            if log.isEnabledFor(logging.INFO):
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
                        "queued_ms": round(wait * 1000, 2),
                        "response_bytes": size,
                        "client": proxies.client_address(peer_host, forwarded),
                        "user_agent": user_agent[:MAX_USER_AGENT].decode("latin-1")
                        if user_agent
                        else None,
                        "user_id": str(user.id) if user is not None else None,
                    }
                )

    return request_context


_encode = msgspec.json.Encoder().encode


def route_of(scope: Scope) -> str:
    return scope.get("path_template") or scope["path"]


def note_connection_acquired() -> None:
    """Called when the request got its database connection: the end of its queue time."""
    context: RequestContext | None = current_request.get()
    if context is not None and not context.db_at:
        context.db_at = time.perf_counter()


def _write_access_line(entry: dict[str, Any]) -> None:
    """The request's line, in the JSON-lines format of app.core.logs, written straight to stderr:
    going through `logging` cost about a third of a simple request's CPU time (measured)."""
    sys.stderr.write(_encode(entry).decode() + "\n")  # line-buffered: one write per request
