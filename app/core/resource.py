"""The routes every resource has, written once: its list (cursor pages), an idempotent
create (201, or 200 for a replay), a read with its ETag (304 for If-None-Match), writes
under If-Match, a delete, and the `Router` carrying the resource's path and tags.

A resource module keeps its plain functions (`get_workout(db, *, user_id, workout_id)`) and
names them here with what the document says of each route:

    WORKOUTS = Resource("/v1/workouts", "workout_id", tags=["workouts"])
    show = WORKOUTS.show(get_workout, operation_id="getWorkout", ...)
    router = WORKOUTS.router(index, create, show, update, remove)

What a route answers and the body it takes are read from the function's annotations
(`-> Workout`, `data: WorkoutPatch`), so they are written once.

The handlers parse, call and answer; the path parameter keeps the resource's own name
(`workout_id`), so the OpenAPI document is the one a hand-written handler would give. A
resource inside another names the ids of its path first (`within=["session_id"]`), and its
functions take them all (`get_set(db, *, user_id, session_id, set_id)`).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, get_args, get_origin, get_type_hints
from uuid import UUID

from litestar import Response, Router, delete, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, JSONBody, QueryParameter

from app.core.db import Db
from app.core.enums import BodyMeasurementKind
from app.core.error_docs import replay_response, responses
from app.core.http import (
    CREATED_HEADERS,
    ETAG_HEADER,
    IfMatch,
    IfNoneMatch,
    conditional_get,
    created,
    if_match_versions,
    with_etag,
)
from app.core.pagination import CursorParam, LimitParam
from app.core.security import CurrentUser

Operation = Callable[..., Awaitable[Any]]
# the error codes a route may answer, by status: {404: "workout_not_found"} (every status a
# route answers besides 400 and 401 is named here, even with no codes of its own: "")
Codes = Mapping[int, str]
# a query parameter of a list: (annotation, default)
Filter = tuple[Any, Any]
_EMPTY = inspect.Parameter.empty

# the query parameters of every cursor-paged list
PAGING: Mapping[str, Filter] = {"limit": (int, LimitParam), "cursor": (str | None, CursorParam)}
# the local-day bounds of a list (sessions, body measurements), in each row's own time zone
FromDay = Annotated[date | None, QueryParameter(name="from", description="First day, YYYY-MM-DD")]
ToDay = Annotated[date | None, QueryParameter(name="to", description="Last day, YYYY-MM-DD")]
# the kinds of body measurement a list or a report keeps (repeat `kind` for several)
KindFilter = Annotated[
    list[BodyMeasurementKind] | None, QueryParameter(description="Only these kinds")
]


def param(name: str, annotation: Any, default: Any = _EMPTY) -> inspect.Parameter:
    """A keyword-only parameter of a generated handler's signature."""
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


_CALLER = (param("db", NamedDependency[Db]), param("current_user", NamedDependency[CurrentUser]))


def _hints(fn: Operation) -> dict[str, Any]:
    """The annotations of `fn` (or of the function a `functools.partial` wraps), resolved."""
    return get_type_hints(getattr(fn, "func", fn), include_extras=True)


def _answer(fn: Operation) -> Any:
    """What `fn` answers: its return type; for a create's `(resource, replayed)`, the
    resource's."""
    returns = _hints(fn)["return"]
    return get_args(returns)[0] if get_origin(returns) is tuple else returns


def _body(fn: Operation, name: str) -> tuple[Any, Any]:
    """The JSON body `fn` takes as `name`, and its default (a body with one may be left
    out)."""
    default = inspect.signature(fn).parameters[name].default
    return JSONBody[_hints(fn)[name]], default


def _signed(
    fn: Callable[..., Awaitable[Any]], name: str, params: Sequence[inspect.Parameter], returns: Any
) -> Callable[..., Awaitable[Any]]:
    """`fn` (taking keywords) with the signature Litestar reads its parameters from."""
    fn.__name__ = fn.__qualname__ = name
    fn.__signature__ = inspect.Signature(list(params), return_annotation=returns)  # type: ignore[attr-defined]
    fn.__annotations__ = {p.name: p.annotation for p in params} | {"return": returns}
    return fn


def reading(
    path: str,
    read: Operation,
    *,
    query: Mapping[str, Filter],
    path_ids: Sequence[str] = (),
    passed_as: Mapping[str, str] | None = None,
    codes: Codes,
    returns: Any = None,
    **doc: Any,
) -> HTTPRouteHandler:
    """A GET whose handler passes the caller's id, the ids in `path` (`path_ids`) and the
    `query` parameters, each by its name (or the one `passed_as` gives), to `read`, and
    answers what it returns (`returns`, or the type its annotation names)."""
    renamed = passed_as or {}
    returns = _answer(read) if returns is None else returns

    async def handler(db: Db, current_user: CurrentUser, **given: Any) -> Any:
        arguments = {renamed.get(k, k): v for k, v in given.items()}
        return await read(db, user_id=current_user.id, **arguments)

    params = [
        *_CALLER,
        *(param(name, FromPath[UUID]) for name in path_ids),
        *(param(name, kind, default) for name, (kind, default) in query.items()),
    ]
    signed = _signed(handler, read.__name__, params, returns)
    return get(path, responses=responses(codes=codes), **doc)(signed)


def listing(
    list_items: Operation,
    page: type[Any],
    *,
    filters: Mapping[str, Filter] | None = None,
    passed_as: Mapping[str, str] | None = None,
    **doc: Any,
) -> HTTPRouteHandler:
    """`GET /`: a cursor page; `filters` are the query parameters besides `limit` and
    `cursor`."""
    return reading(
        "/",
        list_items,
        query={**PAGING, **(filters or {})},
        passed_as=passed_as,
        codes={400: "invalid_cursor"},
        returns=page,
        **doc,
    )


@dataclass(frozen=True)
class Resource:
    """One resource's routes: `path` (`/v1/workouts`, also the Location prefix of what a
    create makes), the name of its id in paths (`workout_id`), its OpenAPI tags, and the
    ids `path` itself holds (`/v1/sessions/{session_id:uuid}/sets`: `["session_id"]`)."""

    path: str
    param: str
    tags: Sequence[str]
    within: Sequence[str] = ()

    @property
    def item(self) -> str:
        return f"/{{{self.param}:uuid}}"

    def _ids(self) -> list[inspect.Parameter]:
        """The parameters of the ids in an item's path, outermost first."""
        return [param(name, FromPath[UUID]) for name in (*self.within, self.param)]

    def router(self, *handlers: HTTPRouteHandler, **options: Any) -> Router:
        return Router(self.path, route_handlers=list(handlers), tags=list(self.tags), **options)

    def index(
        self,
        list_items: Operation,
        *,
        filters: Mapping[str, Filter] | None = None,
        passed_as: Mapping[str, str] | None = None,
        **doc: Any,
    ) -> HTTPRouteHandler:
        """`GET /`: a cursor page (see `listing`)."""
        page = _answer(list_items)
        return listing(list_items, page, filters=filters, passed_as=passed_as, **doc)

    def create(self, make: Operation, *, codes: Codes, **doc: Any) -> HTTPRouteHandler:
        """`POST /`: `make(db, user_id=, data=)` answers (resource, replayed)."""
        returns = _answer(make)
        body, _ = _body(make, "data")

        async def create(db: Db, current_user: CurrentUser, data: Any) -> Response[Any]:
            item, replayed = await make(db, user_id=current_user.id, data=data)
            return created(item, item.version, f"{self.path}/{item.id}", replayed=replayed)

        handler = _signed(create, "create", [*_CALLER, param("data", body)], Response[returns])
        documented = {**replay_response(returns), **responses(codes=codes)}
        return post("/", response_headers=CREATED_HEADERS, responses=documented, **doc)(handler)

    def show(self, fetch: Operation, *, codes: Codes, **doc: Any) -> HTTPRouteHandler:
        """`GET /{id}`: the resource with its ETag, or 304 when If-None-Match names it."""
        returns = _answer(fetch)

        async def show(
            db: Db, current_user: CurrentUser, if_none_match: str | None = None, **path: UUID
        ) -> Response[Any]:
            item = await fetch(db, user_id=current_user.id, **path)
            return conditional_get(item, item.version, if_none_match)

        params = [*_CALLER, *self._ids(), param("if_none_match", IfNoneMatch, None)]
        handler = _signed(show, "show", params, Response[returns])
        specs = responses(304, codes=codes)
        return get(self.item, response_headers=ETAG_HEADER, responses=specs, **doc)(handler)

    def write(
        self,
        route: Callable[..., Callable[[Any], HTTPRouteHandler]],
        change: Operation,
        *,
        body: Any = None,
        body_as: str = "data",
        path: str = "",
        codes: Codes,
        **doc: Any,
    ) -> HTTPRouteHandler:
        """A write under If-Match at the resource's path (plus `path`), answering the
        resource with its new ETag: `change(db, user_id=, <id>=, <body_as>=, if_match=)`.
        The body is the JSON `change` takes as `body_as`, unless `body` says otherwise."""
        returns = _answer(change)
        taken, body_default = _body(change, body_as)
        body = taken if body is None else body

        async def write(
            db: Db, current_user: CurrentUser, data: Any, if_match: str | None = None, **ids: UUID
        ) -> Response[Any]:
            versions = if_match_versions(if_match)
            given = {body_as: data, "if_match": versions}
            item = await change(db, user_id=current_user.id, **ids, **given)
            return with_etag(item, item.version)

        params = [
            *_CALLER,
            *self._ids(),
            param("data", body, body_default),
            param("if_match", IfMatch, None),
        ]
        handler = _signed(write, route.__name__, params, Response[returns])
        specs = responses(412, codes=codes)
        return route(self.item + path, response_headers=ETAG_HEADER, responses=specs, **doc)(
            handler
        )

    def remove(self, remove_item: Operation, *, codes: Codes, **doc: Any) -> HTTPRouteHandler:
        """`DELETE /{id}` under If-Match: `remove_item(db, user_id=, <id>=, if_match=)`."""

        async def remove(
            db: Db, current_user: CurrentUser, if_match: str | None = None, **ids: UUID
        ) -> None:
            versions = if_match_versions(if_match)
            await remove_item(db, user_id=current_user.id, **ids, if_match=versions)

        params = [*_CALLER, *self._ids(), param("if_match", IfMatch, None)]
        handler = _signed(remove, "remove", params, None)
        specs = responses(412, codes=codes)
        return delete(self.item, responses=specs, **doc)(handler)
