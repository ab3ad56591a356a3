"""Imports: a training history from Strong or Hevy (their CSV exports) or from Kinetria's own
JSON export, into the caller's account.

Route: `POST /v1/imports?format=strong_csv|hevy_csv|kinetria_json`, the file as the body
(`text/csv` or `application/json`, at most `IMPORT_MAX_BYTES`). The file's naive timestamps
are read in `timezone` (default UTC); weights where the file does not name the unit in
`weight_unit` (default: the caller's preferred unit), distances in `distance_unit`.

* An import is all or nothing, and idempotent: each session, set and new custom exercise gets
  an id derived from the account, the format and what identifies it in the file, so
  importing the same file again creates nothing (a newer export of the same app adds only
  its new sessions). `dry_run=true` runs the import and rolls it back: the same counts,
  nothing written.
* The import runs in the request (201 with the result; 200 when it created nothing) and
  holds the whole file in memory, bounded by `IMPORT_MAX_BYTES`; it may take up to
  `IMPORT_TIMEOUT_S`.
* What cannot be read is 422 `invalid_file` naming the line and column.

The readers are in `formats.py`, the catalogue matching in `matching.py`, the writing in
`operations.py`.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from app.core.db import Db
from app.core.enums import WeightUnit
from app.core.http import responses
from app.core.security import CurrentUser
from app.imports.models import DistanceUnit, ImportFormat, ImportResult
from app.imports.operations import run_import


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
    "line and column it could not read.",
    status_code=201,
    request_max_body_size=None,  # IMPORT_MAX_BYTES, checked as the body arrives
    responses={
        200: ResponseSpec(
            data_container=ImportResult,
            description="A dry run, or a file imported before: nothing was created",
        ),
        **responses(
            413,
            422,
            codes={
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
) -> Response[ImportResult]:
    data = await request.body()
    result = await run_import(
        db,
        user_id=current_user.id,
        file_format=file_format,
        data=data,
        timezone=timezone,
        weight_unit=weight_unit,
        distance_unit=distance_unit,
        dry_run=dry_run,
    )
    created = not dry_run and (
        result.sessions_created
        or result.exercises_created
        or result.workouts_created
        or result.body_measurements_created
    )
    return Response(result, status_code=201 if created else 200)


router = Router("/v1/imports", route_handlers=[create], tags=["imports"])
