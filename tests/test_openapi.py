"""The OpenAPI document says what the server does: it validates as OpenAPI 3.1, every body
schema matches the Struct the server decodes, every answer is listed with its headers and
error codes, security is declared, and OPTIONS agrees with 405 on every path."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openapi_spec_validator import validate

from app.core.error_docs import rate_limited
from app.core.openapi import API_KEY, BEARER, api_document, body_type, operations
from app.core.security import key_may_call
from app.main import create_app
from tests.conftest import make_settings
from tests.test_security import concrete, is_allowlisted

# The document and the routes need no database: the app is built, never started.
NO_DATABASE = "postgresql://nobody@127.0.0.1:9/none"


@pytest.fixture(scope="module")
def bare_app() -> Litestar:
    return create_app(make_settings(NO_DATABASE))


@pytest.fixture(scope="module")
def document(bare_app: Litestar) -> dict[str, Any]:
    return api_document(bare_app)


@pytest.fixture(scope="module")
def bare_client(bare_app: Litestar) -> TestClient[Litestar]:
    return TestClient(bare_app)  # no lifespan: no pool is opened


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on the first error


def test_the_served_document_is_the_same(
    bare_client: TestClient[Litestar], document: dict[str, Any]
) -> None:
    served = bare_client.get("/schema/openapi.json")
    assert served.status_code == 200
    assert served.json() == msgspec.json.decode(msgspec.json.encode(document))


# --- bodies: each schema against the Struct it comes from ---------------------------------


def _constraints(info: msgspec.inspect.Type) -> dict[str, Any]:
    """What msgspec enforces on a value, in JSON Schema words."""
    words = {
        "ge": "minimum",
        "le": "maximum",
        "gt": "exclusiveMinimum",
        "lt": "exclusiveMaximum",
        "multiple_of": "multipleOf",
        "pattern": "pattern",
        "min_length": "minLength" if isinstance(info, msgspec.inspect.StrType) else "minItems",
        "max_length": "maxLength" if isinstance(info, msgspec.inspect.StrType) else "maxItems",
    }
    return {
        word: getattr(info, name)
        for name, word in words.items()
        if getattr(info, name, None) is not None
    }


_TYPES = {
    msgspec.inspect.IntType: "integer",
    msgspec.inspect.FloatType: "number",
    msgspec.inspect.StrType: "string",
    msgspec.inspect.BoolType: "boolean",
    msgspec.inspect.ListType: "array",
    msgspec.inspect.UUIDType: "string",
    msgspec.inspect.DateTimeType: "string",
    msgspec.inspect.DateType: "string",
}


def check_value(
    document: dict[str, Any], schema: dict[str, Any], info: msgspec.inspect.Type, where: str
) -> None:
    """`schema` accepts what `info` does, with the same constraints, recursively."""
    if isinstance(info, msgspec.inspect.Metadata):  # a description, or schema words of its own
        for word, value in (info.extra_json_schema or {}).items():
            assert resolve(document, schema).get(word) == value, f"{where}: {word}"
        check_value(document, schema, info.type, where)
        return
    if isinstance(info, msgspec.inspect.UnionType):
        variants = schema.get("anyOf") or schema.get("oneOf")
        assert variants, f"{where}: a union without anyOf"
        kept = info.types
        assert len(variants) == len(kept), where
        for member in kept:  # each member of the union has a variant that matches it
            errors: list[str] = []
            for variant in variants:
                try:
                    check_value(document, variant, member, where)
                    break
                except AssertionError as exc:
                    errors.append(str(exc))
            else:
                raise AssertionError(f"{where}: no variant for {member}: {errors}")
        return
    if isinstance(info, msgspec.inspect.NoneType):
        assert schema == {"type": "null"}, where
        return
    if isinstance(info, msgspec.inspect.StructType):
        check_struct(document, resolve(document, schema), info, where)
        return
    schema = resolve(document, schema)
    if isinstance(info, msgspec.inspect.EnumType):
        assert schema["enum"] == [member.value for member in info.cls], where
        return
    expected = _TYPES.get(type(info))
    assert expected, f"{where}: add {type(info).__name__} to the walk"
    assert schema.get("type") == expected, f"{where}: {schema} is not {expected}"
    for word, value in _constraints(info).items():
        assert schema.get(word) == value, f"{where}: {word} should be {value}, not {schema}"
    if isinstance(info, msgspec.inspect.ListType):
        check_value(document, schema["items"], info.item_type, f"{where}[]")


def check_struct(
    document: dict[str, Any], schema: dict[str, Any], info: msgspec.inspect.StructType, where: str
) -> None:
    assert schema["type"] == "object", where
    if info.forbid_unknown_fields:
        assert schema.get("additionalProperties") is False, f"{where}: unknown fields are refused"
    properties = schema["properties"]
    assert set(properties) == {f.encode_name for f in info.fields}, where
    required = {f.encode_name for f in info.fields if f.required}
    assert set(schema.get("required", [])) == required, f"{where}: required fields"
    for field in info.fields:
        prop = properties[field.encode_name]
        at = f"{where}.{field.encode_name}"
        if field.default not in (msgspec.NODEFAULT, msgspec.UNSET):
            assert prop.get("default") == msgspec.to_builtins(field.default), f"{at}: default"
        if field.default_factory is not msgspec.NODEFAULT:
            assert prop.get("default") == msgspec.to_builtins(field.default_factory()), at
        check_value(document, prop, field.type, at)


def test_every_request_body_matches_the_struct_the_server_decodes(
    bare_app: Litestar, document: dict[str, Any]
) -> None:
    checked = 0
    for path, method, handler in operations(bare_app):
        kind = body_type(handler)
        operation = document["paths"][path][method]
        if kind is None:
            assert "requestBody" not in operation, f"{method} {path}"
            continue
        body = operation["requestBody"]
        data = handler.parsed_fn_signature.parameters["data"]
        assert body["required"] is (not data.has_default), f"{method} {path}: body required"
        schema = body["content"]["application/json"]["schema"]
        info = msgspec.inspect.type_info(kind)
        if data.has_default and isinstance(info, msgspec.inspect.UnionType):
            # an optional body is left out rather than sent as `null`: its schema is the rest
            assert {"type": "null"} not in schema.get("anyOf", []), f"{method} {path}"
            kept = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
            info = kept[0] if len(kept) == 1 else msgspec.inspect.UnionType(tuple(kept))
        check_value(document, schema, info, f"{method} {path}")
        checked += 1
    assert checked >= 14


def test_what_the_issue_found_missing_is_in_the_schemas(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    reps = schemas["SetCreate"]["properties"]["reps"]["anyOf"][0]
    assert reps["minimum"] == 0
    assert schemas["SetCreate"]["additionalProperties"] is False
    assert schemas["SetCreate"]["properties"]["set_type"]["default"] == "normal"
    secondary = schemas["ExerciseCreate"]["properties"]["secondary_muscles"]
    assert secondary["uniqueItems"] is True
    target = schemas["PlannedExerciseIn"]["properties"]["target_weight_kg"]["anyOf"][0]
    assert target["minimum"] == 0
    logs = document["paths"]["/v1/sessions/{session_id}/sets"]["post"]["requestBody"]
    batch = next(v for v in logs["content"]["application/json"]["schema"]["anyOf"] if "items" in v)
    assert (batch["minItems"], batch["maxItems"]) == (1, 500)
    for action in ("finish", "abandon"):
        ending = document["paths"][f"/v1/sessions/{{session_id}}/{action}"]["post"]
        assert ending["requestBody"]["required"] is False
    token = schemas["TokenResponse"]
    assert "token_type" in token["required"]
    assert schemas["Workout"]["properties"]["version"]["readOnly"] is True


def test_answers_list_every_field_the_server_always_sends(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("Workout", "Session", "SetRecord", "User", "TokenResponse", "Exercise"):
        assert set(schemas[name]["required"]) == set(schemas[name]["properties"]), name
    # the error body leaves out `details` when there are none
    assert "details" not in schemas["ErrorBody"]["required"]


# --- answers --------------------------------------------------------------------------------


def test_every_error_answer_has_the_error_shape_and_its_codes(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                if int(status) < 400 or (path, status) == ("/health/ready", "503"):
                    continue  # readiness answers its own document when not ready
                media = answer["content"]["application/json"]
                assert media["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
                assert media["examples"], f"{method} {path} {status}: no error_code"
                for code, example in media["examples"].items():
                    assert example["value"]["error_code"] == code
                    assert example["value"]["status_code"] == int(status)
                    assert code in answer["description"]


def test_statuses_every_operation_of_a_kind_answers(
    bare_app: Litestar, document: dict[str, Any]
) -> None:
    for path, method, handler in operations(bare_app):
        answers = document["paths"][path][method]["responses"]
        where = f"{method} {path}"
        if body_type(handler) is not None:
            assert "413" in answers, where
            assert "400" in answers, where
        uses_db = {"db", "current_user"} & set(handler.parsed_fn_signature.parameters)
        assert ("503" in answers) == bool(uses_db or path == "/health/ready"), where
        if uses_db:
            assert "Retry-After" in answers["503"]["headers"], where
        if rate_limited(method, path):
            assert {"Retry-After", "RateLimit", "RateLimit-Policy"} <= set(
                answers["429"]["headers"]
            ), where
        if not handler.opt.get("public"):
            assert "401" in answers, where
        for status, answer in answers.items():
            for name, header in answer.get("headers", {}).items():
                assert "schema" in header, f"{where} {status} {name}"
    assert "503" not in document["paths"]["/health"]["get"]["responses"]
    assert "503" in document["paths"]["/health/ready"]["get"]["responses"]


def test_creates_document_location_and_etag(document: dict[str, Any]) -> None:
    for path in ("/v1/workouts", "/v1/exercises", "/v1/sessions"):
        answers = document["paths"][path]["post"]["responses"]
        for status in ("201", "200"):
            assert {"ETag", "Location"} <= set(answers[status]["headers"]), (path, status)


def test_the_error_body_example_is_a_real_error(document: dict[str, Any]) -> None:
    (example,) = document["components"]["schemas"]["ErrorBody"]["examples"]
    assert example["status_code"] == 404
    assert example["error_code"] == "workout_not_found"
    assert re.fullmatch(r"[0-9a-f]{32}", example["request_id"])


# --- security -------------------------------------------------------------------------------


def test_security_is_declared_on_every_operation(
    bare_app: Litestar, document: dict[str, Any]
) -> None:
    scheme = document["components"]["securitySchemes"][BEARER]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    public = 0
    for path, method, handler in operations(bare_app):
        security = document["paths"][path][method]["security"]
        if handler.opt.get("public"):
            assert security == [], f"{method} {path}"
            public += 1
        elif key_may_call(method, path):  # an access token or a personal API key
            assert security == [{BEARER: []}, {API_KEY: []}], f"{method} {path}"
        else:
            assert security == [{BEARER: []}], f"{method} {path}"
    # health, ready, register, login, refresh, password reset and its confirmation, verify email
    assert public == 8


def test_docs_routes_are_not_in_the_api_document(document: dict[str, Any]) -> None:
    assert not [path for path in document["paths"] if path.startswith("/schema")]


# --- methods --------------------------------------------------------------------------------


def test_options_and_405_list_the_same_methods_on_every_path(
    bare_app: Litestar, bare_client: TestClient[Litestar]
) -> None:
    paths = sorted({r.path for r in bare_app.routes})
    assert len(paths) > 20
    for path in paths:
        url = concrete(path)
        options = bare_client.options(url)  # no token needed
        assert options.status_code == 204, path
        refused = bare_client.request("TRACE", url)
        assert refused.status_code == 405, path
        assert refused.json()["error_code"] == "method_not_allowed"
        assert options.headers["allow"] == refused.headers["allow"], path
        methods = {m for r in bare_app.routes if r.path == path for m in r.methods}
        assert set(options.headers["allow"].split(", ")) == methods, path
    workouts = bare_client.options("/v1/workouts").headers["allow"]
    assert workouts == "GET, OPTIONS, POST"


def test_the_options_of_a_public_route_stay_public() -> None:
    assert is_allowlisted("OPTIONS", "/schema/openapi.json")


# --- the docs page --------------------------------------------------------------------------


def test_the_docs_page_loads_only_its_own_files(bare_client: TestClient[Litestar]) -> None:
    page = bare_client.get("/schema")
    assert page.status_code == 200
    html = page.text
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert urls, html[:300]
    for url in urls:
        assert url.startswith("/schema/assets/"), url
        asset = bare_client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url
    assert "http://" not in html.replace("http://127.0.0.1", "")
    assert "https://" not in html
    assert bare_client.get("/schema/swagger").status_code == 200


@pytest.mark.parametrize(
    "path", ["/schema/redoc", "/schema/nothing", "/schema/assets/nothing.js", "/schema/a/b"]
)
def test_an_unknown_docs_path_answers_the_error_shape(
    bare_client: TestClient[Litestar], path: str
) -> None:
    response = bare_client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error_code"] == "not_found"
    assert body["request_id"]


# --- error codes: every one the code can raise is documented --------------------------------

_ERRORS = {
    "ApiError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "Gone",
    "PreconditionFailed",
    "Unprocessable",
    "TooManyRequests",
}
# Answers of the platform itself rather than of an operation: a path or method that does
# not exist, and what the generic handlers answer for a database rule no operation expects
# to break (each a bug to fix by naming the constraint where it happens).
_PLATFORM_CODES = {"not_found", "method_not_allowed", "internal_error", "conflict", "in_use"}
_PLATFORM_CODES |= {"invalid_reference", "constraint_violation"}


def raised_codes() -> dict[str, set[str]]:
    """Every `error_code` written in app/, by file: the first string of a call to an error
    class, and the string after the class in `partial(...)`, `Violation(...)` and
    `field_error(...)`."""
    found: dict[str, set[str]] = {}
    for source in sorted(Path("app").rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            args = node.args
            if name in {"partial", "Violation", "field_error"} and args:
                first = args[0]
                if getattr(first, "id", None) in _ERRORS:
                    args = args[1:]
                else:
                    continue
            elif name not in _ERRORS:
                continue
            if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                found.setdefault(str(source), set()).add(args[0].value)
    return found


def documented_codes(document: dict[str, Any]) -> set[str]:
    return {
        code
        for item in document["paths"].values()
        for operation in item.values()
        for answer in operation["responses"].values()
        for code in answer.get("content", {}).get("application/json", {}).get("examples", {})
    }


def test_every_error_code_in_the_code_is_documented(document: dict[str, Any]) -> None:
    by_file = raised_codes()
    raised = set().union(*by_file.values())
    assert {"workout_not_found", "id_conflict", "etag_mismatch", "invalid_muscles"} <= raised
    missing = raised - documented_codes(document) - _PLATFORM_CODES
    assert not missing, {f: sorted(c & missing) for f, c in by_file.items() if c & missing}


def test_the_suite_checks_raised_codes_against_their_operation() -> None:
    # tests/conftest.py records every error answered during the run, by operation, and
    # fails the run when one is not documented on the operation that answered it
    from tests import conftest

    assert conftest.ANSWERED_ERRORS is not None


def test_display_names_refuse_control_characters_in_the_schema(document: dict[str, Any]) -> None:
    """The server refuses C0 and C1 control characters in a display name (422
    `invalid_display_name`); the schema says so with a pattern that refuses them too."""
    schemas = document["components"]["schemas"]
    for name in ("RegisterBody", "ProfileUpdate"):
        pattern = schemas[name]["properties"]["display_name"]["pattern"]
        assert re.search(pattern, "Ann B.")
        assert not re.search(pattern, "Ann\u0007")
        assert not re.search(pattern, "Ann\u0085")


def test_a_new_password_requires_the_current_one_in_the_schema(document: dict[str, Any]) -> None:
    """`new_password` or `email` alone is 422 `current_password_required`, `current_password`
    alone 422 `new_password_required`; the schema says so."""
    profile = document["components"]["schemas"]["ProfileUpdate"]
    assert profile["dependentRequired"] == {
        "new_password": ["current_password"],
        "email": ["current_password"],
    }
    assert profile["dependentSchemas"] == {
        "current_password": {"anyOf": [{"required": ["new_password"]}, {"required": ["email"]}]}
    }


def test_every_request_text_refuses_nul_in_the_schema(document: dict[str, Any]) -> None:
    """NUL is refused in every text of a request (400 naming the field): each string of a
    request body or query has a pattern that refuses it, unless a format or enum says more."""

    def strings(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
        schema = resolve(document, schema)
        if schema.get("type") == "string":
            yield schema
        for key in ("anyOf", "oneOf", "allOf"):
            for variant in schema.get(key, []):
                yield from strings(variant)
        for value in schema.get("properties", {}).values():
            yield from strings(value)
        if isinstance(schema.get("items"), dict):
            yield from strings(schema["items"])

    found = 0
    for item in document["paths"].values():
        for operation in item.values():
            schemas = [p["schema"] for p in operation.get("parameters", []) if p["in"] == "query"]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            schemas += [body["schema"]] if body else []
            for schema in schemas:
                for text in strings(schema):
                    if "format" in text or "enum" in text:
                        continue
                    found += 1
                    assert not re.search(text["pattern"], "a\u0000b"), text
                    assert re.search(text["pattern"], "ab"), text
    assert found > 30
