"""Imports: a training history from Strong or Hevy (their CSV exports) or from Kinetria's own
JSON export, into the caller's account.

Routes: `POST /v1/imports?format=strong_csv|hevy_csv|kinetria_json`, the file as the body
(`text/csv` or `application/json`, at most `IMPORT_MAX_BYTES`); `GET /v1/imports` and
`GET /v1/imports/{import_id}` for the imports that run in the background. The file's naive
timestamps are read in `timezone` (default UTC); weights where the file does not name the
unit in `weight_unit` (default: the caller's preferred unit), distances in `distance_unit`.

* An import is all or nothing, and idempotent: each session, set and new custom exercise gets
  an id derived from the account, the format and what identifies it in the file, so
  importing the same file again creates nothing (a newer export of the same app adds only
  its new sessions). `dry_run=true` runs the import and rolls it back: the same counts,
  nothing written. What it creates writes its change events (the sync feed), like the API's
  own creates.
* A file of at most `IMPORT_SYNC_MAX_BYTES` is imported in the request (201 with the result;
  200 when it created nothing), within `IMPORT_TIMEOUT_S`. A larger one is stored and
  imported by the worker (`jobs.py`): 202 with `Location: /v1/imports/{id}`, which shows its
  status, progress and, once done, the same result (or the error).
* What cannot be read is 422 `invalid_file` naming the line and column (in the background:
  the import ends failed with that error).

The readers are in `csv_readers.py` and `kinetria.py` (what they share in
`formats.py`), the catalogue matching in `matching.py`, the rows written in `rows.py`, the
writing in `operations.py`, the background job in `jobs.py`.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from app.core.db import Db
from app.core.enums import WeightUnit
from app.core.http import etag, new_id, responses
from app.core.resource import Resource
from app.core.security import CurrentUser
from app.imports.jobs import NOT_FOUND, get_import, list_imports, queue_import
from app.imports.models import (
    DistanceUnit,
    ImportFormat,
    ImportJob,
    ImportOptions,
    ImportResult,
)
from app.imports.operations import run_import

IMPORTS = Resource("/v1/imports", "import_id", tags=["imports"])


@post(
    "/",
    operation_id="importHistory",
    summary="Import a training history",
    description="The request body is the file: Strong's CSV export (`format=strong_csv`, "
    "comma or semicolon delimited), Hevy's CSV export (`hevy_csv`, also Kinetria's CSV "
    "export) or Kinetria's JSON export (`kinetria_json`), at most IMPORT_MAX_BYTES. "
    "Naive timestamps are read in `timezone`; weights the file gives without a unit in "
    "`weight_unit` (default: your preferred unit), distances in `distance_unit`. Exercise "
    "names are matched to the catalogue; unmatched ones become your custom exercises. "
    "All or nothing, and importing the same file again creates nothing (200). "
    "`dry_run=true` answers the same counts without writing. 422 `invalid_file` names the "
    "line and column it could not read. A file above IMPORT_SYNC_MAX_BYTES is imported in "
    "the background: 202 with the import (`Location: /v1/imports/{id}`), whose `result` is "
    "this same document once it succeeded; send your own `id` to make that request safe to "
    "retry (a replay answers 202 with the same import; the same id with another file is "
    "409).",
    status_code=201,
    request_max_body_size=None,  # IMPORT_MAX_BYTES, checked as the body arrives
    responses={
        201: ResponseSpec(
            data_container=ImportResult, description="Imported: what the file created"
        ),
        200: ResponseSpec(
            data_container=ImportResult,
            description="A dry run, or a file imported before: nothing was created",
        ),
        202: ResponseSpec(
            data_container=ImportJob,
            description="A file above IMPORT_SYNC_MAX_BYTES, queued: its import, at Location "
            "(also for a replayed create with the same `id`: the import as it now is)",
        ),
        **responses(
            409,
            413,
            422,
            codes={
                409: "id_conflict",
                413: "payload_too_large",
                422: "invalid_file, invalid_timezone, session_in_progress",
            },
        ),
    },
)
async def create(
    db: NamedDependency[Db],
    current_user: NamedDependency[CurrentUser],
    request: Request[Any, Any, Any],
    state: State,
    file_format: Annotated[
        ImportFormat, QueryParameter(name="format", description="The file's format")
    ],
    timezone: Annotated[
        str, QueryParameter(description="IANA zone of the file's naive timestamps", max_length=64)
    ] = "UTC",
    weight_unit: Annotated[
        WeightUnit | None, QueryParameter(description="Unit of weights the file gives without one")
    ] = None,
    distance_unit: Annotated[
        DistanceUnit, QueryParameter(description="Unit of distances the file gives without one")
    ] = DistanceUnit.KM,
    dry_run: Annotated[
        bool, QueryParameter(description="Answer what would be created, write nothing")
    ] = False,
    import_id: Annotated[
        UUID | None,
        QueryParameter(
            name="id",
            description="Your id for an import that runs in the background (a replay "
            "answers the same import)",
        ),
    ] = None,
) -> Response[Any]:  # ImportResult (200, 201) or ImportJob (202): see `responses`
    options = ImportOptions(
        file_format=file_format,
        timezone=timezone,
        weight_unit=weight_unit,
        distance_unit=distance_unit,
        dry_run=dry_run,
    )
    data = await request.body()
    if len(data) > state.settings.import_sync_max_bytes:
        job, _replayed = await queue_import(
            db,
            user_id=current_user.id,
            import_id=import_id or new_id(),
            options=options,
            data=data,
        )
        headers = {"ETag": etag(job.version), "Location": f"/v1/imports/{job.id}"}
        return Response(job, status_code=202, headers=headers)
    result = await run_import(db, user_id=current_user.id, options=options, data=data)
    created = not dry_run and (
        result.sessions_created
        or result.exercises_created
        or result.workouts_created
        or result.body_measurements_created
    )
    return Response(result, status_code=201 if created else 200)


index = IMPORTS.index(
    list_imports,
    operation_id="listImports",
    summary="List background imports",
    description="Your imports that ran (or run) in the background, newest first, each with "
    "its status, progress and result or error. Cursor pagination.",
)
show = IMPORTS.show(
    get_import,
    codes={404: NOT_FOUND},
    operation_id="getImport",
    summary="Get a background import",
    description="Where an import of a file above IMPORT_SYNC_MAX_BYTES stands: `status` "
    "(queued, running, succeeded, failed), `sessions_done` of `sessions_total` (known once "
    "the file is read), and once it ended `result` (what POST /v1/imports answers for a "
    "small file) or `error` (the error it would answer, e.g. `invalid_file` with the line "
    "and column; nothing of the file was written).",
)
router = IMPORTS.router(create, index, show)
