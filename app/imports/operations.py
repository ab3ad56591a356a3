"""An import: the file read, its exercise names matched, and everything written in one
transaction (or, with `dry_run`, written and rolled back, so the counts are exact)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import psycopg

from app import audit
from app.core.db import Db
from app.core.enums import AuditAction, ExerciseCategory, MuscleGroup, WeightUnit
from app.core.errors import Unprocessable
from app.core.http import json_param
from app.core.request_log import current_request_id
from app.imports.formats import (
    FileError,
    ImportedExercise,
    ImportedSession,
    ImportedSet,
    Parsed,
    read_hevy,
    read_strong,
)
from app.imports.matching import CatalogueName, Matcher, normalized
from app.imports.models import (
    DistanceUnit,
    ExportDocument,
    ImportedCounts,
    ImportFormat,
    ImportResult,
    NewExercise,
    SkippedRows,
)
from app.users import User

# the namespace of the ids an import derives (uuid5), so the same row gets the same id
IMPORT_NAMESPACE = UUID("6f0e7a52-3b1c-4f4e-9d8a-6f1b2f9d3c10")
SESSIONS_PER_BATCH = 500


def _invalid_file(line: int, column: str, message: str) -> Unprocessable:
    where = f"line {line}" + (f", column {column}" if column else "")
    return Unprocessable(
        "invalid_file",
        f"{where}: {message}",
        details=[{"line": line, "column": column, "message": message, "source": "body"}],
    )


def _known_zone(timezone: str) -> bool:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def check_timezone(timezone: str) -> None:
    if not _known_zone(timezone):
        raise Unprocessable(
            "invalid_timezone",
            "Unknown time zone (use an IANA name such as Europe/Paris)",
            details=[{"field": "timezone", "source": "query"}],
        ) from None


def _read_kinetria(data: bytes, timezone: str) -> tuple[Parsed, ExportDocument]:
    try:
        doc = msgspec.json.decode(data, type=ExportDocument)
    except msgspec.DecodeError as exc:
        # msgspec names the JSON path ($.sessions[0].sets[2].reps) and, for bad JSON, the
        # character offset: both are the "column"
        message = str(exc)
        path = message.rsplit(" - at ", 1)[1] if " - at " in message else ""
        raise _invalid_file(1, path, message) from None
    if doc.version != 1:
        raise _invalid_file(1, "$.version", f"Version {doc.version} is not one this server reads")
    # a zone PostgreSQL does not know would be stored as it is (the tables check lengths)
    zoned = [(f"$.sessions[{i}].timezone", s.timezone) for i, s in enumerate(doc.sessions)]
    zoned += [
        (f"$.body_measurements[{i}].timezone", m.timezone)
        for i, m in enumerate(doc.body_measurements)
    ]
    for path, zone in zoned:
        if zone and not _known_zone(zone):
            raise _invalid_file(1, path, f"Unknown time zone {zone!r}")
    parsed = Parsed()
    for session in doc.sessions:
        imported = ImportedSession(
            key=f"kinetria|{session.id}",
            name=session.name,
            started_at=session.started_at,
            ended_at=session.ended_at,
            timezone=session.timezone or timezone,
            notes=session.notes,
            status=session.status.value,
            workout_key=str(session.workout_id) if session.workout_id else None,
        )
        for planned in session.exercises:
            imported.exercises.append(
                ImportedExercise(
                    exercise=f"{planned.exercise_id}|{planned.exercise_name}",
                    notes=planned.notes,
                    group_key=planned.group.key if planned.group else None,
                    group_kind=planned.group.kind if planned.group else None,
                    group_position=planned.group.position if planned.group else None,
                    targets={
                        "target_sets": planned.target_sets,
                        "target_reps": planned.target_reps,
                        "target_weight_kg": planned.target_weight_kg,
                        "target_rest_s": planned.target_rest_s,
                    },
                )
            )
        for s in session.sets:
            parsed.rows += 1
            imported.sets.append(
                ImportedSet(
                    exercise=f"{s.exercise_id}|{s.exercise_name}",
                    set_type=s.set_type,
                    reps=s.reps,
                    weight=None if s.weight is None else Decimal(repr(s.weight)),
                    weight_unit=s.weight_unit,
                    duration_s=s.duration_s,
                    distance_m=None if s.distance_m is None else Decimal(repr(s.distance_m)),
                    rpe=None if s.rpe is None else Decimal(repr(s.rpe)),
                    notes=s.notes,
                    performed_at=s.performed_at,
                    source_id=str(s.id),
                )
            )
        parsed.sessions.append(imported)
    return parsed, doc


def _category(sets: list[ImportedSet]) -> ExerciseCategory:
    """A guess for an unmatched exercise, from how its sets were done."""
    if any(s.distance_m for s in sets):
        return ExerciseCategory.CARDIO
    if any(s.weight for s in sets):
        return ExerciseCategory.STRENGTH
    if any(s.reps for s in sets):
        return ExerciseCategory.BODYWEIGHT
    return ExerciseCategory.FLEXIBILITY if sets else ExerciseCategory.STRENGTH


def _batches(items: list[ImportedSession]) -> Iterator[list[ImportedSession]]:
    for start in range(0, len(items), SESSIONS_PER_BATCH):
        yield items[start : start + SESSIONS_PER_BATCH]


async def run_import(
    db: Db,
    *,
    user_id: UUID,
    file_format: ImportFormat,
    data: bytes,
    timezone: str,
    weight_unit: WeightUnit | None,
    distance_unit: DistanceUnit,
    dry_run: bool,
    progress: Callable[[int, int], Awaitable[None]] | None = None,
    before_commit: Callable[[ImportResult], Awaitable[None]] | None = None,
) -> ImportResult:
    """Read the file and write what it holds, in one transaction, with its change events.
    `progress(sessions_done, sessions_total)` is awaited once the file is read and after
    each batch of sessions written (inside the transaction: report it on another
    connection); `before_commit(result)` runs last in the transaction of a real import, so
    what it writes commits (or rolls back) with the data."""
    check_timezone(timezone)
    if weight_unit is None:
        user = await db.one("users/get", User, user_id=user_id)
        weight_unit = user.preferred_weight_unit if user is not None else WeightUnit.KG
    doc: ExportDocument | None = None
    try:
        if file_format is ImportFormat.STRONG_CSV:
            parsed = read_strong(
                data, timezone=timezone, weight_unit=weight_unit, distance_unit=distance_unit
            )
        elif file_format is ImportFormat.HEVY_CSV:
            parsed = read_hevy(
                data, timezone=timezone, weight_unit=weight_unit, distance_unit=distance_unit
            )
        else:
            parsed, doc = _read_kinetria(data, timezone)
    except FileError as exc:
        raise _invalid_file(exc.line, exc.column, exc.message) from None

    def derived(*parts: object) -> UUID:
        return uuid5(
            IMPORT_NAMESPACE, "/".join([str(user_id), file_format.value, *map(str, parts)])
        )

    names = await db.many("imports/catalogue", CatalogueName, user_id=user_id)
    matcher = Matcher(names)
    system_ids = {n.exercise_id for n in names if n.source == "system"}
    custom_fields: dict[str, Any] = {}
    if doc is not None:
        custom_fields = {normalized(e.name): e for e in doc.exercises}

    # every name the file uses -> an exercise id; the unmatched become custom exercises
    sets_of: dict[str, list[ImportedSet]] = {}
    for session in parsed.sessions:
        for s in session.sets:
            sets_of.setdefault(s.exercise, []).append(s)
        for planned in session.exercises:
            sets_of.setdefault(planned.exercise, [])
    exercise_ids: dict[str, UUID] = {}
    new_exercises: dict[UUID, dict[str, Any]] = {}
    for written, its_sets in sets_of.items():
        name = written
        if doc is not None:  # "<exported id>|<name>": a system exercise keeps its id
            exported_id, name = written.split("|", 1)
            if UUID(exported_id) in system_ids:
                exercise_ids[written] = UUID(exported_id)
                continue
        found = matcher.find(name)
        if found is None:
            found = derived("exercise", normalized(name))
            if found not in new_exercises:
                fields = custom_fields.get(normalized(name))
                new_exercises[found] = {
                    "id": found,
                    "name": name.strip()[:100] or "Exercise",
                    "category": fields.category if fields else _category(its_sets),
                    "primary_muscle": fields.primary_muscle if fields else MuscleGroup.FULL_BODY,
                    "secondary_muscles": fields.secondary_muscles if fields else [],
                    "description": fields.description if fields else "Imported",
                }
        exercise_ids[written] = found

    workouts: list[dict[str, Any]] = []
    workout_plans: list[dict[str, Any]] = []
    measurements: list[dict[str, Any]] = []
    if doc is not None:
        for exported_exercise in doc.exercises:  # custom exercises no session uses
            key = normalized(exported_exercise.name)
            if matcher.find(exported_exercise.name) is None:
                new_id = derived("exercise", key)
                new_exercises.setdefault(
                    new_id,
                    {
                        "id": new_id,
                        "name": exported_exercise.name,
                        "category": exported_exercise.category,
                        "primary_muscle": exported_exercise.primary_muscle,
                        "secondary_muscles": exported_exercise.secondary_muscles,
                        "description": exported_exercise.description,
                    },
                )
        for workout in doc.workouts:
            workout_id = derived("workout", workout.id)
            workouts.append(
                {
                    "id": workout_id,
                    "name": workout.name,
                    "description": workout.description,
                    "status": workout.status,
                }
            )
            for planned in workout.exercises:
                written = f"{planned.exercise_id}|{planned.exercise_name}"
                if written not in exercise_ids:
                    if planned.exercise_id in system_ids:
                        exercise_ids[written] = planned.exercise_id
                    else:
                        exercise_ids[written] = matcher.find(planned.exercise_name) or derived(
                            "exercise", normalized(planned.exercise_name)
                        )
                workout_plans.append(
                    {
                        "workout_id": workout_id,
                        "position": planned.position,
                        "exercise_id": exercise_ids[written],
                        "target_sets": planned.target_sets,
                        "target_reps": planned.target_reps,
                        "target_weight_kg": planned.target_weight_kg,
                        "target_rest_s": planned.target_rest_s,
                        "notes": planned.notes,
                        "group_key": planned.group.key if planned.group else None,
                        "group_kind": planned.group.kind if planned.group else None,
                        "group_position": planned.group.position if planned.group else None,
                    }
                )
        measurements = [
            {
                "id": derived("body_measurement", m.id),
                "kind": m.kind,
                "value": Decimal(repr(m.value)),
                "unit": m.unit,
                "measured_at": m.measured_at,
                "timezone": m.timezone,
                "notes": m.notes,
            }
            for m in doc.body_measurements
        ]

    sessions_created = sets_created = 0
    exercise_ids_made: list[UUID] = []
    workout_ids: list[UUID] = []
    measurement_ids: list[UUID] = []
    sessions_done = 0
    result: ImportResult | None = None
    if progress is not None:
        await progress(0, len(parsed.sessions))
    file_id = uuid5(
        IMPORT_NAMESPACE, f"{user_id}/{file_format.value}/{hashlib.sha256(data).hexdigest()}"
    )
    try:
        async with db.transaction():
            if new_exercises:
                exercise_ids_made = await db.scalar(
                    "imports/insert_exercises",
                    user_id=user_id,
                    exercises=json_param(list(new_exercises.values())),
                    request_id=current_request_id.get(),
                )
            if workouts:
                workout_ids = await db.scalar(
                    "imports/insert_workouts",
                    user_id=user_id,
                    workouts=json_param(workouts),
                    plans=json_param(workout_plans),
                    request_id=current_request_id.get(),
                )
            for batch in _batches(parsed.sessions):
                rows, plans, sets = [], [], []
                for session in batch:
                    session_id = derived("session", session.key)
                    rows.append(
                        {
                            "id": session_id,
                            "workout_id": derived("workout", session.workout_key)
                            if session.workout_key
                            else None,
                            "name": session.name,
                            "status": session.status,
                            "started_at": session.started_at,
                            "ended_at": session.ended_at,
                            "timezone": session.timezone,
                            "notes": session.notes,
                            "next_set_position": len(session.sets),
                        }
                    )
                    for position, planned in enumerate(session.exercises):
                        plans.append(
                            {
                                "session_id": session_id,
                                "position": position,
                                "exercise_id": exercise_ids[planned.exercise],
                                "notes": planned.notes,
                                "group_key": planned.group_key,
                                "group_kind": planned.group_kind,
                                "group_position": planned.group_position,
                                **planned.targets,
                            }
                        )
                    for position, s in enumerate(session.sets):
                        sets.append(
                            {
                                "id": derived("set", s.source_id)
                                if s.source_id
                                else derived("set", session.key, position),
                                "session_id": session_id,
                                "exercise_id": exercise_ids[s.exercise],
                                "position": position,
                                "set_type": s.set_type,
                                "reps": s.reps,
                                "weight": s.weight,
                                "weight_unit": s.weight_unit,
                                "duration_s": s.duration_s,
                                "distance_m": s.distance_m,
                                "rpe": s.rpe,
                                "performed_at": s.performed_at or session.started_at,
                                "notes": s.notes,
                            }
                        )
                counts = await db.one(
                    "imports/insert_sessions",
                    ImportedCounts,
                    user_id=user_id,
                    sessions=json_param(rows),
                    plans=json_param(plans),
                    sets=json_param(sets),
                    request_id=current_request_id.get(),
                )
                if counts is not None:
                    sessions_created += counts.sessions
                    sets_created += counts.sets
                sessions_done += len(batch)
                if progress is not None:
                    await progress(sessions_done, len(parsed.sessions))
            if measurements:
                measurement_ids = await db.scalar(
                    "imports/insert_body_measurements",
                    user_id=user_id,
                    measurements=json_param(measurements),
                    request_id=current_request_id.get(),
                )
            result = ImportResult(
                format=file_format,
                dry_run=dry_run,
                rows=parsed.rows,
                sessions_in_file=len(parsed.sessions),
                sets_in_file=sum(len(s.sets) for s in parsed.sessions),
                sessions_created=sessions_created,
                sets_created=sets_created,
                exercises_created=[
                    NewExercise(id=str(e["id"]), name=e["name"]) for e in new_exercises.values()
                ],
                unmatched_names=sorted({e["name"] for e in new_exercises.values()}),
                workouts_created=len(workout_ids),
                body_measurements_created=len(measurement_ids),
                skipped=[SkippedRows(reason=r, rows=n) for r, n in sorted(parsed.skipped.items())],
            )
            if not dry_run and (
                exercise_ids_made or sessions_created or workout_ids or measurement_ids
            ):
                await audit.record(
                    db,
                    user_id=user_id,
                    action=AuditAction.CREATE,
                    entity_type="imports",
                    entity_id=file_id,
                    metadata={
                        "format": file_format.value,
                        "sessions": sessions_created,
                        "sets": sets_created,
                        "exercises": len(exercise_ids_made),
                    },
                )
            if dry_run:
                raise psycopg.Rollback
            if before_commit is not None:
                await before_commit(result)
    except psycopg.errors.UniqueViolation as exc:
        if exc.diag.constraint_name == "sessions_one_in_progress_per_user":
            raise Unprocessable(
                "session_in_progress",
                "The file holds a session in progress and you have one already",
            ) from None
        raise
    except psycopg.errors.InvalidParameterValue:
        raise Unprocessable(
            "invalid_timezone", "A session of the file names an unknown time zone"
        ) from None

    assert result is not None  # built in the transaction, before a dry run's rollback
    return result
