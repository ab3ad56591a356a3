"""Routes whose handler only passes what the request carries to a plain function, by name,
and answers what it returns: the account routes (register, login, `/v1/me`, its logins, API
keys, webhooks), whose functions also take the client's audit context, named dependencies
(the settings, the password hasher) or the caller itself, beside what `resource.Resource`
covers.

    login = calling(post, "/login", log_in, TokenResponse, caller=None,
                    needs=NEEDS_PASSWORDS, body=JSONBody[LoginBody], context=client_context,
                    operation_id="login", ...)

The handler has the signature Litestar reads its parameters from, so the OpenAPI document
is the one a hand-written handler would give.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from app.core.db import Db
from app.core.error_docs import replay_response, responses
from app.core.http import (
    IfMatch,
    IfNoneMatch,
    conditional_get,
    created,
    if_match_versions,
    with_etag,
)
from app.core.resource import Operation, param
from app.core.security import CurrentUser


def _needed(name: str, annotation: Any) -> inspect.Parameter:
    """A parameter of `needs`: an annotation, or (annotation, default) like a `Filter`."""
    if isinstance(annotation, tuple):
        kind, default = annotation
        return param(name, kind, default)
    return param(name, annotation)


def _responder(
    *, if_none_match: bool, etagged: bool, creates: str | None
) -> Callable[[Any, str | None], Any]:
    """How a `calling` route answers its operation's result (and If-None-Match)."""
    if if_none_match:
        return lambda item, cached: conditional_get(item, item.version, cached)
    if creates is not None:

        def answer_created(result: tuple[Any, bool], _: str | None) -> Any:
            item, replayed = result
            return created(item, item.version, f"{creates}/{item.id}", replayed=replayed)

        return answer_created
    if etagged:
        return lambda item, _: with_etag(item, item.version)
    return lambda result, _: result


def _parameters(
    caller: str | None,
    path_ids: Sequence[str],
    needs: Mapping[str, Any] | None,
    body: Any,
    context: Any,
    *,
    if_match: bool,
    if_none_match: bool,
) -> list[inspect.Parameter]:
    """The parameters of a `calling` handler, in the order the document lists them."""
    return [
        param("db", NamedDependency[Db]),
        *([param("current_user", NamedDependency[CurrentUser])] if caller is not None else []),
        *(param(name, FromPath[UUID]) for name in path_ids),
        *(_needed(name, annotation) for name, annotation in (needs or {}).items()),
        *([_needed("data", body)] if body is not None else []),
        *([param("request", Request[Any, Any, Any])] if context is not None else []),
        *([param("if_match", IfMatch, None)] if if_match else []),
        *([param("if_none_match", IfNoneMatch, None)] if if_none_match else []),
    ]


def calling(
    route: Callable[..., Callable[[Any], HTTPRouteHandler]],
    path: str,
    operation: Operation,
    returns: Any,
    *,
    caller: str | None = "user_id",
    path_ids: Sequence[str] = (),
    needs: Mapping[str, Any] | None = None,
    body: Any = None,
    body_as: str | None = "data",
    context: Callable[[Request[Any, Any, Any]], dict[str, str]] | None = None,
    if_match: bool = False,
    if_none_match: bool = False,
    etagged: bool = False,
    creates: str | None = None,
    **options: Any,
) -> HTTPRouteHandler:
    """A route whose handler passes what the request carries to `operation`, each by name,
    and answers what it returns:

    - the caller's id as `user_id` (`caller="user"`: the caller itself as `user`; None: a
      public route, no caller);
    - each of `path_ids` from the path, and each of `needs` (name: the annotation of a
      named dependency, or a query parameter's `Filter` such as those of `PAGING`) as it is;
    - the body (`body`: its annotation, or (annotation, default)) as `body_as` (None: the
      body is checked, and not passed); `context(request)` (the client's audit context) as
      `context`; with `if_match`, the versions If-Match names as `if_match`.

    With `if_none_match` the answer is the result with its ETag or 304 (a conditional GET);
    with `etagged`, the result with its ETag; with `creates` (the path of what it makes),
    `operation` answers (resource, replayed) and the route 201 with its Location, or 200
    for a replay."""
    params = _parameters(
        caller, path_ids, needs, body, context, if_match=if_match, if_none_match=if_none_match
    )
    answer = _responder(if_none_match=if_none_match, etagged=etagged, creates=creates)

    async def handler(db: Db, **given: Any) -> Any:
        if body is not None:
            data = given.pop("data")
            if body_as is not None:
                given[body_as] = data
        if caller is not None:
            current_user: CurrentUser = given.pop("current_user")
            given[caller] = current_user.id if caller == "user_id" else current_user
        if context is not None:
            given["context"] = context(given.pop("request"))
        if if_match:
            given["if_match"] = if_match_versions(given["if_match"])
        cached = given.pop("if_none_match", None)
        return answer(await operation(db, **given), cached)

    handler.__name__ = handler.__qualname__ = operation.__name__
    handler.__signature__ = inspect.Signature(params, return_annotation=returns)  # type: ignore[attr-defined]
    handler.__annotations__ = {p.name: p.annotation for p in params} | {"return": returns}
    return route(path, **options)(handler)


def shown_once(
    shown: type[Any], stored: type[Any], description: str, *statuses: int, codes: Mapping[int, str]
) -> dict[int, ResponseSpec]:
    """The answers of a create whose 201 shows a secret this once (`shown`, described by
    `description`): a replay answers 200 with the `stored` document, without it."""
    return {
        201: ResponseSpec(data_container=shown, description=description),
        **replay_response(stored),
        **responses(*statuses, codes=codes),
    }
