"""Readers of the CSV exports of Strong and Hevy (which Kinetria's CSV export also writes):
one row per set, each with its session's fields.

* Strong: sessions by (Date, Workout Name), comma or semicolon delimited (a semicolon file
  writes decimal commas); 0 for what a set did not measure.
* Hevy: sessions by (start_time, title), supersets by superset_id, each distance column
  naming its unit.
"""

from __future__ import annotations

import re
from csv import DictReader
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

from app.core.enums import SetType, WeightUnit
from app.imports.formats import (
    LB_KG,
    MILE_M,
    Cell,
    FileError,
    ImportedSession,
    Measures,
    Parsed,
    add_set,
    cells,
    csv_rows,
    csv_session,
    decimal_of,
    ended_after,
    finished,
    integer_of,
    local_time,
    rpe_of,
    text_of,
    weight_of,
)

STRONG_REQUIRED = ("Date", "Workout Name", "Exercise Name", "Set Order")
STRONG_DATES = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
STRONG_SET_TYPES = {"w": SetType.WARMUP, "d": SetType.DROPSET, "f": SetType.FAILURE}

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


def _strong_session(
    get: Cell, line: int, reader: DictReader[str], zone: ZoneInfo, timezone: str
) -> ImportedSession:
    date, name = get("Date"), get("Workout Name") or "Workout"
    started = local_time(date, zone, STRONG_DATES, line, "Date")
    duration_column = "Duration" if "Duration" in (reader.fieldnames or []) else "Workout Duration"
    seconds = strong_duration(get(duration_column), line, duration_column)
    return csv_session(name, started, ended_after(started, seconds), timezone, get("Workout Notes"))


def _strong_measures(
    get: Cell, line: int, comma: bool, weight_unit: WeightUnit, distance_unit: str
) -> Measures:
    """The set's measures; Strong writes 0 for what a set did not measure (0 kg: bodyweight)."""
    unit = weight_unit
    written_unit = get("Weight Unit").lower()
    if written_unit in ("lbs", "lb"):
        unit = WeightUnit.LB
    elif written_unit == "kg":
        unit = WeightUnit.KG
    weight = weight_of(decimal_of(get("Weight"), line, "Weight", comma), unit, line, "Weight")
    reps = integer_of(get("Reps"), line, "Reps", comma, 1000)
    distance = decimal_of(get("Distance"), line, "Distance", comma)
    dist_unit = (get("Distance Unit") or distance_unit).lower()
    if distance is not None:
        distance = distance * (
            MILE_M if dist_unit in ("mi", "miles") else 1 if dist_unit == "m" else 1000
        )
        if distance > 1_000_000:
            raise FileError(line, "Distance", "A distance above 1000 km")
    seconds = integer_of(get("Seconds"), line, "Seconds", comma, 86_400)
    rpe = rpe_of(decimal_of(get("RPE"), line, "RPE", comma), line, "RPE")
    return Measures(reps or None, weight or None, unit, seconds or None, distance or None, rpe)


def read_strong(
    data: bytes, *, timezone: str, weight_unit: WeightUnit, distance_unit: str
) -> Parsed:
    """Strong's CSV: one row per set, sessions by (Date, Workout Name)."""
    zone = ZoneInfo(timezone)
    reader, delimiter = csv_rows(text_of(data), STRONG_REQUIRED)
    parsed = Parsed()
    for line, get in cells(reader, parsed):
        order = get("Set Order")
        if order.lower().replace(" ", "") == "resttimer":
            parsed.skip("rest_timer")
            continue
        exercise = get("Exercise Name")
        if not exercise:
            parsed.skip("no_exercise")
            continue
        key = (get("Date"), get("Workout Name") or "Workout")
        session = parsed.session(key, partial(_strong_session, get, line, reader, zone, timezone))
        measures = _strong_measures(get, line, delimiter == ";", weight_unit, distance_unit)
        if measures.empty():
            parsed.skip("empty_set")
            continue
        set_type = STRONG_SET_TYPES.get(order.lower(), SetType.NORMAL)
        if set_type is SetType.NORMAL and order and not order.isdigit():
            raise FileError(line, "Set Order", f"{order!r} is not a set number, W, D or F")
        add_set(session, exercise, set_type=set_type, measures=measures, notes=get("Notes"))
    return finished(parsed)


HEVY_REQUIRED = ("title", "start_time", "exercise_title")
HEVY_DATES = ("%d %b %Y, %H:%M", "%d %b %Y, %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
HEVY_SET_TYPES = {t.value: t for t in SetType} | {
    "drop": SetType.DROPSET,
    "warm_up": SetType.WARMUP,
}


def _hevy_session(get: Cell, line: int, zone: ZoneInfo, timezone: str) -> ImportedSession:
    start, title = get("start_time"), get("title") or "Workout"
    started = local_time(start, zone, HEVY_DATES, line, "start_time")
    end = get("end_time")
    ended = local_time(end, zone, HEVY_DATES, line, "end_time") if end else started
    zone_name = get("timezone") or timezone
    return csv_session(title, started, max(ended, started), zone_name, get("description"))


def _hevy_weight(
    get: Cell, line: int, header: set[str], weight_unit: WeightUnit
) -> tuple[Decimal | None, WeightUnit]:
    """The weight in the unit the row names (`weight_unit`, or its column's)."""
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
    weight = weight_of(decimal_of(get(column), line, column, False), unit, line, column)
    if column == "weight_kg" and unit is WeightUnit.LB:
        weight = None if weight is None else round(weight / LB_KG, 3)
    return weight, unit


def _hevy_distance(get: Cell, line: int, header: set[str]) -> Decimal | None:
    if "distance_km" in header and get("distance_km"):
        km = decimal_of(get("distance_km"), line, "distance_km", False)
        distance = None if km is None else km * 1000
    elif "distance_miles" in header and get("distance_miles"):
        miles = decimal_of(get("distance_miles"), line, "distance_miles", False)
        distance = None if miles is None else miles * MILE_M
    else:
        distance = decimal_of(get("distance_m"), line, "distance_m", False)
    if distance is not None and distance > 1_000_000:
        raise FileError(line, "distance_km", "A distance above 1000 km")
    return distance


def _hevy_measures(get: Cell, line: int, header: set[str], weight_unit: WeightUnit) -> Measures:
    weight, unit = _hevy_weight(get, line, header, weight_unit)
    distance = _hevy_distance(get, line, header)
    reps = integer_of(get("reps"), line, "reps", False, 1000)
    seconds = integer_of(get("duration_seconds"), line, "duration_seconds", False, 86_400)
    rpe = rpe_of(decimal_of(get("rpe"), line, "rpe", False), line, "rpe")
    return Measures(reps, weight, unit, seconds, distance, rpe)


def read_hevy(data: bytes, *, timezone: str, weight_unit: WeightUnit, distance_unit: str) -> Parsed:
    """Hevy's CSV (and Kinetria's CSV export): one row per set, sessions by (start_time,
    title), supersets by superset_id. Distances name their unit in the column's name."""
    zone = ZoneInfo(timezone)
    reader, _ = csv_rows(text_of(data), HEVY_REQUIRED)
    header = set(reader.fieldnames or [])
    parsed = Parsed()
    for line, get in cells(reader, parsed):
        exercise = get("exercise_title")
        if not exercise:
            parsed.skip("no_exercise")
            continue
        key = (get("start_time"), get("title") or "Workout")
        session = parsed.session(key, partial(_hevy_session, get, line, zone, timezone))
        measures = _hevy_measures(get, line, header, weight_unit)
        kind = get("set_type").lower() or "normal"
        if kind not in HEVY_SET_TYPES:
            raise FileError(line, "set_type", f"{kind!r} is not normal, warmup, dropset or failure")
        if measures.empty():
            parsed.skip("empty_set")
            continue
        add_set(
            session,
            exercise,
            set_type=HEVY_SET_TYPES[kind],
            measures=measures,
            notes=get("set_notes"),
            plan_notes=get("exercise_notes"),
            group=get("superset_id") or None,
        )
    return finished(parsed)
