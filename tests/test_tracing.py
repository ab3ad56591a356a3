"""W3C trace context: accepted, propagated, in every log line of the request; OpenTelemetry
spans for the request and each SQL file (the SDK's in-memory exporter, no collector)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator

import pytest
from litestar.testing import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from app.core.config import ConfigError, load_settings
from app.core.tracing import parse_traceparent
from app.main import create_app
from tests.api import Client, UserWithToken
from tests.conftest import make_settings

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE}-{PARENT}-01"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (TRACEPARENT, (TRACE, PARENT, "01")),
        (f"00-{TRACE}-{PARENT}-00", (TRACE, PARENT, "00")),
        (f"01-{TRACE}-{PARENT}-01-future", (TRACE, PARENT, "01")),  # a later version
        (f"ff-{TRACE}-{PARENT}-01", None),
        (f"00-{TRACE}-{PARENT}-01-extra", None),  # version 00 has nothing more
        (f"00-{'0' * 32}-{PARENT}-01", None),
        (f"00-{TRACE}-{'0' * 16}-01", None),
        (f"00-{TRACE.upper()}-{PARENT}-01", None),
        ("00-abc-def-01", None),
        ("", None),
    ],
)
def test_traceparent_parsing(value: str, expected: tuple[str, str, str] | None) -> None:
    assert parse_traceparent(value.encode()) == expected


@pytest.fixture
def logged(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], list[dict[str, object]]]]:
    """The JSON lines written while the test runs: the access lines (straight to stderr) and
    the application's (through logging, in the same format)."""
    import io

    from app.core.logs import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("kinetria")
    saved = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    capsys.readouterr()

    def lines() -> list[dict[str, object]]:
        text = capsys.readouterr().err + stream.getvalue()
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved)


def test_an_incoming_trace_is_continued_and_in_every_log_line(
    db_url: str, logged: Callable[[], list[dict[str, object]]]
) -> None:
    # every statement is "slow", so the request writes an application log line of its own
    app = create_app(make_settings(db_url, slow_query_ms=0))
    with TestClient(app) as client:
        response = client.get("/health/ready", headers={"traceparent": TRACEPARENT})
    lines = logged()
    version, trace_id, span_id, flags = response.headers["traceparent"].split("-")
    assert (version, trace_id, flags) == ("00", TRACE, "01")
    assert span_id != PARENT
    assert len(span_id) == 16
    request_id = response.headers["x-request-id"]
    mine = [line for line in lines if line.get("request_id") == request_id]
    assert {line["event"] for line in mine} >= {"slow query", "request"}
    for line in mine:
        assert line["trace_id"] == TRACE
        assert line["span_id"] == span_id


def test_without_a_traceparent_each_request_starts_a_trace(client: Client) -> None:
    first = client.get("/health").headers["traceparent"]
    second = client.get("/health", headers={"traceparent": "garbage"}).headers["traceparent"]
    assert first.split("-")[1] != second.split("-")[1]
    assert first.endswith("-00")  # not sampled: nothing records it


def test_spans_for_the_request_and_each_sql_file(
    db_url: str, make_user: Callable[..., UserWithToken]
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(make_settings(db_url), tracer_provider=provider)
    with TestClient(app) as client:
        ann = make_user().on(client)
        workout = ann.post("/v1/workouts", json={"name": "Push A"}).json()
        exporter.clear()
        response = ann.get(f"/v1/workouts/{workout['id']}", headers={"traceparent": TRACEPARENT})
        missing = ann.get(f"/v1/workouts/{uuid.uuid4()}")
    assert response.status_code == 200
    assert missing.status_code == 404
    spans = exporter.get_finished_spans()
    traced = [s for s in spans if s.context is not None and f"{s.context.trace_id:032x}" == TRACE]
    server = next(s for s in traced if s.kind == SpanKind.SERVER)
    assert server.name == "GET /v1/workouts/{workout_id}"
    assert server.parent is not None
    assert f"{server.parent.span_id:016x}" == PARENT
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 200
    assert server.context is not None
    assert response.headers["traceparent"] == f"00-{TRACE}-{server.context.span_id:016x}-01"
    queries = [s for s in traced if s.kind == SpanKind.CLIENT]
    assert [s.name for s in queries] == ["workouts/get"]
    assert queries[0].parent is not None
    assert queries[0].parent.span_id == server.context.span_id
    assert queries[0].attributes is not None
    assert queries[0].attributes["db.system.name"] == "postgresql"
    assert all("SELECT" not in str(v) for s in spans for v in (s.attributes or {}).values())
    # the other request is a trace of its own, its status not an error (404 is the client's)
    other = [s for s in spans if s not in traced and s.kind == SpanKind.SERVER]
    assert len(other) == 1
    assert other[0].status.status_code != StatusCode.ERROR


def test_an_otlp_endpoint_turns_tracing_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.tracing import tracer_provider

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    settings = load_settings(read_dotenv=False)
    assert settings.otlp_endpoint == "http://127.0.0.1:4318"
    provider = tracer_provider(settings)
    assert provider is not None
    provider.shutdown()
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT")
    assert tracer_provider(load_settings(read_dotenv=False)) is None


# ---- client addresses (their rules: tests/test_ratelimit.py) ---------------------------


def test_trusted_proxies_setting_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
    assert load_settings(read_dotenv=False).trusted_proxies == ("10.0.0.0/8", "192.0.2.1")
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal")
    with pytest.raises(ConfigError, match=r"TRUSTED_PROXIES: .*proxy\.internal"):
        load_settings(read_dotenv=False)
    monkeypatch.setenv("TRUSTED_PROXIES", "")
    monkeypatch.setenv("METRICS_PORT", "70000")
    with pytest.raises(ConfigError, match="METRICS_PORT"):
        load_settings(read_dotenv=False)


def test_a_trusted_proxy_gives_the_client_address_and_queue_time(
    db_url: str, logged: Callable[[], list[dict[str, object]]]
) -> None:
    import asyncio
    import time

    import httpx

    app = create_app(make_settings(db_url, trusted_proxies=("10.0.0.0/8",)))
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Request-Start": f"t={time.time() - 0.25:.3f}"}

    async def call(peer: str) -> None:
        transport = httpx.ASGITransport(app=app, client=(peer, 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            assert (await http.get("/health", headers=headers)).status_code == 200

    asyncio.run(call("10.0.0.5"))  # the proxy
    asyncio.run(call("198.51.100.9"))  # a client sending the same headers itself
    proxied, direct = [line for line in logged() if line.get("event") == "request"]
    assert proxied["client"] == "203.0.113.7"
    assert 200 <= float(proxied["queued_ms"]) < 5000  # type: ignore[arg-type]
    assert direct["client"] == "198.51.100.9"
    assert direct["queued_ms"] == 0
