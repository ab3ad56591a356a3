"""What an import writes, as the JSON rows queries/imports/insert_*.sql read. Each row's id
is derived (uuid5) from the account, the format and what identifies the row in the file, so
importing the same file again derives the same ids and creates nothing.

Every exercise name the file uses comes to an exercise id: a system exercise a Kinetria
export names keeps its id; another name is matched to the catalogue (matching.py); a name
that matches nothing becomes a custom exercise (with the export's fields, when the export
has that custom exercise).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from app.core.enums import ExerciseCategory, MuscleGroup
from app.exercises import Exercise
from app.imports.formats import ImportedExercise, ImportedSession, ImportedSet, Parsed
from app.imports.kinetria import imported_exercise
from app.imports.matching import CatalogueName, Matcher, normalized
from app.imports.models import ExportDocument, ImportFormat

Row = dict[str, Any]

# the namespace of the ids an import derives (uuid5), so the same row gets the same id
IMPORT_NAMESPACE = UUID("6f0e7a52-3b1c-4f4e-9d8a-6f1b2f9d3c10")


@dataclass(frozen=True)
class Derive:
    """The id of what an import writes, from the parts that identify it in the file."""

    user_id: UUID
    file_format: ImportFormat

    def __call__(self, *parts: object) -> UUID:
        return uuid5(
            IMPORT_NAMESPACE,
            "/".join([str(self.user_id), self.file_format.value, *map(str, parts)]),
        )


def _category(sets: list[ImportedSet]) -> ExerciseCategory:
    """A guess for an unmatched exercise, from how its sets were done."""
    if any(s.distance_m for s in sets):
        return ExerciseCategory.CARDIO
    if any(s.weight for s in sets):
        return ExerciseCategory.STRENGTH
    if any(s.reps for s in sets):
        return ExerciseCategory.BODYWEIGHT
    return ExerciseCategory.FLEXIBILITY if sets else ExerciseCategory.STRENGTH


def _exercise_row(
    exercise_id: UUID, name: str, exported: Exercise | None, sets: list[ImportedSet]
) -> Row:
    """A new custom exercise: the exported one's fields, or a guess from its sets."""
    if exported is None:
        return {
            "id": exercise_id,
            "name": name,
            "category": _category(sets),
            "primary_muscle": MuscleGroup.FULL_BODY,
            "secondary_muscles": [],
            "description": "Imported",
        }
    return {
        "id": exercise_id,
        "name": name,
        "category": exported.category,
        "primary_muscle": exported.primary_muscle,
        "secondary_muscles": exported.secondary_muscles,
        "description": exported.description,
    }


class Catalogue:
    """The exercise ids of the names a file writes, and the custom exercises to create.
    A Kinetria export (`doc`) writes each name "<exported id>|<name>"."""

    def __init__(self, names: list[CatalogueName], derive: Derive, doc: ExportDocument | None):
        self.matcher = Matcher(names)
        self.system_ids = {n.exercise_id for n in names if n.source == "system"}
        self.derive = derive
        self.doc = doc
        self.exported = {normalized(e.name): e for e in doc.exercises} if doc else {}
        self.ids: dict[str, UUID] = {}  # a name as written -> its exercise
        self.new: dict[UUID, Row] = {}  # the custom exercises to create

    def _exported(self, written: str) -> tuple[UUID | None, str]:
        """A Kinetria export's "<exported id>|<name>": the system exercise it keeps (None
        for a custom one) and the name."""
        exported_id, name = written.split("|", 1)
        return (UUID(exported_id) if UUID(exported_id) in self.system_ids else None), name

    def add(self, written: str, sets: list[ImportedSet]) -> None:
        """Give a name the file uses its exercise, a new custom one when nothing matches."""
        name = written
        if self.doc is not None:
            system, name = self._exported(written)
            if system is not None:
                self.ids[written] = system
                return
        found = self.matcher.find(name)
        if found is None:
            found = self.derive("exercise", normalized(name))
            if found not in self.new:
                exported = self.exported.get(normalized(name))
                row_name = name.strip()[:100] or "Exercise"
                self.new[found] = _exercise_row(found, row_name, exported, sets)
        self.ids[written] = found

    def add_exported(self) -> None:
        """The export's custom exercises that no session uses (a workout may)."""
        for exported in self.doc.exercises if self.doc else ():
            if self.matcher.find(exported.name) is None:
                new_id = self.derive("exercise", normalized(exported.name))
                self.new.setdefault(new_id, _exercise_row(new_id, exported.name, exported, []))

    def planned(self, written: str) -> UUID:
        """The exercise of a workout's plan entry ("<exported id>|<name>"); one no session
        uses and the catalogue does not know is the export's custom one (add_exported)."""
        if written not in self.ids:
            system, name = self._exported(written)
            self.ids[written] = (
                system or self.matcher.find(name) or self.derive("exercise", normalized(name))
            )
        return self.ids[written]


def catalogue_of(
    parsed: Parsed, doc: ExportDocument | None, names: list[CatalogueName], derive: Derive
) -> Catalogue:
    """Every name the file uses, in sets or plans, with its exercise id."""
    sets_of: dict[str, list[ImportedSet]] = {}
    for session in parsed.sessions:
        for s in session.sets:
            sets_of.setdefault(s.exercise, []).append(s)
        for planned in session.exercises:
            sets_of.setdefault(planned.exercise, [])
    catalogue = Catalogue(names, derive, doc)
    for written, sets in sets_of.items():
        catalogue.add(written, sets)
    catalogue.add_exported()
    return catalogue


def plan_row(entry: ImportedExercise, position: int, exercise_id: UUID) -> Row:
    """An entry of a plan (a session's or a workout's), without its owner's id."""
    return {
        "position": position,
        "exercise_id": exercise_id,
        "notes": entry.notes,
        "group_key": entry.group_key,
        "group_kind": entry.group_kind,
        "group_position": entry.group_position,
        **entry.targets,
    }


def workout_rows(doc: ExportDocument, catalogue: Catalogue) -> tuple[list[Row], list[Row]]:
    """A Kinetria export's workouts and their plans."""
    derive = catalogue.derive
    workouts: list[Row] = []
    plans: list[Row] = []
    for workout in doc.workouts:
        workout_id = derive("workout", workout.id)
        workouts.append(
            {
                "id": workout_id,
                "name": workout.name,
                "description": workout.description,
                "status": workout.status,
            }
        )
        for planned in workout.exercises:
            entry = imported_exercise(planned)
            exercise_id = catalogue.planned(entry.exercise)
            plan = plan_row(entry, planned.position, exercise_id)
            plans.append({"workout_id": workout_id, **plan})
    return workouts, plans


def measurement_rows(doc: ExportDocument, derive: Derive) -> list[Row]:
    return [
        {
            "id": derive("body_measurement", m.id),
            "kind": m.kind,
            "value": Decimal(repr(m.value)),
            "unit": m.unit,
            "measured_at": m.measured_at,
            "timezone": m.timezone,
            "notes": m.notes,
        }
        for m in doc.body_measurements
    ]


def _set_row(
    session: ImportedSession, session_id: UUID, position: int, s: ImportedSet, catalogue: Catalogue
) -> Row:
    derive = catalogue.derive
    return {
        "id": derive("set", s.source_id) if s.source_id else derive("set", session.key, position),
        "session_id": session_id,
        "exercise_id": catalogue.ids[s.exercise],
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


@dataclass
class SessionRows:
    """A batch of sessions as insert_sessions.sql reads them: sessions, plans and sets."""

    sessions: list[Row] = field(default_factory=list)
    plans: list[Row] = field(default_factory=list)
    sets: list[Row] = field(default_factory=list)


def session_rows(batch: Iterable[ImportedSession], catalogue: Catalogue) -> SessionRows:
    derive, ids = catalogue.derive, catalogue.ids
    rows = SessionRows()
    for session in batch:
        session_id = derive("session", session.key)
        workout_id = derive("workout", session.workout_key) if session.workout_key else None
        rows.sessions.append(
            {
                "id": session_id,
                "workout_id": workout_id,
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
            plan = plan_row(planned, position, ids[planned.exercise])
            rows.plans.append({"session_id": session_id, **plan})
        for position, s in enumerate(session.sets):
            rows.sets.append(_set_row(session, session_id, position, s, catalogue))
    return rows
