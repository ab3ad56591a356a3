"""Every failure answers in the one error shape, whatever raised it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

import msgspec
import pytest
from litestar import Litestar, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody, QueryParameter
from litestar.testing import TestClient

from app.core.db import Db
from app.core.validation import check_json_body
from app.main import create_app
from tests.api import Client, assert_error
from tests.conftest import make_settings


class Thing(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    reps: Annotated[int, msgspec.Meta(ge=0, le=1000)]


@post("/test/things", opt={"public": True})
async def create_thing(data: JSONBody[Thing]) -> Thing:
    return data


@get("/test/page", opt={"public": True})
async def page(limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20) -> int:
    return limit


@get("/test/boom", opt={"public": True})
async def boom() -> None:
    raise RuntimeError("secret internals: password=hunter2")


@get("/test/unique", opt={"public": True})
async def unique(db: NamedDependency[Db]) -> None:
    await db.conn.execute(b"CREATE TEMP TABLE t (x int UNIQUE)")
    await db.conn.execute(b"INSERT INTO t VALUES (1), (1)")


@get("/test/check", opt={"public": True})
async def check(db: NamedDependency[Db]) -> None:
    await db.conn.execute(b"CREATE TEMP TABLE c (x int CHECK (x > 0))")
    await db.conn.execute(b"INSERT INTO c VALUES (-1)")


@get("/test/hold-two", opt={"public": True})
async def hold_two(db: NamedDependency[Db]) -> None:
    """Holds one pooled connection and asks for another from a pool of one."""
    async with db.conn.cursor() as cursor:
        await cursor.execute(b"SELECT 1")
    pool = client_app.state.pool
    async with pool.connection():
        pass


client_app: Litestar


@pytest.fixture
def error_client(db_url: str) -> Iterator[Client]:
    global client_app
    app = create_app(
        make_settings(
            db_url, pool_min_size=1, pool_max_size=1, pool_timeout_s=0.2, max_body_bytes=2048
        )
    )
    for handler in (create_thing, page, boom, unique, check, hold_two):
        app.register(handler)
    client_app = app
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_unknown_route_is_404(error_client: Client) -> None:
    assert_error(error_client.get("/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_405_with_allow(error_client: Client) -> None:
    response = error_client.delete("/health")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


def test_wrong_type_is_400_with_field_details(error_client: Client) -> None:
    body = assert_error(
        error_client.post("/test/things", json={"name": "x", "reps": "ten"}),
        400,
        "validation_error",
    )
    assert body["details"]
    assert any("reps" in str(detail) for detail in body["details"])  # type: ignore[union-attr]


def test_missing_unknown_and_out_of_range_fields_are_400(
    error_client: Client,
) -> None:
    missing = assert_error(
        error_client.post("/test/things", json={"name": "x"}), 400, "validation_error"
    )
    assert "reps" in str(missing["details"])
    unknown = assert_error(
        error_client.post("/test/things", json={"name": "x", "reps": 1, "extra": 1}),
        400,
        "validation_error",
    )
    assert "extra" in str(unknown["details"])
    out_of_range = assert_error(
        error_client.post("/test/things", json={"name": "x", "reps": 5000}),
        400,
        "validation_error",
    )
    assert "reps" in str(out_of_range["details"])


def test_a_number_in_a_string_is_a_wrong_type(error_client: Client) -> None:
    # Litestar alone converts leniently ("5" would be taken for 5); every JSON body is
    # checked strictly, on routes registered after the app was built too
    body = assert_error(
        error_client.post("/test/things", json={"name": "x", "reps": "5"}),
        400,
        "validation_error",
    )
    assert body["details"] == [
        {"message": "Expected `int`, got `str`", "field": "reps", "source": "body"}
    ]


def test_missing_and_unknown_fields_are_named(error_client: Client) -> None:
    missing = assert_error(
        error_client.post("/test/things", json={"name": "x"}), 400, "validation_error"
    )
    assert missing["details"] == [
        {"message": "Object missing required field `reps`", "field": "reps", "source": "body"}
    ]
    unknown = assert_error(
        error_client.post("/test/things", json={"name": "x", "reps": 1, "extra": 1}),
        400,
        "validation_error",
    )
    assert unknown["details"] == [
        {"message": "Object contains unknown field `extra`", "field": "extra", "source": "body"}
    ]
    whole = assert_error(error_client.post("/test/things", json=[]), 400, "validation_error")
    assert whole["details"] == [
        {"message": "Expected `object`, got `array`", "field": "body", "source": "body"}
    ]


def test_a_bad_query_parameter_is_named_with_its_source(
    error_client: Client,
) -> None:
    assert error_client.get("/test/page?limit=5").json() == 5
    for query, message in [
        ("limit=0", "Expected `int` >= 1"),
        ("limit=x", "Expected `int`, got `str`"),
    ]:
        body = assert_error(error_client.get(f"/test/page?{query}"), 400, "validation_error")
        assert body["details"] == [{"message": message, "field": "limit", "source": "query"}]


def test_no_route_replaces_the_strict_body_check(error_client: Client) -> None:
    # a router or handler with a before_request of its own would silently replace the app's
    handlers = [
        handler
        for route in error_client.app.routes
        for handler in route.route_handlers
        if isinstance(handler, HTTPRouteHandler)
    ]
    assert any(handler.handler_name == "create_thing" for handler in handlers)
    for handler in handlers:
        assert handler.resolve_before_request() is check_json_body, handler.handler_name


def test_malformed_json_is_400(error_client: Client) -> None:
    response = error_client.post(
        "/test/things",
        content=b'{"name": "x", "reps": ',
        headers={"content-type": "application/json"},
    )
    body = assert_error(response, 400, "bad_request")
    assert "truncated" in str(body["message"])


def test_oversized_body_is_413(error_client: Client) -> None:
    response = error_client.post("/test/things", json={"name": "x" * 5000, "reps": 1})
    assert_error(response, 413, "payload_too_large")


def test_unexpected_exception_is_500_without_internals(
    error_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="kinetria.errors"):
        response = error_client.get("/test/boom", headers={"X-Request-ID": "trace-500"})
    body = assert_error(response, 500, "internal_error")
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert body["request_id"] == "trace-500"
    logged = [r for r in caplog.records if getattr(r, "request_id", None) == "trace-500"]
    assert logged
    assert logged[0].exc_info is not None


def test_unique_violation_is_409(error_client: Client) -> None:
    body = assert_error(error_client.get("/test/unique"), 409, "conflict")
    assert "INSERT" not in str(body)


def test_check_violation_is_422(error_client: Client) -> None:
    assert_error(error_client.get("/test/check"), 422, "constraint_violation")


def test_pool_timeout_is_503_with_retry_after(error_client: Client) -> None:
    response = error_client.get("/test/hold-two")
    assert_error(response, 503, "service_unavailable")
    assert int(response.headers["retry-after"]) >= 1
    # the pool recovers: the next request gets its connection
    assert error_client.get("/health/ready").status_code == 200


def test_missing_token_is_401(error_client: Client) -> None:
    app = error_client.app

    @get("/test/private")
    async def private() -> str:
        return "secret"

    app.register(private)
    response = error_client.get("/test/private")
    assert_error(response, 401, "missing_token")
    bad = error_client.get("/test/private", headers={"Authorization": "Bearer nonsense"})
    assert_error(bad, 401, "invalid_token")
