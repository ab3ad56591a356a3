"""The routes every resource has, written once: its list (cursor pages), an idempotent
create (201, or 200 for a replay), a read with its ETag (304 for If-None-Match), writes
under If-Match, a delete, and the `Router` carrying the resource's path and tags.

A resource module keeps its plain functions (`get_workout(db, *, user_id, workout_id)`) and
names them here with what the document says of each route:

    WORKOUTS = Resource("/v1/workouts", "workout_id", tags=["workouts"])
    show = WORKOUTS.show(get_workout, Workout, operation_id="getWorkout", ...)
    router = WORKOUTS.router(index, create, show, update, remove)

The handlers parse, call and answer; the path parameter keeps the resource's own name
(`workout_id`), so the OpenAPI document is the one a hand-written handler would give.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Protocol
from uuid import UUID

from litestar import Response, Router, delete, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, QueryParameter

from app.core.db import Db
from app.core.http import (
    CREATED_HEADERS,
    ETAG_HEADER,
    IfMatch,
    IfNoneMatch,
    conditional_get,
    created,
    if_match_versions,
    replay_response,
    responses,
    with_etag,
)
from app.core.pagination import CursorParam, LimitParam
from app.core.security import CurrentUser


class Versioned(Protocol):
    @property
    def id(self) -> UUID: ...
    @property
    def version(self) -> int: ...


Operation = Callable[..., Awaitable[Any]]
# a query parameter of a list: (annotation, default)
Filter = tuple[Any, Any]
_EMPTY = inspect.Parameter.empty

# the local-day bounds of a list (sessions, body measurements), in each row's own time zone
FromDay = Annotated[date | None, QueryParameter(name="from", description="First day, YYYY-MM-DD")]
ToDay = Annotated[date | None, QueryParameter(name="to", description="Last day, YYYY-MM-DD")]


def _param(name: str, annotation: Any, default: Any = _EMPTY) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


_CALLER = (_param("db", NamedDependency[Db]), _param("current_user", NamedDependency[CurrentUser]))


def _signed(
    fn: Callable[..., Awaitable[Any]], name: str, params: Sequence[inspect.Parameter], returns: Any
) -> Callable[..., Awaitable[Any]]:
    """`fn` (taking keywords) with the signature Litestar reads its parameters from."""
    fn.__name__ = fn.__qualname__ = name
    fn.__signature__ = inspect.Signature(list(params), return_annotation=returns)  # type: ignore[attr-defined]
    fn.__annotations__ = {p.name: p.annotation for p in params} | {"return": returns}
    return fn


@dataclass(frozen=True)
class Resource:
    """One resource's routes: `path` (`/v1/workouts`, also the Location prefix of what a
    create makes), the name of its id in paths (`workout_id`) and its OpenAPI tags."""

    path: str
    param: str
    tags: Sequence[str]

    @property
    def item(self) -> str:
        return f"/{{{self.param}:uuid}}"

    def router(self, *handlers: HTTPRouteHandler) -> Router:
        return Router(self.path, route_handlers=list(handlers), tags=list(self.tags))

    def index(
        self,
        list_items: Operation,
        page: type[Any],
        *,
        filters: Mapping[str, Filter] | None = None,
        passed_as: Mapping[str, str] | None = None,
        **doc: Any,
    ) -> HTTPRouteHandler:
        """`GET /`: a cursor page; `filters` are the query parameters besides `limit` and
        `cursor`, passed to `list_items` by their name (or the one `passed_as` gives)."""
        renamed = passed_as or {}

        async def index(db: Db, current_user: CurrentUser, **query: Any) -> Any:
            given = {renamed.get(k, k): v for k, v in query.items()}
            return await list_items(db, user_id=current_user.id, **given)

        params = [
            *_CALLER,
            _param("limit", int, LimitParam),
            _param("cursor", str | None, CursorParam),
            *(_param(name, kind, default) for name, (kind, default) in (filters or {}).items()),
        ]
        handler = _signed(index, "index", params, page)
        return get("/", responses=responses(codes={400: "invalid_cursor"}), **doc)(handler)

    def create(
        self,
        make: Operation,
        returns: type[Versioned],
        *,
        body: Any,
        statuses: Sequence[int] = (),
        codes: Mapping[int, str],
        **doc: Any,
    ) -> HTTPRouteHandler:
        """`POST /`: `make(db, user_id=, data=)` answers (resource, replayed)."""

        async def create(db: Db, current_user: CurrentUser, data: Any) -> Response[Any]:
            item, replayed = await make(db, user_id=current_user.id, data=data)
            return created(item, item.version, f"{self.path}/{item.id}", replayed=replayed)

        handler = _signed(create, "create", [*_CALLER, _param("data", body)], Response[returns])
        documented = {**replay_response(returns), **responses(*statuses, codes=codes)}
        return post("/", response_headers=CREATED_HEADERS, responses=documented, **doc)(handler)

    def show(
        self,
        fetch: Operation,
        returns: type[Versioned],
        *,
        statuses: Sequence[int] = (),
        codes: Mapping[int, str],
        **doc: Any,
    ) -> HTTPRouteHandler:
        """`GET /{id}`: the resource with its ETag, or 304 when If-None-Match names it."""

        async def show(
            db: Db, current_user: CurrentUser, if_none_match: str | None = None, **path: UUID
        ) -> Response[Any]:
            item = await fetch(db, user_id=current_user.id, **path)
            return conditional_get(item, item.version, if_none_match)

        params = [
            *_CALLER,
            _param(self.param, FromPath[UUID]),
            _param("if_none_match", IfNoneMatch, None),
        ]
        handler = _signed(show, "show", params, Response[returns])
        specs = responses(304, *statuses, codes=codes)
        return get(self.item, response_headers=ETAG_HEADER, responses=specs, **doc)(handler)

    def write(
        self,
        route: Callable[..., Callable[[Any], HTTPRouteHandler]],
        change: Operation,
        returns: type[Versioned],
        *,
        body: Any,
        body_as: str = "data",
        path: str = "",
        statuses: Sequence[int] = (),
        codes: Mapping[int, str],
        **doc: Any,
    ) -> HTTPRouteHandler:
        """A write under If-Match at the resource's path (plus `path`), answering the
        resource with its new ETag: `change(db, user_id=, <id>=, <body_as>=, if_match=)`."""

        async def write(
            db: Db, current_user: CurrentUser, data: Any, if_match: str | None = None, **ids: UUID
        ) -> Response[Any]:
            versions = if_match_versions(if_match)
            given = {body_as: data, "if_match": versions}
            item = await change(db, user_id=current_user.id, **ids, **given)
            return with_etag(item, item.version)

        params = [
            *_CALLER,
            _param(self.param, FromPath[UUID]),
            _param("data", body),
            _param("if_match", IfMatch, None),
        ]
        handler = _signed(write, route.__name__, params, Response[returns])
        specs = responses(412, *statuses, codes=codes)
        return route(self.item + path, response_headers=ETAG_HEADER, responses=specs, **doc)(
            handler
        )

    def remove(
        self,
        remove_item: Operation,
        *,
        statuses: Sequence[int] = (),
        codes: Mapping[int, str],
        **doc: Any,
    ) -> HTTPRouteHandler:
        """`DELETE /{id}` under If-Match: `remove_item(db, user_id=, <id>=, if_match=)`."""

        async def remove(
            db: Db, current_user: CurrentUser, if_match: str | None = None, **ids: UUID
        ) -> None:
            versions = if_match_versions(if_match)
            await remove_item(db, user_id=current_user.id, **ids, if_match=versions)

        params = [*_CALLER, _param(self.param, FromPath[UUID]), _param("if_match", IfMatch, None)]
        handler = _signed(remove, "remove", params, None)
        specs = responses(412, *statuses, codes=codes)
        return delete(self.item, responses=specs, **doc)(handler)
