"""Keyset (cursor) pagination: a cursor is the sort key of the last item of a page,
opaque to clients (base64url JSON)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import msgspec
from litestar.params import Parameter

from app.core.errors import BadRequest

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

LimitParam = Parameter(
    ge=1, le=MAX_LIMIT, default=DEFAULT_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}"
)
CursorParam = Parameter(default=None, description="`next_cursor` of the previous page")


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(key)).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str | None, key_type: type[T]) -> T | None:
    """The sort key in `cursor` as `key_type` (a tuple type), or None for the first page."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return msgspec.json.decode(raw, type=key_type)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise BadRequest("invalid_cursor", "The cursor is not valid for this list") from None


def page_of(
    rows: Sequence[T], limit: int, key: Callable[[T], tuple[Any, ...]]
) -> tuple[list[T], str | None]:
    """Cut rows fetched with `limit + 1` to a page and the cursor of the next one."""
    if len(rows) <= limit:
        return list(rows), None
    items = list(rows[:limit])
    return items, encode_cursor(*key(items[-1]))
