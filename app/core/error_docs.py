"""How a route documents its error responses in the OpenAPI document: the statuses it can
answer, the `error_code`s each can carry with an example body, and the 200 of a replayed
create. The document adds what every route of a kind answers (app/core/openapi.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from app.core.errors import ErrorBody

ERROR_STATUSES = {
    400: "The request is malformed (wrong type, missing or unknown field, bad parameter)",
    401: "Missing or invalid access token",
    403: "Forbidden",
    404: "Not found (or not yours)",
    408: "The request body did not arrive within HTTP_BODY_TIMEOUT_S",
    409: "Conflict",
    410: "Gone: what the cursor points at was pruned or has expired",
    412: "If-Match names a stale ETag",
    413: "The request body is too large",
    415: "The request body is not JSON (send Content-Type: application/json)",
    422: "The request is well-formed but not acceptable",
    429: "Too many requests; wait as long as Retry-After says",
    503: "The database is busy or unavailable; retry after Retry-After seconds",
}
_STRING = {"type": "string"}
_RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 0},
}
_RATE_LIMIT_HEADERS = {
    "RateLimit": {
        "description": 'What is left of the limit (IETF draft), e.g. `"writes";r=0;t=42`.',
        "schema": _STRING,
    },
    "RateLimit-Policy": {
        "description": 'The limit that applies (IETF draft), e.g. `"writes";q=600;w=60`.',
        "schema": _STRING,
    },
}
_NOT_MODIFIED = "Not modified: the client's copy (If-None-Match) is current"
# Always the same: what the ETag check and the body limit answer.
_FIXED_CODES = {412: ["etag_mismatch"], 413: ["payload_too_large"]}
# Messages of the documented examples, for the codes whose message a client may show as is.
_EXAMPLE_MESSAGES = {
    "validation_error": "The request is not valid",
    "bad_request": "JSON is malformed. Input data was truncated",
    "payload_too_large": "The request body is too large",
    "missing_token": "This route needs an access token: Authorization: Bearer <token>",
    "invalid_token": "The access token is not valid",
    "token_expired": "The access token has expired",
    "etag_mismatch": "The resource has changed since you read it; fetch it again and retry",
    "workout_not_found": "No such workout",
    "service_unavailable": "The service is busy, try again shortly",
    "database_unavailable": "The database is unavailable, try again shortly",
    "timeout": "The request took too long",
    "deadline_exceeded": "The request took too long, try again shortly",
}


def error_example(status: int, code: str) -> dict[str, Any]:
    """An error body as the server sends it, for the document's examples."""
    example: dict[str, Any] = {
        "status_code": status,
        "error_code": code,
        "message": _EXAMPLE_MESSAGES.get(code, code.replace("_", " ").capitalize()),
        "request_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    }
    if code == "validation_error":
        example["details"] = [
            {"message": "Expected `int` >= 0", "field": "[3].reps", "source": "body"}
        ]
    elif code == "etag_mismatch":
        example["details"] = [{"current_etag": '"4"'}]
    return example


def rate_limited(method: str, path: str) -> bool:
    """Whether an operation is subject to a rate limit (429 `rate_limited`): sign-up, login,
    refresh, the password reset and the email verification per client address; every write
    and the statistics per user."""
    if path in (
        "/v1/auth/register",
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/auth/password-reset",
        "/v1/auth/password-reset/confirm",
        "/v1/auth/verify-email",
    ):
        return True
    if path.startswith("/health"):
        return False
    return method.lower() != "get" or path.startswith("/v1/stats/") or path.endswith("/history")


def responses(
    *status_codes: int,
    codes: Mapping[int, str] | None = None,
    public: bool = False,
    takes_input: bool = True,
) -> dict[int, ResponseSpec]:
    """OpenAPI declarations of a route's error responses, naming the `error_code`s each
    status can carry (`codes`, comma-separated). 400 (validation) is included unless the
    route has nothing a client can get wrong (`takes_input=False`: no body, query or typed
    header); 401 (access token) unless the route is `public`, where a 401 is listed only with
    its own codes. The document adds what every route of a kind answers (400
    `validation_error` everywhere, as every query string is checked; 413 with a body, 503
    with the database, 429 where limited; see app/core/openapi.py)."""
    codes = codes or {}
    implied = {400} if takes_input else set[int]()
    if not public:
        implied.add(401)
    specs: dict[int, ResponseSpec] = {}
    for status in sorted({*implied, *status_codes, *codes}):
        if status == 304:
            specs[status] = ResponseSpec(data_container=None, description=_NOT_MODIFIED)
            continue
        named = [c.strip() for c in codes.get(status, "").split(",") if c.strip()]
        named = [*_FIXED_CODES.get(status, []), *named]
        specs[status] = ResponseSpec(
            data_container=ErrorBody,
            generate_examples=False,
            description=ERROR_STATUSES.get(status, "Error"),
            examples=[Example(summary=code, value=error_example(status, code)) for code in named],
        )
    return specs


def error_codes_of(specs: Mapping[int, ResponseSpec]) -> dict[int, list[str]]:
    """The `error_code`s the declarations of `responses()` name, by status."""
    found: dict[int, list[str]] = {}
    for status, spec in specs.items():
        if spec.data_container is ErrorBody:
            found[status] = [e.summary for e in spec.examples or [] if e.summary]
    return found


def replay_response(container: type[Any]) -> dict[int, ResponseSpec]:
    return {
        200: ResponseSpec(
            data_container=container,
            description="A replay of an earlier create with the same id and content: "
            "the stored resource, nothing new created",
        )
    }


def error_answer(status: int, codes: list[str], description: str) -> dict[str, Any]:
    """An error response of the OpenAPI document: the error body, an example of each code,
    and the headers that go with the status (Retry-After, RateLimit, WWW-Authenticate)."""
    response: dict[str, Any] = {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ErrorBody"},
                "examples": {
                    code: {"summary": code, "value": error_example(status, code)} for code in codes
                },
            }
        },
    }
    headers: dict[str, Any] = {}
    if status in (429, 503):
        headers["Retry-After"] = _RETRY_AFTER
    if status == 429:
        headers.update(_RATE_LIMIT_HEADERS)
    if status == 401:
        headers["WWW-Authenticate"] = {
            "description": '`Bearer`, with `error="invalid_token"` for a bad token.',
            "schema": _STRING,
        }
    if headers:
        response["headers"] = headers
    return response
