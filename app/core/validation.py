"""Request bodies and query strings are checked here for every route alike: a JSON body is
decoded strictly against the handler's `data` type before Litestar converts it (leniently:
it would take "5" for 5), and a bad value is answered 400 with its exact location (`[3].reps`,
`email`, or `body` for the whole body). Text PostgreSQL cannot store (U+0000, unpaired
surrogates) is refused the same way, in a body or in the query string, and so is an instant
it cannot store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import reduce
from operator import or_
from types import NoneType
from typing import Any
from urllib.parse import unquote_to_bytes

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.params import BodyKwarg, ParameterKwarg

from app.core.errors import AT_PATH, BadRequest, UnsupportedMediaType, body_detail

# application/json, or a structured +json type, with or without parameters (charset)
_JSON_MEDIA_TYPE = re.compile(r"^\s*application/(?:[\w.+-]+\+)?json\s*(?:;|$)", re.IGNORECASE)
_BODY_DECODER = "strict_body_decoder"  # in a route handler's `opt`, set on its first request


def _strict_decoder(handler: HTTPRouteHandler) -> Callable[[bytes], object] | None:
    """A strict decoder of the handler's JSON body, or None when it takes none."""
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return None
    body = data.kwarg_definition
    if isinstance(body, BodyKwarg) and body.media_type != RequestEncodingType.JSON:
        return None
    kind: Any = data.raw
    if data.has_default and data.is_optional:  # an optional body is left out, never `null`
        kind = reduce(or_, [t.annotation for t in data.inner_types if t.annotation is not NoneType])
    decoder = msgspec.json.Decoder(kind, strict=True)

    # a plain function, not the Decoder: Litestar deep-copies route options per app
    def decode(content: bytes) -> object:
        return decoder.decode(content)

    return decode


# Text PostgreSQL cannot store in a text column: NUL, and UTF-16 surrogates (which JSON can
# escape one by one, `"\ud800"`, and Python keeps as they are).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_UNSTORABLE_MESSAGE = "Text must be UTF-8 without U+0000 (NUL) or unpaired surrogates"


def _unstorable_at(value: Any, path: str) -> str | None:
    """The location of the first text in a decoded JSON value that cannot be stored."""
    if isinstance(value, str):
        return path if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():  # pyright: ignore[reportUnknownVariableType]
            name = str(key)  # pyright: ignore[reportUnknownArgumentType]
            if _UNSTORABLE.search(name):
                return f"{path}.{name.encode('unicode_escape').decode()}"
            found = _unstorable_at(item, f"{path}.{name}")
            if found is not None:
                return found
    if isinstance(value, list):
        return _first_in(value, path, _unstorable_at)  # pyright: ignore[reportUnknownArgumentType]
    return None


def _first_in(items: list[Any], path: str, find: Callable[[Any, str], str | None]) -> str | None:
    """The first location `find` names among the items of a list at `path`."""
    for index, item in enumerate(items):
        found = find(item, f"{path}[{index}]")
        if found is not None:
            return found
    return None


def _unstorable_text(field: str, source: str) -> BadRequest:
    return BadRequest(
        "validation_error",
        "The request is not valid",
        details=[{"message": _UNSTORABLE_MESSAGE, "field": field, "source": source}],
    )


def check_text(request: Request[Any, Any, Any], body: bytes | None) -> None:
    """400 naming the query parameter or body field whose text cannot be stored."""
    raw: bytes = request.scope.get("query_string", b"")
    if b"%" in raw:  # what the query string can hide: %00, or bytes that are not UTF-8
        for part in raw.split(b"&"):
            name, _, value = part.partition(b"=")
            try:
                text = [unquote_to_bytes(x.replace(b"+", b" ")).decode() for x in (name, value)]
            except UnicodeDecodeError:
                text = None  # an encoded surrogate (%ED%A0%80) is not UTF-8 either
            if text is None or any(_UNSTORABLE.search(x) for x in text):
                field = unquote_to_bytes(name).decode(errors="replace")
                raise _unstorable_text(field.encode("unicode_escape").decode(), "query")
    if body and (b"\x00" in body or _UNSTORABLE_ESCAPE.search(body)):
        try:
            decoded = json.loads(body)  # keeps lone surrogates, which msgspec refuses to read
        except ValueError:
            return  # not JSON: the decoders answer it
        found = _unstorable_at(decoded, "")
        if found is not None:
            raise _unstorable_text(found.removeprefix(".") or "body", "body")


_NULLABLE_QUERY = "nullable_query_names"  # in a route handler's `opt`, set on its first request


def _nullable_query_names(handler: HTTPRouteHandler) -> frozenset[str]:
    """The query parameters of `X | None` with X not text: Litestar would read `null` in
    them as the parameter left out."""
    names: set[str] = set()
    for name, parameter in handler.parsed_fn_signature.parameters.items():
        kwarg = parameter.kwarg_definition
        if not parameter.is_optional or not isinstance(kwarg, ParameterKwarg):
            continue
        if kwarg.header or kwarg.cookie:
            continue
        if any(inner.annotation is str for inner in parameter.inner_types):
            continue
        names.add(kwarg.query or getattr(kwarg, "name", None) or name)
    return frozenset(names)


def check_null_query(request: Request[Any, Any, Any]) -> None:
    """400 for `?name=null` where `name` is not text: the document says a parameter is
    never null (leave it out), so `null` is a bad value, not an absent one."""
    handler = request.route_handler
    if _NULLABLE_QUERY not in handler.opt:
        handler.opt[_NULLABLE_QUERY] = _nullable_query_names(handler)
    names: frozenset[str] = handler.opt[_NULLABLE_QUERY]
    if not names or b"null" not in request.scope.get("query_string", b""):
        return
    for name, value in request.query_params.multi_items():
        if name in names and value == "null":
            raise BadRequest(
                "validation_error",
                "The request is not valid",
                details=[
                    {
                        "message": "`null` is not a value here: leave the parameter out",
                        "field": name,
                        "source": "query",
                    }
                ],
            )


async def check_json_body(request: Request[Any, Any, Any]) -> None:
    """`before_request` hook of the app: a JSON body that does not match its type exactly
    ("5" for an int, a number of seconds for a time) is 400 `validation_error` naming the
    bad value, before Litestar converts it leniently for the handler.

    The body is decoded twice: here into its type (the result is dropped), then again by
    Litestar for the handler. Its bytes are read once (Litestar keeps them), the decoder is
    built once per route, and a typed decode takes about a microsecond per set."""
    handler = request.route_handler
    if _BODY_DECODER not in handler.opt:
        handler.opt[_BODY_DECODER] = _strict_decoder(handler)
    decode: Callable[[bytes], object] | None = handler.opt[_BODY_DECODER]
    check_null_query(request)
    if decode is None:
        check_text(request, None)
        return
    body = await request.body()
    check_text(request, body)
    if not body:
        return  # an optional body left out, or a missing one Litestar answers
    content_type = request.headers.get("content-type")
    if content_type is not None and not _JSON_MEDIA_TYPE.match(content_type):
        raise UnsupportedMediaType(
            "unsupported_media_type",
            "The request body must be JSON (Content-Type: application/json)",
        )
    try:
        found = _bad_instant_at(decode(body), "")
    except msgspec.ValidationError as exc:
        match = AT_PATH.match(str(exc))
        message, path = (match["message"], match["path"]) if match else (str(exc), "")
        raise BadRequest(
            "validation_error",
            "The request is not valid",
            details=[body_detail(message, path)],
        ) from None
    except msgspec.DecodeError:
        return  # malformed JSON: Litestar answers it
    except UnicodeDecodeError:  # a string that is not UTF-8 (msgspec does not wrap it)
        raise BadRequest("bad_request", "The request body is not valid UTF-8") from None
    if found is not None:
        raise BadRequest(
            "validation_error",
            "The request is not valid",
            details=[{"message": _INSTANT_MESSAGE, "field": found or "body", "source": "body"}],
        )


# What PostgreSQL's timestamptz takes and Python reads back: offsets under 16 hours, and the
# instant in the years 1 to 9999 once in UTC (0001-01-01T00:00:00+01:00 is in year 0).
_MAX_OFFSET = timedelta(hours=16)
_INSTANT_MESSAGE = "An instant needs an offset within ±15:59 and a UTC time in the years 1 to 9999"


def _bad_instant(value: datetime) -> bool:
    offset = value.utcoffset()
    if offset is None:
        return False
    if abs(offset) >= _MAX_OFFSET:
        return True
    try:
        value.astimezone(UTC)
    except OverflowError:
        return True
    return False


def _bad_instant_at(value: object, path: str) -> str | None:
    """The location of the first date-time in a decoded body that cannot be stored."""
    if isinstance(value, datetime):
        return path.removeprefix(".") if _bad_instant(value) else None
    if isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            found = _bad_instant_at(getattr(value, name), f"{path}.{name}")
            if found is not None:
                return found
    if isinstance(value, list):
        return _first_in(value, path, _bad_instant_at)  # pyright: ignore[reportUnknownArgumentType]
    return None
