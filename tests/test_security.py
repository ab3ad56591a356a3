"""Access tokens, deny by default, CORS and the security headers."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from app.core.config import ConfigError, load_settings
from app.core.security import DOCS_CSP, issue_access_token
from app.main import create_app
from tests.api import Client, assert_error, register, signed_in
from tests.conftest import TEST_JWT_SECRET, make_settings

# --- access tokens -------------------------------------------------------------------------


def b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_for(user_id: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "kinetria",
        "aud": "kinetria-api",
        "sub": user_id,
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    for name, value in changes.items():
        if value is None:
            claims.pop(name)
        else:
            claims[name] = value
    return claims


def signed(claims: dict[str, Any], key: str = TEST_JWT_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def unsigned(claims: dict[str, Any]) -> str:
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


BAD_TOKENS: dict[str, Any] = {
    "malformed": lambda user_id, refresh: "not-a-jwt",
    "three garbage parts": lambda user_id, refresh: "a.b.c",
    "alg none": lambda user_id, refresh: unsigned(claims_for(user_id)),
    "alg none, capitalised": lambda user_id, refresh: (
        f"{b64({'alg': 'None'})}.{b64(claims_for(user_id))}."
    ),
    "wrong key": lambda user_id, refresh: signed(
        claims_for(user_id), "another-secret-of-more-than-thirty-two-bytes"
    ),
    "other HMAC algorithm": lambda user_id, refresh: signed(claims_for(user_id), algorithm="HS512"),
    "tampered payload": lambda user_id, refresh: (
        signed(claims_for(str(uuid.uuid4()))).split(".")[0]
        + "."
        + b64(claims_for(user_id))
        + "."
        + signed(claims_for(str(uuid.uuid4()))).split(".")[2]
    ),
    "wrong audience": lambda user_id, refresh: signed(claims_for(user_id, aud="other-api")),
    "wrong issuer": lambda user_id, refresh: signed(claims_for(user_id, iss="someone-else")),
    "issued in the future": lambda user_id, refresh: signed(
        claims_for(user_id, iat=int(time.time()) + 3600, exp=int(time.time()) + 4000)
    ),
    "refresh type": lambda user_id, refresh: signed(claims_for(user_id, typ="refresh")),
    "no type": lambda user_id, refresh: signed(claims_for(user_id, typ=None)),
    "no issuer": lambda user_id, refresh: signed(claims_for(user_id, iss=None)),
    "no audience": lambda user_id, refresh: signed(claims_for(user_id, aud=None)),
    "no subject": lambda user_id, refresh: signed(claims_for(user_id, sub=None)),
    "no expiry": lambda user_id, refresh: signed(claims_for(user_id, exp=None)),
    "no issued-at": lambda user_id, refresh: signed(claims_for(user_id, iat=None)),
    "no token id": lambda user_id, refresh: signed(claims_for(user_id, jti=None)),
    "subject not a uuid": lambda user_id, refresh: signed(claims_for("admin")),
    "subject a number": lambda user_id, refresh: signed(claims_for(user_id, sub=12)),
    "login id not a uuid": lambda user_id, refresh: signed(claims_for(user_id, sid="x")),
    "refresh token as access token": lambda user_id, refresh: refresh,
}


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # HS512 forgery
@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_bad_access_tokens_are_401(client: Client, case: str) -> None:
    tokens = register(client)
    token = BAD_TOKENS[case](tokens["user"]["id"], tokens["refresh_token"])
    response = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "invalid_token")
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert set(response.json()) == {"status_code", "error_code", "message", "request_id"}


def test_the_forged_tokens_differ_only_in_what_is_wrong(client: Client) -> None:
    """The helpers above make tokens the API accepts when nothing is wrong with them."""
    tokens = register(client)
    good = signed(claims_for(tokens["user"]["id"]))
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_an_expired_access_token_is_401_token_expired(client: Client) -> None:
    tokens = register(client)
    now = int(time.time())
    expired = signed(claims_for(tokens["user"]["id"], iat=now - 1000, exp=now - 10))
    response = client.get("/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert_error(response, 401, "token_expired")
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer   ", "Basic YW5uOnB3", "Token abc"]
)
def test_missing_access_tokens_are_401(client: Client, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.get("/v1/me", headers=headers)
    assert_error(response, 401, "missing_token")
    assert response.headers["www-authenticate"] == "Bearer"


def test_access_tokens_are_short_lived_jwts_with_every_claim(client: Client) -> None:
    tokens = register(client)
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["alg"] == "HS256"
    claims = jwt.decode(
        tokens["access_token"], TEST_JWT_SECRET, algorithms=["HS256"], audience="kinetria-api"
    )
    assert set(claims) == {"iss", "aud", "sub", "exp", "iat", "jti", "typ", "sid"}
    assert claims["sub"] == tokens["user"]["id"]
    assert claims["typ"] == "access"
    assert claims["exp"] - claims["iat"] == tokens["expires_in"] == 900
    [current] = signed_in(client, tokens).get("/v1/me/logins").json()["items"]
    assert claims["sid"] == current["id"]
    again = client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    other = jwt.decode(
        again.json()["access_token"], TEST_JWT_SECRET, algorithms=["HS256"], audience="kinetria-api"
    )
    assert other["jti"] != claims["jti"]


def test_the_access_token_lifetime_is_configurable_up_to_15_minutes(db_url: str) -> None:
    with TestClient(create_app(make_settings(db_url, access_token_ttl_s=60))) as client:
        tokens = register(client)
    assert tokens["expires_in"] == 60
    claims = jwt.decode(
        tokens["access_token"], TEST_JWT_SECRET, algorithms=["HS256"], audience="kinetria-api"
    )
    assert claims["exp"] - claims["iat"] == 60


def test_longer_access_token_lifetimes_are_refused_at_startup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACCESS_TOKEN_TTL_S", "901")
    with pytest.raises(ConfigError, match="ACCESS_TOKEN_TTL_S"):
        load_settings(read_dotenv=False)


# --- deny by default -------------------------------------------------------------------------

# Everything a client may call without an access token. Anything else must answer 401.
PUBLIC_ROUTES = {
    ("GET", "/health"),
    ("GET", "/health/ready"),
    ("GET", "/metrics"),
    ("POST", "/v1/auth/register"),
    ("POST", "/v1/auth/login"),
    ("POST", "/v1/auth/refresh"),
    ("POST", "/v1/auth/password-reset"),
    ("POST", "/v1/auth/password-reset/confirm"),
    ("POST", "/v1/auth/verify-email"),
}
OPENAPI_PREFIX = "/schema"


def is_allowlisted(method: str, path: str) -> bool:
    if path == OPENAPI_PREFIX or path.startswith(OPENAPI_PREFIX + "/"):
        return method in ("GET", "HEAD", "OPTIONS")
    return (method, path) in PUBLIC_ROUTES


def concrete(path: str) -> str:
    """A request path for a route path: each parameter replaced by a value of its type."""
    values = {"uuid": str(uuid.uuid4()), "int": "1", "str": "x", "path": "x/y", "float": "1.5"}
    return re.sub(r"\{(\w+):(\w+)\}", lambda m: values.get(m.group(2), "x"), path).replace(
        "//", "/"
    )


def every_route(app: Litestar) -> list[tuple[str, str, Any]]:
    routes: list[tuple[str, str, Any]] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                routes.append((method, route.path, handler))
    return sorted(routes, key=lambda r: (r[1], r[0]))


def test_every_route_outside_the_allowlist_needs_an_access_token(client: Client) -> None:
    routes = every_route(client.app)
    assert len(routes) > 10  # the walk sees the whole app
    checked = 0
    for method, path, handler in routes:
        if method == "OPTIONS":  # tells the methods of the path only: no token needed
            response = client.options(concrete(path))
            assert response.status_code == 204, path
            assert "OPTIONS" in response.headers["allow"], path
            continue
        public = bool(handler.opt.get("public"))
        assert public == is_allowlisted(method, path), (
            f"{method} {path}: marked public={public}, allowlisted={is_allowlisted(method, path)}"
        )
        url = concrete(path)
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            response = client.request(method, url, headers=headers, json={})
            if public:
                assert response.status_code != 401, f"{method} {path}"
            else:
                expected = "invalid_token" if headers else "missing_token"
                assert response.status_code == 401, f"{method} {path} -> {response.status_code}"
                assert response.json()["error_code"] == expected, f"{method} {path}"
                checked += 1
    assert checked > 10


def test_the_walk_covers_the_account_routes(client: Client) -> None:
    paths = {(method, path) for method, path, _ in every_route(client.app)}
    assert {
        ("POST", "/v1/auth/logout"),
        ("GET", "/v1/me"),
        ("PATCH", "/v1/me"),
        ("DELETE", "/v1/me"),
        ("GET", "/v1/me/logins"),
        ("DELETE", "/v1/me/logins/{login_id:uuid}"),
        ("GET", "/v1/me/audit"),
    } <= paths
    assert {("POST", "/v1/auth/register"), ("POST", "/v1/auth/login")} <= paths


def test_every_route_has_an_operation_id_and_declared_errors(client: Client) -> None:
    schema = client.get("/schema/openapi.json").json()
    for path, operations in schema["paths"].items():
        if not path.startswith(("/v1/auth", "/v1/me")):
            continue
        for method, operation in operations.items():
            assert operation.get("operationId"), f"{method} {path}"
            assert any(code.startswith(("4", "5")) for code in operation["responses"]), path
            if (method.upper(), path) not in PUBLIC_ROUTES:
                assert "401" in operation["responses"], f"{method} {path}"


# --- security headers and CORS ---------------------------------------------------------------


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


def assert_security_headers(response: httpx.Response, csp: str) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    assert response.headers["content-security-policy"] == csp


def test_security_headers_are_on_every_response(client: Client) -> None:
    tokens = register(client)
    me = signed_in(client, tokens)
    api_csp = "default-src 'none'; frame-ancestors 'none'"
    responses = [
        client.get("/health"),
        me.get("/v1/me"),
        client.get("/v1/me"),  # 401
        client.get("/v1/nothing-here"),  # 404
        me.put("/v1/me"),  # 405
        client.post("/v1/auth/login", json={}),  # 400
        client.post("/v1/auth/login", content=b"x" * 20_000),  # 413
        client.post("/v1/auth/refresh", json={"refresh_token": "nope"}),  # 401
    ]
    assert [r.status_code for r in responses] == [200, 200, 401, 404, 405, 400, 413, 401]
    for response in responses:
        assert_security_headers(response, api_csp)
        assert response.headers["cache-control"] == "no-store"
    # the interactive docs run inline scripts and load their files from this origin only
    docs = client.get("/schema")
    assert docs.status_code == 200
    assert_security_headers(docs, DOCS_CSP.decode())
    assert_security_headers(client.get("/schema/openapi.json"), DOCS_CSP.decode())


def test_no_cross_origin_access_by_default(client: Client) -> None:
    response = client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/v1/me",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_configured_origins_may_call_the_api(db_url: str) -> None:
    app = create_app(make_settings(db_url, cors_origins=("https://app.example.com",)))
    with TestClient(app) as client:
        preflight = client.options(
            "/v1/me",
            headers={
                "Origin": "https://app.example.com",
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code in (200, 204)
        assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
        tokens = register(client)
        response = signed_in(client, tokens).get(
            "/v1/me", headers={"Origin": "https://app.example.com"}
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://app.example.com"
        assert_security_headers(response, "default-src 'none'; frame-ancestors 'none'")
        other = client.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        other_preflight = client.options(
            "/v1/me",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert other_preflight.headers.get("access-control-allow-origin") != "https://evil.example"


def test_tokens_made_by_the_app_carry_the_login(db_url: str) -> None:
    settings = make_settings(db_url)
    login_id = uuid.uuid4()
    token = issue_access_token(settings, uuid.uuid4(), login_id)
    claims = jwt.decode(token, TEST_JWT_SECRET, algorithms=["HS256"], audience="kinetria-api")
    assert claims["sid"] == str(login_id)


def test_cors_exposes_the_headers_clients_read_and_preflight_needs_no_token(
    db_url: str,
) -> None:
    origin = "https://app.example.com"
    app = create_app(make_settings(db_url, cors_origins=(origin,)))
    with TestClient(app) as client:
        for path, method in (("/v1/workouts", "POST"), ("/v1/sessions/x/finish", "POST")):
            preflight = client.options(
                path,
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": method,
                    "Access-Control-Request-Headers": "authorization, content-type, if-match",
                },
            )  # no Authorization: browsers never send it on a preflight
            assert preflight.status_code in (200, 204), path
            assert preflight.headers["access-control-allow-origin"] == origin
            allowed = preflight.headers["access-control-allow-headers"].lower()
            for header in ("authorization", "content-type", "if-match"):
                assert header in allowed, (header, allowed)
        ann = signed_in(client, register(client))
        made = ann.post("/v1/workouts", json={"name": "Push"}, headers={"Origin": origin})
        assert made.status_code == 201
        exposed = {
            h.strip().lower() for h in made.headers["access-control-expose-headers"].split(",")
        }
        assert {"etag", "x-request-id", "retry-after", "location"} <= exposed
        assert all(made.headers[h] for h in ("etag", "location", "x-request-id"))


# --- deny by default, with personal API keys ----------------------------------------------


def test_every_route_outside_the_allowlist_refuses_bad_keys_and_keeps_keys_to_their_scope(
    client: Client,
) -> None:
    """The walk above, with API keys: an unknown or malformed `kin_` key is 401 everywhere
    an access token is needed; a valid key is 403 `insufficient_scope` on every route no key
    may call (the account, its logins, keys and audit, auth, webhooks) and, read-only, on
    every write; elsewhere the guard lets it through."""
    from app.core.security import key_may_call

    ann = signed_in(client, register(client))
    keys = {}
    for scopes in (["read"], ["write"]):
        made = ann.post("/v1/me/api-keys", json={"name": "walk", "scopes": scopes})
        assert made.status_code == 201, made.text
        keys[scopes[0]] = made.json()["key"]
    unknown = f"kin_{uuid.uuid4().hex}_{'A' * 43}"
    checked = forbidden = 0
    for method, path, handler in every_route(client.app):
        if method == "OPTIONS" or handler.opt.get("public"):
            continue
        url = concrete(path)
        for bad in (unknown, "kin_not-a-key", keys["read"] + "x"):
            response = client.request(
                method, url, headers={"Authorization": f"Bearer {bad}"}, json={}
            )
            assert response.status_code == 401, f"{method} {path} -> {response.status_code}"
            assert response.json()["error_code"] == "invalid_token", f"{method} {path}"
        for scope, key in keys.items():
            response = client.request(
                method, url, headers={"Authorization": f"Bearer {key}"}, json={}
            )
            refused = not key_may_call(method, path) or (
                scope == "read" and method not in ("GET", "HEAD")
            )
            if refused:
                assert response.status_code == 403, f"{scope} key: {method} {path}"
                assert response.json()["error_code"] == "insufficient_scope", f"{method} {path}"
                forbidden += 1
            else:
                assert response.status_code not in (401, 403), f"{scope} key: {method} {path}"
            checked += 1
    assert checked > 20
    assert forbidden > 10
    # the keys and the account are as they were
    assert len(ann.get("/v1/me/api-keys").json()["items"]) == 2
    assert ann.get("/v1/me").status_code == 200
