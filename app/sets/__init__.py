"""Sets: what was performed, set by set, within a session.

Routes: `POST /v1/sessions/{session_id}/sets` (one set as a JSON object, or a batch of 1 to
500 as a JSON array: all or nothing), `GET/PATCH/DELETE
/v1/sessions/{session_id}/sets/{set_id}`.

* New sets are logged only on a session in progress (409 `session_not_in_progress`
  otherwise). A completed session still takes corrections (PATCH and DELETE of its sets);
  an abandoned session's sets are frozen (409 `session_abandoned`).
* Every change of a set also bumps its session's version: the session document
  (`GET /v1/sessions/{id}`) includes the sets, so its ETag must change with them.
  The log response carries the new `session_version` so a client need not re-read it.
* Weights are stored in kg (exact) and shown in the unit they were entered in; a weight
  without `weight_unit` is in the user's preferred unit. At most 3 decimals.
* Replaying a logged set (same client id, same content) shows it as stored and does not
  insert it again; a batch whose sets were all stored already answers 200 instead of 201.
"""

from __future__ import annotations

from uuid import UUID

from litestar import Response, patch, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from app.core.db import Db
from app.core.http import responses
from app.core.resource import Resource
from app.core.security import CurrentUser
from app.sets.models import LoggedSets, SetBatch, SetCreate
from app.sets.operations import delete_set, get_set, log_sets, update_set

SETS = Resource(
    "/v1/sessions/{session_id:uuid}/sets", "set_id", tags=["sessions"], within=["session_id"]
)


@post(
    "/",
    operation_id="logSets",
    summary="Log sets",
    description="Logs one set (a JSON object) or a batch of 1 to 500 (a JSON array) on a "
    "session in progress, in one transaction: all or nothing. Sets are appended in request "
    "order. Each set may carry its own `id`: replaying sets already stored (same id, same "
    "content) shows them as stored instead of adding them twice, and a batch made only of "
    "replays answers 200. A weight without `weight_unit` is in your preferred unit. "
    "`records` lists the personal records the sets set (see GET /v1/stats/records): per "
    "set and kind, the new value and the one it beat.",
    status_code=201,
    responses={
        200: ResponseSpec(
            data_container=LoggedSets,
            description="Every set was already stored (a replay): nothing new was logged",
        ),
        **responses(
            404,
            409,
            413,
            422,
            codes={
                400: "duplicate_id",
                404: "session_not_found",
                409: "session_not_in_progress, id_conflict",
                422: "unknown_exercise, out_of_range",
            },
        ),
    },
)
async def log(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    session_id: FromPath[UUID],
    data: JSONBody[SetCreate | SetBatch],
) -> Response[LoggedSets]:
    logged, replayed = await log_sets(db, user_id=current_user.id, session_id=session_id, data=data)
    return Response(logged, status_code=200 if replayed else 201)


show = SETS.show(
    get_set,
    codes={404: "set_not_found"},
    operation_id="getSet",
    summary="Get a set",
    description="One set of one of your sessions, with its ETag.",
)
update = SETS.write(
    patch,
    update_set,
    codes={
        404: "set_not_found",
        409: "session_abandoned",
        422: "unknown_exercise, out_of_range",
    },
    operation_id="updateSet",
    summary="Correct a set",
    description="Changes the fields given; `null` clears a measurement. Changing only "
    "`weight_unit` keeps the number and reads it in the new unit. Sets of a session in "
    "progress or completed can be corrected; an abandoned session's cannot.",
)
remove = SETS.remove(
    delete_set,
    codes={404: "set_not_found", 409: "session_abandoned"},
    operation_id="deleteSet",
    summary="Delete a set",
    description="Deletes one set; the others keep their positions. Not on an abandoned session.",
)
router = SETS.router(log, show, update, remove)
