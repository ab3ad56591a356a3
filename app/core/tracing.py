"""W3C trace context for every request, and OpenTelemetry spans when an exporter is set.

Each request gets a trace id and a span id of its own: the trace id from a valid incoming
`traceparent` (its span becomes our parent), or a new one. Both are written into every log
line of the request beside its request id, and the response carries our `traceparent`, so a
caller can find the request in the logs. With `OTEL_EXPORTER_OTLP_ENDPOINT` set, the request
and each SQL file it runs are also spans exported by the OpenTelemetry SDK over OTLP/HTTP.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from random import getrandbits
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

    from app.core.config import Settings

# version 00 exactly, or a later version (anything but ff) whose first fields read the same
_TRACEPARENT = re.compile(rb"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


def parse_traceparent(value: bytes) -> tuple[str, str, str] | None:
    """(trace id, parent span id, flags) of a valid `traceparent`, else None."""
    match = _TRACEPARENT.fullmatch(value.strip())
    if match is None:
        return None
    version, trace_id, span_id, flags, rest = match.groups()
    if version == b"ff" or (version == b"00" and rest):
        return None
    trace, span = trace_id.decode(), span_id.decode()
    if trace == _ZERO_TRACE or span == _ZERO_SPAN:
        return None
    return trace, span, flags.decode()


class RequestContext:
    """What a request's log lines, SQL spans and queue time need; one per request."""

    __slots__ = (
        "flags",
        "otel_context",
        "request_id",
        "span",
        "span_id",
        "trace_id",
        "tracer",
    )

    def __init__(self, request_id: str, trace_id: str, span_id: str, flags: str) -> None:
        self.request_id = request_id
        self.trace_id = trace_id
        self.span_id = span_id
        self.flags = flags  # "01" sampled (recorded somewhere), "00" not
        self.span: Span | None = None
        self.otel_context: Context | None = None
        self.tracer: Tracer | None = None


current_request: ContextVar[RequestContext | None] = ContextVar("current_request", default=None)


def new_trace_id() -> str:
    # ids need to be unique, not secret: the fast generator, seeded from os.urandom
    return f"{getrandbits(128) or 1:032x}"


def new_span_id() -> str:
    return f"{getrandbits(64) or 1:016x}"


def tracer_provider(settings: Settings) -> TracerProvider | None:
    """The SDK's provider exporting over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set
    (the exporter reads that and the other standard OTEL_EXPORTER_OTLP_* variables)."""
    if not settings.otlp_endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=service_resource())
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def service_resource() -> Any:
    from opentelemetry.sdk.resources import Resource

    from app.core.build import build_info

    build = build_info()
    return Resource.create(
        {
            "service.name": "kinetria",
            "service.version": build.version,
            "vcs.revision": build.revision,
        }
    )


class Tracing:
    """Starts the spans of a request when a provider is set; ids only otherwise."""

    def __init__(self, provider: TracerProvider | None) -> None:
        self.provider = provider
        self.tracer: Tracer | None = provider.get_tracer("kinetria") if provider else None

    def start(self, request_id: str, traceparent: bytes | None, method: str) -> RequestContext:
        parent = parse_traceparent(traceparent) if traceparent else None
        if self.tracer is None:
            if parent is None:
                return RequestContext(request_id, new_trace_id(), new_span_id(), "00")
            return RequestContext(request_id, parent[0], new_span_id(), parent[2])
        from opentelemetry import trace
        from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

        parent_context = None
        if parent:
            remote = SpanContext(
                int(parent[0], 16),
                int(parent[1], 16),
                is_remote=True,
                trace_flags=TraceFlags(int(parent[2], 16)),
            )
            parent_context = trace.set_span_in_context(NonRecordingSpan(remote))
        span = self.tracer.start_span(
            method,
            context=parent_context,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
        )
        ids = span.get_span_context()
        flags = "01" if ids.trace_flags.sampled else "00"
        context = RequestContext(request_id, f"{ids.trace_id:032x}", f"{ids.span_id:016x}", flags)
        context.span = span
        context.otel_context = trace.set_span_in_context(span)
        context.tracer = self.tracer
        return context

    def shutdown(self) -> None:
        if self.provider is not None:
            self.provider.shutdown()


def end_request_span(context: RequestContext, method: str, route: str, status: int) -> None:
    span = context.span
    if span is None:
        return
    from opentelemetry.trace import Status, StatusCode

    span.update_name(f"{method} {route}")
    span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    span.set_attribute("kinetria.request_id", context.request_id)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))
    span.end()


def traceparent_header(context: RequestContext) -> bytes:
    return f"00-{context.trace_id}-{context.span_id}-{context.flags}".encode("ascii")
