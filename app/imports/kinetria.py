"""Kinetria's own JSON export (`GET /v1/me/export`, app/exports.py): read back as the
sessions it holds, with the document itself for what only it carries (custom exercises,
workouts, body measurements)."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from app.imports.formats import (
    FileError,
    ImportedExercise,
    ImportedSession,
    ImportedSet,
    Parsed,
    known_zone,
)
from app.imports.models import ExportDocument
from app.plans import PlannedExercise
from app.sessions.models import Session


def _document(data: bytes) -> ExportDocument:
    try:
        doc = msgspec.json.decode(data, type=ExportDocument)
    except msgspec.DecodeError as exc:
        # msgspec names the JSON path ($.sessions[0].sets[2].reps) and, for bad JSON, the
        # character offset: both are the "column"
        message = str(exc)
        path = message.rsplit(" - at ", 1)[1] if " - at " in message else ""
        raise FileError(1, path, message) from None
    if doc.version != 1:
        raise FileError(1, "$.version", f"Version {doc.version} is not one this server reads")
    # a zone PostgreSQL does not know would be stored as it is (the tables check lengths)
    zoned = [(f"$.sessions[{i}].timezone", s.timezone) for i, s in enumerate(doc.sessions)]
    zoned += [
        (f"$.body_measurements[{i}].timezone", m.timezone)
        for i, m in enumerate(doc.body_measurements)
    ]
    for path, zone in zoned:
        if zone and not known_zone(zone):
            raise FileError(1, path, f"Unknown time zone {zone!r}")
    return doc


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(value))


def imported_exercise(planned: PlannedExercise) -> ImportedExercise:
    """An exported plan's entry (a session's or a workout's), its exercise written
    "<exported id>|<name>"."""
    group = planned.group
    return ImportedExercise(
        exercise=f"{planned.exercise_id}|{planned.exercise_name}",
        notes=planned.notes,
        group_key=group.key if group else None,
        group_kind=group.kind if group else None,
        group_position=group.position if group else None,
        targets={
            "target_sets": planned.target_sets,
            "target_reps": planned.target_reps,
            "target_weight_kg": planned.target_weight_kg,
            "target_rest_s": planned.target_rest_s,
        },
    )


def _session(session: Session, timezone: str) -> ImportedSession:
    """An exported session; its exercises are written "<exported id>|<name>"."""
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
    imported.exercises = [imported_exercise(planned) for planned in session.exercises]
    for s in session.sets:
        imported.sets.append(
            ImportedSet(
                exercise=f"{s.exercise_id}|{s.exercise_name}",
                set_type=s.set_type,
                reps=s.reps,
                weight=_decimal(s.weight),
                weight_unit=s.weight_unit,
                duration_s=s.duration_s,
                distance_m=_decimal(s.distance_m),
                rpe=_decimal(s.rpe),
                notes=s.notes,
                performed_at=s.performed_at,
                source_id=str(s.id),
            )
        )
    return imported


def read_kinetria(data: bytes, *, timezone: str) -> tuple[Parsed, ExportDocument]:
    """The export's sessions (a row per set) and the document."""
    doc = _document(data)
    parsed = Parsed()
    for session in doc.sessions:
        parsed.rows += len(session.sets)
        parsed.sessions.append(_session(session, timezone))
    return parsed, doc
