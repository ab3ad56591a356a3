"""Keyset (cursor) pagination: a cursor is the sort key of the last item of a page,
opaque to clients (base64url JSON).

A list names its sort key once, from the fields of its rows, and runs its query between
`after` and `page`:

    BY_CREATION = Keyset.of(Workout, "created_at", "id")

    after = BY_CREATION.after(cursor)
    rows = await db.many("workouts/list", Workout, ..., after_created_at=after[0],
                         after_id=after[1], limit=limit + 1)
    return WorkoutPage(*BY_CREATION.page(rows, limit))
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec
from litestar.params import Parameter

from app.core.errors import BadRequest

T = TypeVar("T")
Row = TypeVar("Row", bound=msgspec.Struct)

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

LimitParam = Parameter(
    ge=1, le=MAX_LIMIT, default=DEFAULT_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}"
)
CursorParam = Parameter(default=None, description="`next_cursor` of the previous page")


class Page(msgspec.Struct):
    """A page of a list: each list's page names its items' type,

    class WorkoutPage(Page):
        items: list[Workout]
    """

    items: list[Any]
    next_cursor: str | None  # the `cursor` of the next page; null on the last one


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


@dataclass(frozen=True)
class Keyset(Generic[Row]):
    """The sort key of a keyset list: the fields of its rows, most significant first, and
    their types (the type of a decoded cursor)."""

    fields: tuple[str, ...]
    key_type: Any

    @classmethod
    def of(cls, row: type[Row], *fields: str) -> Keyset[Row]:
        """The key made of `fields` of the Struct `row`, typed as the Struct types them."""
        types = {field.name: field.type for field in msgspec.structs.fields(row)}
        key_type = tuple[tuple(types[name] for name in fields)]
        return cls(fields, key_type)

    def after(self, cursor: str | None) -> tuple[Any, ...]:
        """The key `cursor` names, for the `after_...` parameters of the list's query: all
        None on the first page (400 `invalid_cursor` for a cursor that is not one)."""
        after = decode_cursor(cursor, self.key_type)
        return (None,) * len(self.fields) if after is None else after

    def page(self, rows: Sequence[Row], limit: int) -> tuple[list[Row], str | None]:
        """Rows fetched with `limit + 1`, cut to a page, and the cursor of the next one."""
        return page_of(rows, limit, lambda row: tuple(getattr(row, f) for f in self.fields))
