"""Readers of the files `POST /v1/imports` takes: Strong's CSV export, Hevy's CSV export and
Kinetria's own JSON export. Each turns a file into ImportedSession documents (pure Python, no
database), or raises ImportError naming the line and column of what it cannot read.

What the readers skip (each counted, with its reason, in the import's result):
* `rest_timer`: Strong's rest-timer rows (Set Order `Rest Timer`);
* `no_exercise`: a row without an exercise name;
* `empty_set`: a set with no reps, weight, distance or duration (Strong writes 0 for each).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

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

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def _text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")  # a BOM is dropped
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileError(line, "", "The file is not UTF-8 text") from exc
    if "\x00" in text:
        raise FileError(text.count("\n", 0, text.index("\x00")) + 1, "", "A NUL character")
    return text


def _rows(text: str, required: tuple[str, ...]) -> tuple[csv.DictReader[str], str]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [name for name in required if name not in header]
    if missing:
        raise FileError(1, missing[0], f"The header lacks the column {missing[0]!r}")
    return reader, delimiter


def _number(value: str, line: int, column: str, decimal_comma: bool) -> Decimal | None:
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


def _integer(value: str, line: int, column: str, decimal_comma: bool, top: int) -> int | None:
    number = _number(value, line, column, decimal_comma)
    if number is None:
        return None
    if number != number.to_integral_value() or number > top:
        raise FileError(line, column, f"{value.strip()!r} is not a whole number up to {top}")
    return int(number)


def _weight(value: Decimal | None, unit: WeightUnit, line: int, column: str) -> Decimal | None:
    if value is None:
        return None
    if (value * LB_KG if unit == WeightUnit.LB else value) > MAX_WEIGHT_KG:
        raise FileError(line, column, "A weight above 1500 kg")
    if value != round(value, 3):
        value = round(value, 3)
    return value


def _rpe(value: Decimal | None, line: int, column: str) -> Decimal | None:
    if value is None or value == 0:
        return None
    if not 1 <= value <= 10 or (value * 2) != (value * 2).to_integral_value():
        raise FileError(line, column, "RPE must be 1 to 10 in steps of 0.5")
    return value


def _local(
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


_DURATION = re.compile(r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?$")


def strong_duration(value: str, line: int, column: str) -> int:
    """Seconds of a Strong workout duration: `1h 5m`, `45m`, `30s`, `1:05:00`, `3900`."""
    value = value.strip().lower()
    if not value:
        return 0
    if value.isdigit():
        return int(value)
    if re.fullmatch(r"\d+:\d{2}(:\d{2})?", value):
        parts = [int(p) for p in value.split(":")]
        if len(parts) == 2:
            parts.insert(0, 0)
        return parts[0] * 3600 + parts[1] * 60 + parts[2]
    match = _DURATION.match(value)
    if match is None or not any(match.groups()):
        raise FileError(line, column, f"{value!r} is not a duration such as '1h 5m'")
    h, m, s = (int(g) if g else 0 for g in match.groups())
    return h * 3600 + m * 60 + s


def _ended(started: datetime, seconds: int) -> datetime:
    return started + timedelta(seconds=min(seconds, 7 * 86_400))


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


STRONG_REQUIRED = ("Date", "Workout Name", "Exercise Name", "Set Order")
STRONG_DATES = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
STRONG_SET_TYPES = {"w": SetType.WARMUP, "d": SetType.DROPSET, "f": SetType.FAILURE}


def read_strong(
    data: bytes, *, timezone: str, weight_unit: WeightUnit, distance_unit: str
) -> Parsed:
    """Strong's CSV: one row per set, sessions by (Date, Workout Name)."""
    zone = ZoneInfo(timezone)
    reader, delimiter = _rows(_text(data), STRONG_REQUIRED)
    comma = delimiter == ";"
    parsed = Parsed()
    sessions: dict[tuple[str, str], ImportedSession] = {}
    line = 1
    for row in reader:
        start_line, line = line + 1, reader.line_num
        parsed.rows += 1

        def get(column: str, row: dict[str, Any] = row) -> str:
            value = row.get(column)
            return value.strip() if isinstance(value, str) else ""

        order = get("Set Order")
        if order.lower().replace(" ", "") == "resttimer":
            parsed.skip("rest_timer")
            continue
        exercise = get("Exercise Name")
        if not exercise:
            parsed.skip("no_exercise")
            continue
        date, name = get("Date"), get("Workout Name") or "Workout"
        key = (date, name)
        session = sessions.get(key)
        if session is None:
            started = _local(date, zone, STRONG_DATES, start_line, "Date")
            duration_column = (
                "Duration" if "Duration" in (reader.fieldnames or []) else "Workout Duration"
            )
            seconds = strong_duration(get(duration_column), start_line, duration_column)
            session = ImportedSession(
                key=f"{started.isoformat()}|{name}",
                name=name[:100],
                started_at=started,
                ended_at=_ended(started, seconds),
                timezone=timezone,
                notes=get("Workout Notes")[:10_000],
            )
            sessions[key] = session
            parsed.sessions.append(session)
        unit = weight_unit
        written_unit = get("Weight Unit").lower()
        if written_unit in ("lbs", "lb"):
            unit = WeightUnit.LB
        elif written_unit == "kg":
            unit = WeightUnit.KG
        weight = _weight(
            _number(get("Weight"), start_line, "Weight", comma), unit, start_line, "Weight"
        )
        reps = _integer(get("Reps"), start_line, "Reps", comma, 1000)
        distance = _number(get("Distance"), start_line, "Distance", comma)
        dist_unit = (get("Distance Unit") or distance_unit).lower()
        if distance is not None:
            distance = distance * (
                MILE_M if dist_unit in ("mi", "miles") else 1 if dist_unit == "m" else 1000
            )
            if distance > 1_000_000:
                raise FileError(start_line, "Distance", "A distance above 1000 km")
        seconds = _integer(get("Seconds"), start_line, "Seconds", comma, 86_400)
        rpe = _rpe(_number(get("RPE"), start_line, "RPE", comma), start_line, "RPE")
        weight = weight or None  # 0: a bodyweight set
        reps = reps or None  # Strong writes 0 for a timed or distance set
        distance = distance or None
        seconds = seconds or None
        if not reps and weight is None and distance is None and seconds is None:
            parsed.skip("empty_set")
            continue
        set_type = STRONG_SET_TYPES.get(order.lower(), SetType.NORMAL)
        if set_type is SetType.NORMAL and order and not order.isdigit():
            raise FileError(start_line, "Set Order", f"{order!r} is not a set number, W, D or F")
        _plan(session, exercise, "", None)
        session.sets.append(
            ImportedSet(
                exercise=exercise,
                set_type=set_type,
                reps=reps,
                weight=weight,
                weight_unit=unit,
                duration_s=seconds,
                distance_m=distance,
                rpe=rpe,
                notes=get("Notes")[:10_000],
                performed_at=session.started_at,
            )
        )
    for session in parsed.sessions:
        _close_groups(session)
    parsed.sessions = [s for s in parsed.sessions if s.sets]
    return parsed


HEVY_REQUIRED = ("title", "start_time", "exercise_title")
HEVY_DATES = ("%d %b %Y, %H:%M", "%d %b %Y, %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
HEVY_SET_TYPES = {t.value: t for t in SetType} | {
    "drop": SetType.DROPSET,
    "warm_up": SetType.WARMUP,
}


def read_hevy(data: bytes, *, timezone: str, weight_unit: WeightUnit, distance_unit: str) -> Parsed:
    """Hevy's CSV (and Kinetria's CSV export): one row per set, sessions by (start_time,
    title), supersets by superset_id."""
    zone = ZoneInfo(timezone)
    reader, _ = _rows(_text(data), HEVY_REQUIRED)
    header = set(reader.fieldnames or [])
    parsed = Parsed()
    sessions: dict[tuple[str, str], ImportedSession] = {}
    line = 1
    for row in reader:
        start_line, line = line + 1, reader.line_num
        parsed.rows += 1

        def get(column: str, row: dict[str, Any] = row) -> str:
            value = row.get(column)
            return value.strip() if isinstance(value, str) else ""

        exercise = get("exercise_title")
        if not exercise:
            parsed.skip("no_exercise")
            continue
        start, title = get("start_time"), get("title") or "Workout"
        session = sessions.get((start, title))
        if session is None:
            started = _local(start, zone, HEVY_DATES, start_line, "start_time")
            end = get("end_time")
            ended = _local(end, zone, HEVY_DATES, start_line, "end_time") if end else started
            session = ImportedSession(
                key=f"{started.isoformat()}|{title}",
                name=title[:100],
                started_at=started,
                ended_at=max(ended, started),
                timezone=get("timezone") or timezone,
                notes=get("description")[:10_000],
            )
            sessions[(start, title)] = session
            parsed.sessions.append(session)
        if "weight_kg" in header and get("weight_kg"):
            unit, column = WeightUnit.KG, "weight_kg"
        elif "weight_lbs" in header and get("weight_lbs"):
            unit, column = WeightUnit.LB, "weight_lbs"
        else:
            unit, column = weight_unit, "weight"
        if get("weight_unit") in ("kg", "lb"):
            unit = WeightUnit(get("weight_unit"))
            if unit is WeightUnit.LB and get("weight"):
                column = "weight"
        weight = _weight(_number(get(column), start_line, column, False), unit, start_line, column)
        if column == "weight_kg" and unit is WeightUnit.LB:
            weight = None if weight is None else round(weight / LB_KG, 3)
        if "distance_km" in header and get("distance_km"):
            km = _number(get("distance_km"), start_line, "distance_km", False)
            distance = None if km is None else km * 1000
        elif "distance_miles" in header and get("distance_miles"):
            miles = _number(get("distance_miles"), start_line, "distance_miles", False)
            distance = None if miles is None else miles * MILE_M
        else:
            distance = _number(get("distance_m"), start_line, "distance_m", False)
        if distance is not None and distance > 1_000_000:
            raise FileError(start_line, "distance_km", "A distance above 1000 km")
        reps = _integer(get("reps"), start_line, "reps", False, 1000)
        seconds = _integer(get("duration_seconds"), start_line, "duration_seconds", False, 86_400)
        rpe = _rpe(_number(get("rpe"), start_line, "rpe", False), start_line, "rpe")
        kind = get("set_type").lower() or "normal"
        if kind not in HEVY_SET_TYPES:
            raise FileError(
                start_line, "set_type", f"{kind!r} is not normal, warmup, dropset or failure"
            )
        if reps is None and weight is None and distance is None and seconds is None:
            parsed.skip("empty_set")
            continue
        group = get("superset_id") or None
        _plan(session, exercise, get("exercise_notes")[:10_000], group)
        session.sets.append(
            ImportedSet(
                exercise=exercise,
                set_type=HEVY_SET_TYPES[kind],
                reps=reps,
                weight=weight,
                weight_unit=unit,
                duration_s=seconds,
                distance_m=distance,
                rpe=rpe,
                notes=get("set_notes")[:10_000],
                performed_at=session.started_at,
            )
        )
    for session in parsed.sessions:
        _close_groups(session)
    parsed.sessions = [s for s in parsed.sessions if s.sets]
    return parsed
