"""The API's OpenAPI 3.1 document and its docs page.

Litestar builds the document from the route handlers; `api_document()` then makes it say
exactly what the server does, from the same sources the server runs:

* **Bodies and the shapes answered** are msgspec's own JSON Schema of the Structs the
  handlers decode and encode (every `Meta` constraint, `additionalProperties: false` for
  `forbid_unknown_fields`, defaults), since msgspec is what validates them. Fields the
  server always sends are required in the answers; fields only the server sets are
  `readOnly`. A body with a default (`= None`) is optional.
* **Every answer**: the error responses named by `responses()` (app/core/http.py) with the
  one error shape and an example per `error_code`; 413 on every operation with a body, 503 on
  every operation that uses the database, 429 where limits apply; `ETag`, `Location`,
  `Retry-After`, `RateLimit` and `RateLimit-Policy` headers with their schemas.
* **Security**: two bearer schemes, the access token and the personal API key; every
  operation except the public ones (`opt={"public": True}`, which say `security: []`)
  takes an access token, and those an API key may call (app/core/security.py
  `key_may_call`) take either, with 403 `insufficient_scope` on writes (a read-only key) and
  on the operations no key may call.

The docs page (Swagger UI) is served from the assets of a pinned wheel (`swagger-ui-py`),
so it works with no network; its routes are not part of the API's document, and any other
path under the docs path answers 404 in the one error shape.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator
from enum import Enum
from importlib.resources import files
from typing import Any, get_args, get_origin

import msgspec
from litestar import Litestar, MediaType, Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.params import FromPath
from litestar.routes import HTTPRoute
from litestar.serialization import encode_json

from app.core.error_docs import (
    ERROR_STATUSES,
    error_answer,
    error_codes_of,
    error_example,
    rate_limited,
)
from app.core.errors import ErrorBody
from app.core.security import key_may_call

DOCS_PATH = "/schema"
ASSETS_PATH = f"{DOCS_PATH}/assets"
BEARER = "bearerAuth"
API_KEY = "apiKeyAuth"
_REF = "#/components/schemas/{name}"
# Fields of an answer that only the server sets.
_READ_ONLY = frozenset({"id", "version", "created_at", "updated_at"})
# The docs page's files, from the swagger-ui-py wheel (pinned in pyproject.toml).
_ASSET_TYPES = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
_STRING = {"type": "string"}


# --- the docs page ------------------------------------------------------------------------


@functools.cache
def _asset(name: str) -> bytes:
    return (files("swagger_ui") / "static" / name).read_bytes()


@get("/assets/{name:str}", sync_to_thread=False, include_in_schema=False)
def docs_asset(name: FromPath[str]) -> Response[bytes]:
    """A file of the docs page, cached by browsers for a day (the wheel is pinned)."""
    media_type = _ASSET_TYPES.get(name)
    if media_type is None:
        raise NotFoundException()
    return Response(
        _asset(name), media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
    )


def _json_not_found(response: Response[Any]) -> Response[Any]:
    """`after_request` of the docs router: Litestar answers an unknown path under it with an
    HTML page; answer the one error shape instead."""
    if response.status_code == 404 and response.media_type == MediaType.HTML:
        raise NotFoundException()
    return response


class _SwaggerUI(SwaggerRenderPlugin):
    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, api_document(request.app))


class _Json(JsonRenderPlugin):
    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return encode_json(api_document(request.app))


def openapi_config(*, title: str, version: str, description: str) -> OpenAPIConfig:
    swagger = _SwaggerUI(
        js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
    )
    return OpenAPIConfig(
        title=title,
        version=version,
        description=description,
        path=DOCS_PATH,
        create_examples=False,
        render_plugins=[swagger, _Json()],
        components=Components(
            security_schemes={
                BEARER: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="The access token from register, login or refresh.",
                ),
                API_KEY: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="kin_<key id>_<secret>",
                    description="A personal API key (POST /v1/me/api-keys), sent as "
                    "`Authorization: Bearer kin_...`. Scope `read`: GET only; `write`: every "
                    "method. A key never manages the account, its logins, keys or webhooks.",
                ),
            }
        ),
        openapi_router=Router(
            DOCS_PATH,
            route_handlers=[docs_asset],
            include_in_schema=False,
            opt={"public": True},
            after_request=_json_not_found,
        ),
    )


# --- the document -------------------------------------------------------------------------


def api_document(app: Litestar) -> dict[str, Any]:
    """The app's OpenAPI document, built once per app (kept in its state)."""
    document: dict[str, Any] | None = app.state.get("openapi_document")
    if document is None:
        document = app.state["openapi_document"] = build_document(app)
    return document


def operations(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler]]:
    """(path as documented, method in lower case, handler) of every documented operation."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            for method in sorted(handler.http_methods):
                if method != "OPTIONS":
                    yield route.path_format or "/", method.lower(), handler


def body_type(handler: HTTPRouteHandler) -> Any | None:
    """The type a handler decodes its body into (with its Annotated constraints)."""
    data = handler.parsed_fn_signature.parameters.get("data")
    return None if data is None else data.raw


def _answer_types(handler: HTTPRouteHandler) -> list[Any]:
    types: list[Any] = []
    returned = handler.parsed_fn_signature.return_type
    annotation = returned.annotation
    if get_origin(annotation) is Response or returned.is_subclass_of(Response):
        annotation = get_args(annotation)[0] if get_args(annotation) else None
    if annotation not in (None, type(None), bytes, str):
        types.append(annotation)
    for spec in (handler.responses or {}).values():
        if spec.data_container is not None:
            types.append(spec.data_container)
    return types


def _named_classes(types: list[Any]) -> dict[str, type[Any]]:
    """Every Struct and Enum reachable from `types`, by the name its schema component has."""
    found: dict[str, type[Any]] = {}

    def walk(info: msgspec.inspect.Type) -> None:
        if isinstance(info, msgspec.inspect.EnumType):
            found[info.cls.__name__] = info.cls
        if isinstance(info, msgspec.inspect.Metadata):
            walk(info.type)
        if isinstance(info, msgspec.inspect.StructType):
            if info.cls.__name__ in found:
                return
            found[info.cls.__name__] = info.cls
            for field in info.fields:
                walk(field.type)
        for child in _children(info):
            walk(child)

    for info in msgspec.inspect.multi_type_info(types):
        walk(info)
    return found


def _children(info: msgspec.inspect.Type) -> list[msgspec.inspect.Type]:
    if isinstance(info, msgspec.inspect.UnionType):
        return list(info.types)
    if isinstance(info, msgspec.inspect.ListType | msgspec.inspect.SetType):
        return [info.item_type]
    if isinstance(info, msgspec.inspect.DictType):
        return [info.key_type, info.value_type]
    if isinstance(info, msgspec.inspect.VarTupleType):
        return [info.item_type]
    if isinstance(info, msgspec.inspect.TupleType):
        return list(info.item_types)
    return []


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`X | None` as `X`: generators then leave the body out instead of sending `null`."""
    variants: list[dict[str, Any]] = schema.get("anyOf", [])
    kept = [v for v in variants if v != {"type": "null"}]
    if variants and len(kept) == 1:
        return kept[0]
    return schema


# What PostgreSQL cannot store in text: NUL (lone surrogates have no portable pattern).
_NO_NUL = r"^[^\u0000]*$"


def _storable_text(schema: dict[str, Any]) -> None:
    """Every free text of a request refuses NUL (400 `validation_error`): a `pattern` on each
    string without one of its own (or a format or an enum), recursively."""
    if schema.get("type") == "string" and not {"pattern", "format", "enum"} & set(schema):
        schema["pattern"] = _NO_NUL
    for key in ("anyOf", "oneOf", "allOf"):
        for variant in schema.get(key, []):
            _storable_text(variant)
    for value in schema.get("properties", {}).values():
        _storable_text(value)
    if isinstance(schema.get("items"), dict):
        _storable_text(schema["items"])


def _not_null(parameter: dict[str, Any]) -> None:
    """A parameter left out is absent, never null: `str | None = None` is a plain string."""
    schema: dict[str, Any] = parameter.get("schema", {})
    variants = schema.get("oneOf")
    if not variants:
        return
    kept = [v for v in variants if v != {"type": "null"}]
    if len(kept) == 1:
        del schema["oneOf"]
        schema.update(kept[0])
    else:
        schema["oneOf"] = kept


def _uses_database(handler: HTTPRouteHandler) -> bool:
    return bool({"db", "current_user"} & set(handler.parsed_fn_signature.parameters))


def build_document(app: Litestar) -> dict[str, Any]:
    document = copy.deepcopy(app.openapi_schema.to_schema())
    ops = list(operations(app))
    request_types = [t for _, _, h in ops if (t := body_type(h)) is not None]
    answer_types = [ErrorBody, *(t for _, _, h in ops for t in _answer_types(h))]
    all_types = [*request_types, *answer_types]

    # the shapes: msgspec's schema of what it decodes and encodes
    request_schemas, components = msgspec.json.schema_components(
        [*request_types, *answer_types], ref_template=_REF
    )
    _, request_components = msgspec.json.schema_components(request_types, ref_template=_REF)
    named = _named_classes(all_types)
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in components.items():
        cls = named.get(name)
        # rules across fields that a Struct declares for its schema (`dependentRequired`...)
        schema.update(getattr(cls, "json_schema_rules", None) or {})
        if cls is not None and issubclass(cls, Enum):  # in declared order, as in PostgreSQL
            values = [member.value for member in cls]
            schema["enum"] = values
            schema["type"] = "string" if all(isinstance(v, str) for v in values) else "integer"
        elif cls is not None and name not in request_components:
            properties: dict[str, Any] = schema.get("properties", {})
            if not cls.__struct_config__.omit_defaults:  # every field is sent
                schema["required"] = list(properties)
            for field in _READ_ONLY & set(properties):
                properties[field]["readOnly"] = True
        if name in request_components:
            _storable_text(schema)
        schemas[name] = schema
    schemas["ErrorBody"]["examples"] = [error_example(404, "workout_not_found")]

    body_schemas = iter(request_schemas[: len(request_types)])
    for path, method, handler in ops:
        operation: dict[str, Any] = document["paths"][path][method]
        public = bool(handler.opt.get("public"))
        if public:
            operation["security"] = []
        elif key_may_call(method, path):
            operation["security"] = [{BEARER: []}, {API_KEY: []}]
        else:
            operation["security"] = [{BEARER: []}]
        data = handler.parsed_fn_signature.parameters.get("data")
        if data is not None:
            body_schema = next(body_schemas)
            if data.has_default:  # an optional body is left out, not sent as `null`
                body_schema = _without_null(body_schema)
            operation["requestBody"] = {
                "required": not data.has_default,
                "content": {MediaType.JSON.value: {"schema": body_schema}},
            }
        _document_answers(
            operation, handler, path, method, public=public, has_body=data is not None
        )
        # a route that also answers another media type (the export's CSV) names it in `opt`
        for media_type, schema in (handler.opt.get("also_answers") or {}).items():
            operation["responses"]["200"].setdefault("content", {})[media_type] = {"schema": schema}
    return document


def _document_answers(
    operation: dict[str, Any],
    handler: HTTPRouteHandler,
    path: str,
    method: str,
    *,
    public: bool,
    has_body: bool,
) -> None:
    for parameter in operation.get("parameters") or []:
        _not_null(parameter)
        if parameter.get("in") == "query":
            _storable_text(parameter.get("schema", {}))
    answers: dict[str, Any] = operation.setdefault("responses", {})
    for answer in answers.values():
        for header in answer.get("headers", {}).values():
            header.setdefault("schema", dict(_STRING))
    declared = handler.responses or {}
    codes = error_codes_of(declared)
    own = {str(s) for s, spec in declared.items() if spec.data_container not in (None, ErrorBody)}
    # every route checks its query string (text PostgreSQL cannot store is refused)
    codes.setdefault(400, []).insert(0, "validation_error")
    if has_body:
        codes[400].append("bad_request")  # the body is not JSON at all
        codes[408] = ["body_timeout"]
        codes[413] = ["payload_too_large"]
        codes[415] = ["unsupported_media_type"]
    if _uses_database(handler):
        codes[503] = ["service_unavailable", "database_unavailable", "timeout", "deadline_exceeded"]
    if rate_limited(method, path):
        codes.setdefault(429, []).append("rate_limited")
    if not public:
        codes[401] = ["missing_token", "invalid_token", "token_expired", *codes.get(401, [])]
        if method != "get" or not key_may_call(method, path):  # an API key's limits
            codes.setdefault(403, []).append("insufficient_scope")
    for status in sorted(codes):
        if str(status) in own:  # the route answers its own document (readiness: 503)
            continue
        unique = list(dict.fromkeys(codes[status]))
        described = f"{ERROR_STATUSES.get(status, 'Error')}. error_code: {', '.join(unique)}"
        answers[str(status)] = error_answer(status, unique, described)
    for status, answer in answers.items():
        if status.startswith("2") and "content" in answer:
            for media in answer["content"].values():
                media.pop("examples", None)
    created = answers.get("201", {}).get("headers")
    if created and "200" in answers:  # a replayed create answers like the create
        answers["200"]["headers"] = copy.deepcopy(created)
    operation["responses"] = dict(sorted(answers.items()))
