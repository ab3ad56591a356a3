from __future__ import annotations

import json
import logging

import pytest
from litestar import Litestar
from litestar.testing import TestClient


def test_well_formed_request_id_is_echoed(client: TestClient[Litestar]) -> None:
    response = client.get("/health", headers={"X-Request-ID": "mobile-1234.abc"})
    assert response.headers["x-request-id"] == "mobile-1234.abc"


@pytest.mark.parametrize("bad", [b"has spaces", b"x" * 200, "\u00fcn".encode(), b"semi;colon"])
def test_malformed_request_id_is_replaced(client: TestClient[Litestar], bad: bytes) -> None:
    response = client.get("/health", headers={b"X-Request-ID": bad})
    generated = response.headers["x-request-id"]
    assert generated.encode() != bad
    assert len(generated) == 32
    assert all(c in "0123456789abcdef" for c in generated)


def test_missing_request_id_is_generated_and_unique(client: TestClient[Litestar]) -> None:
    first = client.get("/health").headers["x-request-id"]
    second = client.get("/health").headers["x-request-id"]
    assert first
    assert second
    assert first != second


def test_request_id_reaches_error_body(client: TestClient[Litestar]) -> None:
    response = client.get("/nowhere", headers={"X-Request-ID": "req-42"})
    assert response.json()["request_id"] == "req-42"
    assert response.headers["x-request-id"] == "req-42"


def test_one_json_log_line_per_request(
    client: TestClient[Litestar], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    logging.getLogger("kinetria.access").setLevel(logging.INFO)
    try:
        client.get("/health", headers={"X-Request-ID": "log-me"})
        client.get("/missing", headers={"X-Request-ID": "log-me-too"})
    finally:
        logging.getLogger("kinetria.access").setLevel(logging.NOTSET)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    lines = [line for line in lines if line["logger"] == "kinetria.access"]
    assert [line["request_id"] for line in lines] == ["log-me", "log-me-too"]
    ok, missing = lines
    assert ok["method"] == "GET"
    assert ok["route"] == "/health"
    assert ok["status"] == 200
    assert ok["duration_ms"] >= 0
    assert ok["level"] == "info"
    assert ok["event"] == "request"
    assert missing["status"] == 404


def test_no_access_lines_above_info(
    client: TestClient[Litestar], capsys: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger("kinetria.access").setLevel(logging.WARNING)
    try:
        capsys.readouterr()
        client.get("/health")
        assert '"event":"request"' not in capsys.readouterr().err
    finally:
        logging.getLogger("kinetria.access").setLevel(logging.NOTSET)
