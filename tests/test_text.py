"""Text the database cannot store (U+0000, unpaired surrogates, bytes that are not UTF-8) is
refused at validation on every route, in a body or in the query string, with the field
named: 400 `validation_error`, never a 422 from the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from litestar.routes import HTTPRoute

from app.core.openapi import body_type
from tests.api import Client, UserWithToken, assert_error
from tests.test_security import concrete

NUL = "a\u0000b"


def _has_fields(kind: Any) -> bool:
    info = msgspec.inspect.type_info(kind)
    if isinstance(info, msgspec.inspect.Metadata):
        info = info.type
    if isinstance(info, msgspec.inspect.UnionType):
        info = next(t for t in info.types if not isinstance(t, msgspec.inspect.NoneType))
    return not isinstance(info, msgspec.inspect.StructType) or bool(info.fields)


def _text_field(kind: Any) -> tuple[Any, str]:
    """A body for `kind` whose first text field holds NUL, and where that field is."""
    info = msgspec.inspect.type_info(kind)
    if isinstance(info, msgspec.inspect.Metadata):
        info = info.type
    if isinstance(info, msgspec.inspect.UnionType):  # one object or a list of them
        info = next(t for t in info.types if isinstance(t, msgspec.inspect.StructType))
    if isinstance(info, msgspec.inspect.ListType):
        item = info.item_type
        assert isinstance(item, msgspec.inspect.StructType)
        name = item.fields[0].encode_name
        return [{name: NUL}], f"[0].{name}"
    assert isinstance(info, msgspec.inspect.StructType), kind
    name = info.fields[0].encode_name
    return {name: NUL}, name


def _every_operation(client: Client) -> list[tuple[str, str, Any]]:
    """(method, a concrete URL, handler) of every documented operation."""
    ops = [
        (method, concrete(route.path), handler)
        for route in client.app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if handler.resolve_include_in_schema()
        for method in sorted(handler.http_methods - {"OPTIONS"})
    ]
    assert len(ops) > 30
    return ops


def test_nul_in_the_query_is_refused_with_the_parameter_named_on_every_route(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    for method, url, _ in _every_operation(client):
        for query, field in (("q=a%00b", "q"), ("note=%ED%A0%80", "note"), ("x=%FF", "x")):
            response = ann.request(method, f"{url}?limit=5&{query}")
            body = assert_error(response, 400, "validation_error")
            assert body["details"][0]["field"] == field, (method, url, query)
            assert body["details"][0]["source"] == "query", (method, url)


def test_nul_in_any_body_field_is_refused_with_the_field_named_on_every_route(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    checked = 0
    for method, url, handler in _every_operation(client):
        kind = body_type(handler)
        if kind is None or not _has_fields(kind):  # no body, or an empty object (options)
            continue
        body, field = _text_field(kind)
        response = ann.request(method, url, json=body)
        error = assert_error(response, 400, "validation_error")
        assert error["details"][0]["field"] == field, (method, url)
        assert error["details"][0]["source"] == "body"
        checked += 1
    assert checked >= 14


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b'{"name": "Strength \\u0000A"}', "name"),
        (b'{"name": "lone \\ud800 surrogate"}', "name"),
        (b'{"name": "lone low \\udc00"}', "name"),
        (b'{"name": "Ok", "description": "a\\u0000"}', "description"),
    ],
)
def test_unstorable_text_in_a_workout_is_400_naming_the_field(
    client: Client, make_user: Callable[..., UserWithToken], content: bytes, field: str
) -> None:
    ann = make_user()
    response = ann.post(
        "/v1/workouts", content=content, headers={"Content-Type": "application/json"}
    )
    error = assert_error(response, 400, "validation_error")
    assert error["details"] == [
        {
            "message": "Text must be UTF-8 without U+0000 (NUL) or unpaired surrogates",
            "field": field,
            "source": "body",
        }
    ]
    assert ann.get("/v1/workouts").json()["items"] == []


def test_a_nul_in_a_batch_of_sets_names_the_set(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    session = ann.post("/v1/sessions", json={}).json()
    exercise = ann.get("/v1/exercises?limit=1").json()["items"][0]["id"]
    sets = [{"exercise_id": exercise, "reps": 5}, {"exercise_id": exercise, "notes": NUL}]
    response = ann.post(f"/v1/sessions/{session['id']}/sets", json=sets)
    error = assert_error(response, 400, "validation_error")
    assert error["details"][0]["field"] == "[1].notes"


def test_a_search_with_nul_is_refused_and_emoji_are_fine(
    client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    assert_error(ann.get("/v1/exercises?q=a%00b"), 400, "validation_error")
    assert ann.get("/v1/exercises?q=%F0%9F%98%80").status_code == 200
    made = ann.post("/v1/workouts", json={"name": "Leg day \U0001f9b5"})
    assert made.status_code == 201
    assert made.json()["name"] == "Leg day \U0001f9b5"


def test_public_routes_refuse_it_too(client: Client) -> None:
    response = client.post("/v1/auth/login", json={"email": NUL, "password": "x" * 12})
    assert assert_error(response, 400, "validation_error")["details"][0]["field"] == "email"
    response = client.get("/health?x=%00")
    assert assert_error(response, 400, "validation_error")["details"][0]["field"] == "x"
