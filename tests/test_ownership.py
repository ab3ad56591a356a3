"""Checks built from the registered routes (app.routes), so a new route cannot skip them:

* another user's id is 404 on every route and method that takes an id, and nothing of the
  owner's data changes;
* no list shows anything of another user's;
* every training route with a body refuses unknown fields (400, naming the field);
* every training route is documented well enough to generate a client from.

A new route whose path names an id this file does not know, or a new training route with
a body and no example here, fails the tests until it is added below.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from tests.api import Client, TokenClient, UserWithToken, register, signed_in
from tests.catalogue import BENCH_PRESS

PARAM = re.compile(r"\{(\w+):\w+\}")
TRAINING = re.compile(r"^/v1/(exercises|workouts|sessions|body-measurements|webhooks)(/|$)")
WRITES = {"POST", "PUT", "PATCH"}

# A valid body for every route that takes one (None: the body is optional), so that only
# the id can make the request fail.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/exercises"): {
        "name": "Matrix Lift",
        "category": "strength",
        "primary_muscle": "back",
    },
    ("PATCH", "/v1/exercises/{exercise_id:uuid}"): {"name": "Taken over"},
    ("POST", "/v1/workouts"): {"name": "Matrix plan"},
    ("PATCH", "/v1/workouts/{workout_id:uuid}"): {"name": "Taken over"},
    ("PUT", "/v1/workouts/{workout_id:uuid}/exercises"): [{"exercise_id": BENCH_PRESS}],
    ("POST", "/v1/sessions"): {"timezone": "UTC"},
    ("PATCH", "/v1/sessions/{session_id:uuid}"): {"notes": "taken over"},
    ("PUT", "/v1/sessions/{session_id:uuid}/exercises"): [
        {"exercise_id": BENCH_PRESS, "group": {"key": "A"}},
        {"exercise_id": BENCH_PRESS, "group": {"key": "A"}},
    ],
    ("POST", "/v1/sessions/{session_id:uuid}/finish"): None,
    ("POST", "/v1/sessions/{session_id:uuid}/abandon"): None,
    ("POST", "/v1/sessions/{session_id:uuid}/sets"): {"exercise_id": BENCH_PRESS, "reps": 5},
    ("PATCH", "/v1/sessions/{session_id:uuid}/sets/{set_id:uuid}"): {"reps": 1},
    ("POST", "/v1/body-measurements"): {"kind": "waist", "value": 80, "unit": "cm"},
    ("PATCH", "/v1/body-measurements/{measurement_id:uuid}"): {"value": 1},
    ("POST", "/v1/webhooks"): {"url": "https://hooks.example.com/taken"},
    ("PATCH", "/v1/webhooks/{webhook_id:uuid}"): {"description": "taken over"},
    ("POST", "/v1/webhooks/{webhook_id:uuid}/rotate-secret"): None,
    ("POST", "/v1/webhooks/{webhook_id:uuid}/test"): None,
    ("POST", "/v1/webhooks/{webhook_id:uuid}/deliveries/{delivery_id:uuid}/retry"): None,
    ("POST", "/v1/me/api-keys"): {"name": "Matrix key", "scopes": ["read"]},
}


def routes(app: Litestar) -> Iterator[tuple[str, str]]:
    """(method, path template) of every registered HTTP route, HEAD and OPTIONS aside."""
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                yield method, route.path


def owned_resources(user: TokenClient) -> dict[str, str]:
    """One of each kind of resource an id can name, all owned by `user`."""
    exercise = user.post(
        "/v1/exercises",
        json={"name": "Owned Row", "category": "strength", "primary_muscle": "back"},
    ).json()
    workout = user.post("/v1/workouts", json={"name": "Owned plan"}).json()
    user.put(f"/v1/workouts/{workout['id']}/exercises", json=[{"exercise_id": exercise["id"]}])
    session = user.post("/v1/sessions", json={"workout_id": workout["id"]}).json()
    logged = user.post(
        f"/v1/sessions/{session['id']}/sets",
        json={"exercise_id": exercise["id"], "reps": 8, "weight": 70},
    ).json()
    measurement = user.post(
        "/v1/body-measurements", json={"kind": "body_weight", "value": 81.5, "unit": "kg"}
    ).json()
    webhook = user.post("/v1/webhooks", json={"url": "https://hooks.example.com/owned"}).json()
    delivery = user.post(f"/v1/webhooks/{webhook['id']}/test").json()
    api_key = user.post("/v1/me/api-keys", json={"name": "Owned key", "scopes": ["read"]}).json()
    # a file above IMPORT_SYNC_MAX_BYTES (default 1 MiB) is queued: a background import
    queued = user.post("/v1/imports", params={"format": "hevy_csv"}, content=b"x" * (1_048_576 + 1))
    assert queued.status_code == 202, queued.text
    return {
        "key_id": api_key["id"],
        "import_id": queued.json()["id"],
        "webhook_id": webhook["id"],
        "delivery_id": delivery["id"],
        "exercise_id": exercise["id"],
        "workout_id": workout["id"],
        "session_id": session["id"],
        "set_id": logged["sets"][0]["id"],
        "measurement_id": measurement["id"],
    }


def registered_login(client: Client) -> tuple[TokenClient, str]:
    """A user registered through the API, signed in, and the id of their login."""
    owner = signed_in(client, register(client, f"owner-{uuid.uuid4().hex[:10]}@example.com"))
    logins = owner.get("/v1/me/logins").json()["items"]
    return owner, logins[0]["id"]


def snapshot(owner: TokenClient, ids: dict[str, str]) -> list[Any]:
    """What the owner sees of their resources."""
    return [
        owner.get(f"/v1/exercises/{ids['exercise_id']}").json(),
        owner.get(f"/v1/workouts/{ids['workout_id']}").json(),
        owner.get(f"/v1/sessions/{ids['session_id']}").json(),
        owner.get(f"/v1/body-measurements/{ids['measurement_id']}").json(),
        owner.get(f"/v1/webhooks/{ids['webhook_id']}").json(),
        owner.get(f"/v1/me/api-keys/{ids['key_id']}").json(),
        owner.get(f"/v1/imports/{ids['import_id']}").json(),
    ]


def fill(path: str, ids: dict[str, str]) -> str:
    return PARAM.sub(lambda match: ids[match.group(1)], path)


def test_another_users_ids_are_404_on_every_route_and_method(
    app: Litestar, client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann, bob = make_user(), make_user()
    anns = owned_resources(ann)
    bobs = owned_resources(bob)
    ann_login, anns["login_id"] = registered_login(client)
    bobs["login_id"] = str(uuid.uuid4())  # only used as a parent: logins have no children
    before = snapshot(ann, anns)

    checked: list[tuple[str, str]] = []
    for method, path in routes(app):
        params = PARAM.findall(path)
        if not params or not path.startswith("/v1/"):
            continue
        unknown = set(params) - anns.keys()
        assert not unknown, f"{method} {path}: teach this test how to make a {unknown}"
        if method in WRITES:
            assert (method, path) in BODIES or not TRAINING.match(path), (
                f"{method} {path}: add a valid body to BODIES"
            )
        body = BODIES.get((method, path))
        # all ids another user's; then, for nested routes, the caller's own parent with
        # another user's child
        variants = [anns]
        for split in range(1, len(params)):
            variants.append({**anns, **{p: bobs[p] for p in params[:split]}})
        for ids in variants:
            url = fill(path, ids)
            response = bob.request(method, url, json=body)
            assert response.status_code == 404, f"{method} {url}: {response.text}"
            assert response.json()["error_code"].endswith("not_found"), response.text
        checked.append((method, path))

    assert snapshot(ann, anns) == before
    assert ann_login.get("/v1/me/logins").json()["items"][0]["id"] == anns["login_id"]
    # the matrix really covered the training API
    assert {path for _, path in checked} >= {
        "/v1/exercises/{exercise_id:uuid}",
        "/v1/workouts/{workout_id:uuid}",
        "/v1/workouts/{workout_id:uuid}/exercises",
        "/v1/sessions/{session_id:uuid}",
        "/v1/sessions/{session_id:uuid}/finish",
        "/v1/sessions/{session_id:uuid}/abandon",
        "/v1/sessions/{session_id:uuid}/exercises",
        "/v1/sessions/{session_id:uuid}/sets",
        "/v1/sessions/{session_id:uuid}/sets/{set_id:uuid}",
        "/v1/body-measurements/{measurement_id:uuid}",
        "/v1/webhooks/{webhook_id:uuid}",
        "/v1/webhooks/{webhook_id:uuid}/rotate-secret",
        "/v1/webhooks/{webhook_id:uuid}/deliveries",
        "/v1/webhooks/{webhook_id:uuid}/deliveries/{delivery_id:uuid}/retry",
        "/v1/webhooks/{webhook_id:uuid}/test",
        "/v1/imports/{import_id:uuid}",
    }
    assert len(checked) >= 14


def test_no_list_shows_another_users_data(
    app: Litestar, make_user: Callable[..., UserWithToken]
) -> None:
    ann, bob = make_user(), make_user()
    anns = owned_resources(ann)
    ann.post(f"/v1/sessions/{anns['session_id']}/finish")
    owned_resources(bob)
    lists = [
        path
        for method, path in routes(app)
        if method == "GET" and path.startswith("/v1/") and not PARAM.search(path)
    ]
    assert {
        "/v1/exercises",
        "/v1/workouts",
        "/v1/sessions",
        "/v1/body-measurements",
        "/v1/webhooks",
        "/v1/imports",
    } <= set(lists)
    for path in lists:
        for query in ("", "?mine=true", "?status=completed", "?status=draft"):
            response = bob.get(path + query)
            if response.status_code != 200:
                continue  # a filter this list does not take
            for name, value in anns.items():
                assert value not in response.text, f"{path}{query} shows Ann's {name}"


@pytest.mark.parametrize(("method", "path"), sorted(BODIES))
def test_every_body_refuses_unknown_fields(
    make_user: Callable[..., UserWithToken], method: str, path: str
) -> None:
    ann = make_user()
    ids = owned_resources(ann)
    body = BODIES[(method, path)]
    if body is None:
        body, field = {"unexpected": 1}, "unexpected"
    elif isinstance(body, list):
        body, field = [{**body[0], "unexpected": 1}], "[0].unexpected"
    else:
        body, field = {**body, "unexpected": 1}, "unexpected"
    if path == "/v1/sessions":
        ann.post(f"/v1/sessions/{ids['session_id']}/abandon")
    response = ann.request(method, fill(path, ids), json=body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["error_code"] == "validation_error"
    assert error["details"][0]["field"] == field
    assert "unknown field" in error["details"][0]["message"]


def test_every_training_list_pages_with_bounded_limits(
    app: Litestar, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    lists = [
        path
        for method, path in routes(app)
        if method == "GET" and TRAINING.match(path) and not PARAM.search(path)
    ]
    assert len(lists) >= 3
    for path in lists:
        first = ann.get(f"{path}?limit=1")
        assert first.status_code == 200, path
        assert set(first.json()) == {"items", "next_cursor"}, path
        for query, code in (
            ("limit=0", "validation_error"),
            ("limit=101", "validation_error"),
            ("limit=many", "validation_error"),
            ("cursor=bm90LWEta2V5", "invalid_cursor"),
        ):
            response = ann.get(f"{path}?{query}")
            assert response.status_code == 400, f"{path}?{query}"
            assert response.json()["error_code"] == code, f"{path}?{query}"
        assert ann.get(f"{path}?limit=100").status_code == 200


def test_every_training_route_with_a_body_has_an_example_here(app: Litestar) -> None:
    for method, path in routes(app):
        if TRAINING.match(path) and method in WRITES:
            assert (method, path) in BODIES, f"{method} {path}: add a valid body to BODIES"


def test_every_training_route_is_documented(client: Client) -> None:
    document = client.get("/schema/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        if TRAINING.match(path)
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) >= 18
    operation_ids = [operation["operationId"] for _, _, operation in operations]
    assert len(operation_ids) == len(set(operation_ids))
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        assert operation.get("description"), where
        responses = operation["responses"]
        assert any(code.startswith("2") for code in responses), where
        assert {"400", "401"} <= responses.keys(), where
        if "{" in path:
            assert "404" in responses, where
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        if "If-Match" in headers:
            assert "412" in responses, where
        if "If-None-Match" in headers:
            assert "304" in responses, where
        for code, response in responses.items():
            if code[0] in "45":
                assert "error_code" in response["description"], f"{where} {code}"
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, where
        if method in {"post", "put", "patch"}:
            assert operation["requestBody"]["content"]["application/json"]["schema"], where
    # single resources document their ETag and conditional headers
    get_workout = document["paths"]["/v1/workouts/{workout_id}"]["get"]
    assert "ETag" in get_workout["responses"]["200"]["headers"]
    assert "If-None-Match" in {p["name"] for p in get_workout["parameters"]}


def test_another_users_ids_are_404_on_every_route_and_method_with_an_api_key(
    app: Litestar, client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    """The matrix above, with Bob calling through a personal API key that has every scope:
    404 where a key may call the route, 403 `insufficient_scope` where no key may (the
    account, its keys and logins, webhooks), and nothing of Ann's changes either way."""
    from app.core.security import key_may_call

    ann, bob = make_user(), make_user()
    anns = owned_resources(ann)
    bobs = owned_resources(bob)
    ann_login, anns["login_id"] = registered_login(client)
    bobs["login_id"] = str(uuid.uuid4())
    made = bob.post("/v1/me/api-keys", json={"name": "Bob's script", "scopes": ["read", "write"]})
    assert made.status_code == 201, made.text
    bob_key = TokenClient(client, made.json()["key"])
    before = snapshot(ann, anns)

    found = refused = 0
    for method, path in routes(app):
        params = PARAM.findall(path)
        if not params or not path.startswith("/v1/"):
            continue
        body = BODIES.get((method, path))
        variants = [anns]
        for split in range(1, len(params)):
            variants.append({**anns, **{p: bobs[p] for p in params[:split]}})
        for ids in variants:
            url = fill(path, ids)
            response = bob_key.request(method, url, json=body)
            if key_may_call(method, path):
                assert response.status_code == 404, f"{method} {url}: {response.text}"
                assert response.json()["error_code"].endswith("not_found"), response.text
                found += 1
            else:
                assert response.status_code == 403, f"{method} {url}: {response.text}"
                assert response.json()["error_code"] == "insufficient_scope", response.text
                refused += 1

    assert snapshot(ann, anns) == before
    assert ann_login.get("/v1/me/logins").json()["items"][0]["id"] == anns["login_id"]
    assert found >= 14  # the training API
    assert refused >= 8  # webhooks, keys, logins
