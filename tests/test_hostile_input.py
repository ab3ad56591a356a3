"""Hostile input is cheap to refuse: deep nesting, huge arrays and strings, invalid UTF-8,
another media type, bodies over the limit on every route (told by Content-Length before
anything is read, or while a chunked body arrives). Each gets its answer in the one error
shape; slow clients are in tests/test_faults.py (they need the real server)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator

import pytest
from litestar import Litestar

from tests.api import Client, UserWithToken

LIMIT = 1_048_576  # MAX_BODY_BYTES's default
IMPORT_LIMIT = 20 * 1_048_576  # IMPORT_MAX_BYTES's default: the import route takes files


def error_of(response_json: dict[str, object], status: int, code: str) -> None:
    assert response_json["status_code"] == status
    assert response_json["error_code"] == code
    assert response_json["message"]
    assert response_json["request_id"]


@pytest.fixture
def ann(make_user: Callable[..., UserWithToken]) -> UserWithToken:
    return make_user()


@pytest.fixture
def session_id(ann: UserWithToken) -> str:
    started = ann.post("/v1/sessions", json={})
    assert started.status_code == 201, started.text
    return started.json()["id"]


def every_route(app: Litestar) -> Iterator[tuple[str, str]]:
    """(method, path) of every route of the app, path parameters filled with a UUID."""
    for route in app.routes:
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route.path)
        for method in sorted(getattr(route, "methods", set()) - {"HEAD", "OPTIONS"}):
            yield method, path


def test_a_body_over_the_limit_is_413_on_every_route(client: Client, ann: UserWithToken) -> None:
    routes = list(every_route(client.app))
    assert len(routes) > 20
    for method, path in routes:
        limit, query = (IMPORT_LIMIT, "?format=hevy_csv") if path == "/v1/imports" else (LIMIT, "")
        declared = str(limit + 1).encode()
        # told by Content-Length: refused before any of the body is read (none is sent)
        response = ann.request(
            method, path + query, headers={"Content-Length": declared}, content=b""
        )
        assert response.status_code == 413, (method, path, response.text)
        error_of(response.json(), 413, "payload_too_large")


def test_a_chunked_body_over_the_limit_is_413(ann: UserWithToken, session_id: str) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b"["
        for _ in range(64):  # 64 x 64 KiB = 4 MiB, four times the limit
            sent += 1
            yield b"1," * 32_768

    response = ann.post(
        f"/v1/sessions/{session_id}/sets",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    error_of(response.json(), 413, "payload_too_large")


def test_deeply_nested_json_is_400(ann: UserWithToken, session_id: str) -> None:
    for nested in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000):
        response = ann.post(
            f"/v1/sessions/{session_id}/sets",
            content=nested,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400, response.text[:200]
        error_of(response.json(), 400, response.json()["error_code"])
    # where the body is an object: nesting inside a field
    deep = b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = ann.post("/v1/workouts", content=deep, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error_code"] == "validation_error"


def test_huge_arrays_and_strings_are_refused(ann: UserWithToken, session_id: str) -> None:
    exercise = {"exercise_id": str(uuid.uuid4()), "set_type": "normal", "reps": 5}
    too_many = ann.post(f"/v1/sessions/{session_id}/sets", json=[exercise] * 5_000)
    assert too_many.status_code == 400
    assert too_many.json()["error_code"] == "validation_error"
    long_name = ann.post("/v1/workouts", json={"name": "x" * 1_000_000})
    assert long_name.status_code == 400
    error_of(long_name.json(), 400, "validation_error")
    numbers = ann.post(
        f"/v1/sessions/{session_id}/sets",
        content=b"[" + b"1," * 400_000 + b"1]",
        headers={"Content-Type": "application/json"},
    )
    assert numbers.status_code == 400
    error_of(numbers.json(), 400, "validation_error")


def test_invalid_utf8_is_400(ann: UserWithToken) -> None:
    response = ann.post(
        "/v1/workouts",
        content=b'{"name": "Leg day \xff\xfe"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    error_of(response.json(), 400, response.json()["error_code"])


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_a_json_body_of_another_media_type_is_415(ann: UserWithToken, content_type: str) -> None:
    response = ann.post(
        "/v1/workouts", content=b'{"name": "Leg day"}', headers={"Content-Type": content_type}
    )
    assert response.status_code == 415
    error_of(response.json(), 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "application/x+json"]
)
def test_json_media_types_are_accepted(ann: UserWithToken, content_type: str) -> None:
    response = ann.post(
        "/v1/workouts", content=b'{"name": "Leg day"}', headers={"Content-Type": content_type}
    )
    assert response.status_code == 201, response.text


def test_null_is_not_a_value_of_a_query_parameter(
    make_user: Callable[..., UserWithToken],
) -> None:
    """`?exercise_id=null` was read as the parameter left out (all records answered): the
    document says parameters are never null, so it is a bad value, named; `q=null` is text."""
    user = make_user()
    for path, name in (
        ("/v1/stats/records?exercise_id=null", "exercise_id"),
        ("/v1/workouts?status=null", "status"),
        ("/v1/exercises?category=null", "category"),
        ("/v1/sessions?from=null", "from"),
    ):
        answer = user.get(path)
        assert answer.status_code == 400, (path, answer.text)
        assert answer.json()["error_code"] == "validation_error"
        assert answer.json()["details"][0] == {
            "message": "`null` is not a value here: leave the parameter out",
            "field": name,
            "source": "query",
        }
    assert user.get("/v1/exercises?q=null").status_code == 200


def test_an_optional_body_is_left_out_not_null(ann: UserWithToken, session_id: str) -> None:
    """The document gives `finish` and `abandon` an optional object, not `X | null`: a `null`
    body was taken as no body, so what the document refuses was accepted."""
    sent = {"content": b"null", "headers": {"Content-Type": "application/json"}}
    for action in ("finish", "abandon"):
        answer = ann.post(f"/v1/sessions/{session_id}/{action}", **sent)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error_code"] == "validation_error"
    assert ann.post(f"/v1/sessions/{session_id}/finish").status_code == 200
    assert ann.post(f"/v1/sessions/{session_id}/finish", json={}).status_code == 200


def test_an_instant_postgresql_cannot_store_is_named(ann: UserWithToken, session_id: str) -> None:
    """An offset of 16 hours or more gave 422 `constraint_violation` naming nothing, and an
    instant before year 1 in UTC a 500: both are 400 naming the field now."""
    exercise = ann.get("/v1/exercises?limit=1").json()["items"][0]["id"]
    for performed_at in ("2020-03-01T18:01:18+16:28", "0001-01-01T00:00:00+01:00"):
        sets = [{"exercise_id": exercise, "reps": 5}, {"exercise_id": exercise, "reps": 5}]
        sets[1]["performed_at"] = performed_at
        answer = ann.post(f"/v1/sessions/{session_id}/sets", json=sets)
        assert answer.status_code == 400, answer.text
        detail = answer.json()["details"][0]
        assert detail["field"] == "[1].performed_at"
        assert "offset within ±15:59" in detail["message"]
    fine = {"exercise_id": exercise, "reps": 5, "performed_at": "2020-03-01T18:01:18+14:00"}
    assert ann.post(f"/v1/sessions/{session_id}/sets", json=fine).status_code == 201
