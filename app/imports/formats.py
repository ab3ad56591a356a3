"""What the readers of the files `POST /v1/imports` takes share: the documents they read a
file into (ImportedSession, pure Python, no database), the reading and checking of a CSV's
cells, and FileError, naming the line and column of what a reader cannot read. The readers:
Strong's and Hevy's CSV exports (`csv_readers.py`) and Kinetria's own JSON export
(`kinetria.py`).

What the readers skip (each counted, with its reason, in the import's result):
* `rest_timer`: Strong's rest-timer rows (Set Order `Rest Timer`);
* `no_exercise`: a row without an exercise name;
* `empty_set`: a set with no reps, weight, distance or duration (Strong writes 0 for each).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.core.enums import ExerciseGroupKind, SetType, WeightUnit

LB_KG = Decimal("0.45359237")
MILE_M = Decimal("1609.344")
MAX_WEIGHT_KG = Decimal(1500)


class FileError(Exception):
    """What a reader cannot read: `line` (1-based, of the file) and `column` (its header
    name) say where."""

    def __init__(self, line: int, column: str, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


@dataclass(slots=True)
class ImportedSet:
    exercise: str  # the name as the file writes it
    set_type: SetType = SetType.NORMAL
    reps: int | None = None
    weight: Decimal | None = None  # in weight_unit
    weight_unit: WeightUnit = WeightUnit.KG
    duration_s: int | None = None
    distance_m: Decimal | None = None
    rpe: Decimal | None = None
    notes: str = ""
    performed_at: datetime | None = None
    source_id: str | None = None  # the set's id in a Kinetria export


@dataclass(slots=True)
class ImportedExercise:
    """One entry of a session's plan: an exercise in the order it was done."""

    exercise: str
    notes: str = ""
    group_key: str | None = None
    group_kind: ExerciseGroupKind | None = None
    group_position: int | None = None
    targets: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ImportedSession:
    key: str  # what makes its id: the same session in the same file gets the same id
    name: str
    started_at: datetime
    ended_at: datetime | None  # None: still in progress (a Kinetria export only)
    timezone: str
    notes: str = ""
    status: str = "completed"
    exercises: list[ImportedExercise] = field(default_factory=list)
    sets: list[ImportedSet] = field(default_factory=list)
    workout_key: str | None = None


@dataclass(slots=True)
class Parsed:
    sessions: list[ImportedSession] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    rows: int = 0

    by_key: dict[tuple[str, str], ImportedSession] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def session(self, key: tuple[str, str], make: Callable[[], ImportedSession]) -> ImportedSession:
        """The session a CSV row's (start, name) names, made (`make()`) on its first row."""
        session = self.by_key.get(key)
        if session is None:
            session = self.by_key[key] = make()
            self.sessions.append(session)
        return session


def text_of(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")  # a BOM is dropped
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileError(line, "", "The file is not UTF-8 text") from exc
    if "\x00" in text:
        raise FileError(text.count("\n", 0, text.index("\x00")) + 1, "", "A NUL character")
    return text


def csv_rows(text: str, required: tuple[str, ...]) -> tuple[csv.DictReader[str], str]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [name for name in required if name not in header]
    if missing:
        raise FileError(1, missing[0], f"The header lacks the column {missing[0]!r}")
    return reader, delimiter


def decimal_of(value: str, line: int, column: str, decimal_comma: bool) -> Decimal | None:
    value = value.strip()
    if not value:
        return None
    if decimal_comma:
        value = value.replace(",", ".")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise FileError(line, column, f"{value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise FileError(line, column, f"{value!r} is not a number of 0 or more")
    return number


def integer_of(value: str, line: int, column: str, decimal_comma: bool, top: int) -> int | None:
    number = decimal_of(value, line, column, decimal_comma)
    if number is None:
        return None
    if number != number.to_integral_value() or number > top:
        raise FileError(line, column, f"{value.strip()!r} is not a whole number up to {top}")
    return int(number)


def weight_of(value: Decimal | None, unit: WeightUnit, line: int, column: str) -> Decimal | None:
    if value is None:
        return None
    if (value * LB_KG if unit == WeightUnit.LB else value) > MAX_WEIGHT_KG:
        raise FileError(line, column, "A weight above 1500 kg")
    if value != round(value, 3):
        value = round(value, 3)
    return value


def rpe_of(value: Decimal | None, line: int, column: str) -> Decimal | None:
    if value is None or value == 0:
        return None
    if not 1 <= value <= 10 or (value * 2) != (value * 2).to_integral_value():
        raise FileError(line, column, "RPE must be 1 to 10 in steps of 0.5")
    return value


def known_zone(timezone: str) -> bool:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_time(
    value: str, zone: ZoneInfo, formats: tuple[str, ...], line: int, column: str
) -> datetime:
    value = value.strip()
    for fmt in formats:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise FileError(line, column, f"{value!r} is not a date and time") from None
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed


def ended_after(started: datetime, seconds: int) -> datetime:
    return started + timedelta(seconds=min(seconds, 7 * 86_400))


def csv_session(
    name: str, started: datetime, ended: datetime, timezone: str, notes: str
) -> ImportedSession:
    """A session of a CSV file, known by its start and name (its key in the file)."""
    return ImportedSession(
        key=f"{started.isoformat()}|{name}",
        name=name[:100],
        started_at=started,
        ended_at=ended,
        timezone=timezone,
        notes=notes[:10_000],
    )


def _plan(session: ImportedSession, exercise: str, notes: str, group: str | None) -> None:
    """Adds `exercise` to the session's plan unless it is the entry already last there."""
    last = session.exercises[-1] if session.exercises else None
    if last is not None and last.exercise == exercise and last.group_key == group:
        return
    session.exercises.append(ImportedExercise(exercise=exercise, notes=notes, group_key=group))


def _close_groups(session: ImportedSession) -> None:
    """One plan entry per exercise and group (a superset's rounds repeat its exercises);
    a group of two exercises or more is a superset, ordered as done; a group of one is none."""
    seen: set[tuple[str, str | None]] = set()
    plan: list[ImportedExercise] = []
    for entry in session.exercises:
        key = (entry.exercise, entry.group_key)
        if entry.group_key is not None and key in seen:
            continue
        seen.add(key)
        plan.append(entry)
    groups: dict[str, list[ImportedExercise]] = {}
    for entry in plan:
        if entry.group_key is not None:
            groups.setdefault(entry.group_key, []).append(entry)
    for entries in groups.values():
        for position, entry in enumerate(entries):
            if len(entries) < 2:
                entry.group_key = None
            else:
                entry.group_kind = ExerciseGroupKind.SUPERSET
                entry.group_position = position
    session.exercises = plan


Cell = Callable[[str], str]  # a row's value in a column, stripped ("" when absent)


def cells(reader: csv.DictReader[str], parsed: Parsed) -> Iterator[tuple[int, Cell]]:
    """Each data row (counted in `parsed.rows`) as the file line it starts on and its cells."""
    line = 1
    for row in reader:
        start_line, line = line + 1, reader.line_num
        parsed.rows += 1

        def get(column: str, row: dict[str, Any] = row) -> str:
            value = row.get(column)
            return value.strip() if isinstance(value, str) else ""

        yield start_line, get


class Measures(NamedTuple):
    """What a set row measured, read and checked (weight in `weight_unit`): the fields of
    ImportedSet from `reps` to `rpe`, in its order."""

    reps: int | None
    weight: Decimal | None
    weight_unit: WeightUnit
    duration_s: int | None
    distance_m: Decimal | None
    rpe: Decimal | None

    def empty(self) -> bool:
        return (
            self.reps is None
            and self.weight is None
            and self.distance_m is None
            and self.duration_s is None
        )


def add_set(
    session: ImportedSession,
    exercise: str,
    *,
    set_type: SetType,
    measures: Measures,
    notes: str,
    plan_notes: str = "",
    group: str | None = None,
) -> None:
    """The set, done at the session's start, and its exercise in the session's plan."""
    _plan(session, exercise, plan_notes[:10_000], group)
    performed_at = session.started_at
    session.sets.append(
        ImportedSet(exercise, set_type, *measures, notes=notes[:10_000], performed_at=performed_at)
    )


def finished(parsed: Parsed) -> Parsed:
    """The sessions read, each plan's groups closed, those without a set left out."""
    for session in parsed.sessions:
        _close_groups(session)
    parsed.sessions = [s for s in parsed.sessions if s.sets]
    return parsed
