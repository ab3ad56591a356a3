"""Export: the whole account, streamed, to keep or to take elsewhere.

Route: `GET /v1/me/export?format=json|csv`.

* `json` (default) is the export document, version 1 (app/imports/models.py
  `ExportDocument`, README "Import and export"): `format`, `version`, `exported_at`, then
  `profile`, `exercises` (custom ones), `workouts`, `sessions` (each with its plan and
  sets) and `body_measurements`, each entry the document the API's own GET answers. The
  `kinetria_json` import reads it back.
* `csv` is one row per set, Hevy-like columns (CSV_COLUMNS), which the `hevy_csv` import
  reads back too.

Both are read in pages (keyset, oldest first) inside one read-only REPEATABLE READ
transaction, so the file is one consistent picture however long the download takes, and
the server holds one page at a time whatever the size of the account. The connection is
taken from the pool when the body starts and given back when it ends.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from litestar import Router, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Stream

from app.body_measurements.models import BodyMeasurement
from app.core.db import Db
from app.core.enums import SetType, WeightUnit
from app.core.security import CurrentUser
from app.exercises import Exercise
from app.imports.models import EXPORT_FORMAT, EXPORT_VERSION
from app.sessions.models import Session
from app.users import User
from app.workouts import Workout

T = TypeVar("T")

PAGE = 200  # sessions (or workouts, measurements) per read
CSV_PAGE = 2000  # sets per read
CSV_COLUMNS = (
    "title",
    "start_time",
    "end_time",
    "timezone",
    "description",
    "exercise_title",
    "superset_id",
    "exercise_notes",
    "set_index",
    "set_type",
    "weight_kg",
    "weight",
    "weight_unit",
    "reps",
    "distance_km",
    "duration_seconds",
    "rpe",
    "set_notes",
)


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


class CsvSetRow(msgspec.Struct):
    """One set of the CSV export, with its session's fields (internal)."""

    started_at: datetime
    session_id: UUID
    position: int
    title: str
    ended_at: datetime | None
    timezone: str
    description: str
    exercise_title: str
    superset_id: str | None
    exercise_notes: str | None
    set_type: SetType
    weight_kg: Decimal | None
    weight: Decimal | None
    weight_unit: WeightUnit
    reps: int | None
    distance_m: Decimal | None
    duration_s: int | None
    rpe: Decimal | None
    set_notes: str


_encode = msgspec.json.Encoder(decimal_format="number").encode


async def _snapshot(db: Db) -> None:
    await db.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


async def json_chunks(db: Db, user_id: UUID) -> AsyncIterator[bytes]:
    profile = await db.one("users/get", User, user_id=user_id)
    exported_at = datetime.now(UTC)
    yield (b'{"format":"' + EXPORT_FORMAT.encode() + b'","version":' + str(EXPORT_VERSION).encode())
    yield b',"exported_at":' + _encode(exported_at) + b',"profile":' + _encode(profile)
    exercises = await db.many("exports/exercises", Exercise, user_id=user_id)
    yield b',"exercises":' + _encode(exercises)

    yield b',"workouts":['
    async for chunk in _json_items(
        lambda after: db.many(
            "exports/workouts",
            Workout,
            user_id=user_id,
            after_created_at=after[0],
            after_id=after[1],
            limit=PAGE,
        ),
        lambda w: (w.created_at, w.id),
    ):
        yield chunk
    yield b'],"sessions":['
    async for chunk in _json_items(
        lambda after: db.many(
            "exports/sessions",
            Session,
            user_id=user_id,
            after_started_at=after[0],
            after_id=after[1],
            limit=PAGE,
        ),
        lambda s: (s.started_at, s.id),
    ):
        yield chunk
    yield b'],"body_measurements":['
    async for chunk in _json_items(
        lambda after: db.many(
            "exports/body_measurements",
            BodyMeasurement,
            user_id=user_id,
            after_measured_at=after[0],
            after_id=after[1],
            limit=PAGE,
        ),
        lambda m: (m.measured_at, m.id),
    ):
        yield chunk
    yield b"]}\n"


async def _pages(
    read: Callable[[tuple[Any, ...]], Awaitable[list[T]]],
    key: Callable[[T], tuple[Any, ...]],
    *,
    size: int,
    first: tuple[Any, ...],
) -> AsyncIterator[list[T]]:
    """Every page `read(after)` answers, `size` rows at most, keyset on `key`: from `first`
    (all None: the beginning) to the first page shorter than `size` (empty pages left out)."""
    after = first
    while True:
        items = await read(after)
        if items:
            yield items
        if len(items) < size:
            break
        after = key(items[-1])


async def _json_items(
    read: Callable[[tuple[Any, ...]], Awaitable[list[T]]], key: Callable[[T], tuple[Any, ...]]
) -> AsyncIterator[bytes]:
    """The items of every page `read(after)` answers (keyset on `key`, PAGE at a time), as
    the inside of a JSON array."""
    separator = b""
    async for items in _pages(read, key, size=PAGE, first=(None, None)):
        yield separator + b",".join(_encode(item) for item in items)
        separator = b","


def _number(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


def _local(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    try:
        return moment.astimezone(ZoneInfo(zone)).isoformat()
    except (KeyError, ValueError):
        return moment.isoformat()


def _csv_row(r: CsvSetRow) -> tuple[Any, ...]:
    return (
        r.title,
        _local(r.started_at, r.timezone),
        _local(r.ended_at, r.timezone),
        r.timezone,
        r.description,
        r.exercise_title,
        r.superset_id or "",
        r.exercise_notes or "",
        r.position,
        r.set_type.value,
        _number(r.weight_kg),
        _number(r.weight),
        r.weight_unit.value,
        "" if r.reps is None else r.reps,
        _number(None if r.distance_m is None else r.distance_m / 1000),
        "" if r.duration_s is None else r.duration_s,
        _number(r.rpe),
        r.set_notes,
    )


async def csv_chunks(db: Db, user_id: UUID) -> AsyncIterator[bytes]:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield out.getvalue().encode()
    pages = _pages(
        lambda after: db.many(
            "exports/set_rows",
            CsvSetRow,
            user_id=user_id,
            after_started_at=after[0],
            after_id=after[1],
            after_position=after[2],
            limit=CSV_PAGE,
        ),
        lambda r: (r.started_at, r.session_id, r.position),
        size=CSV_PAGE,
        first=(None, None, None),
    )
    async for rows in pages:
        out.seek(0)
        out.truncate()
        writer.writerows(_csv_row(r) for r in rows)
        yield out.getvalue().encode()


async def _stream(state: State, user_id: UUID, export_format: ExportFormat) -> AsyncIterator[bytes]:
    settings = state.settings
    async with state.pool.connection() as conn:
        db = Db(conn, state.queries, settings.slow_query_ms)
        async with db.transaction():
            await _snapshot(db)
            chunks = json_chunks if export_format is ExportFormat.JSON else csv_chunks
            async for chunk in chunks(db, user_id):
                yield chunk


@get(
    "/",
    operation_id="exportAccount",
    summary="Export your account",
    description="Streams everything in your account. `format=json` (default): the export "
    "document, version 1 (profile, custom exercises, workouts, sessions with their plans "
    "and sets, body measurements; each entry as the API's GET shows it), which "
    "`POST /v1/imports?format=kinetria_json` reads back. `format=csv`: one row per set, "
    'Hevy-like columns (README "Import and export"), which `format=hevy_csv` reads back.',
    opt={"also_answers": {"text/csv": {"type": "string", "description": "format=csv"}}},
)
async def export(
    state: State,
    current_user: NamedDependency[CurrentUser],
    export_format: Annotated[
        ExportFormat, QueryParameter(name="format", description="json or csv")
    ] = ExportFormat.JSON,
) -> Stream:
    day = datetime.now(UTC).date().isoformat()
    media_type, suffix = (
        ("application/json", "json")
        if export_format is ExportFormat.JSON
        else ("text/csv", "csv")  # the charset (utf-8) is added to text types
    )
    return Stream(
        _stream(state, current_user.id, export_format),
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="kinetria-export-{day}.{suffix}"',
            "Cache-Control": "no-store",
        },
    )


router = Router("/v1/me/export", route_handlers=[export], tags=["account"])
