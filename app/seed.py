"""Realistic demo data for development and benchmarks: `kinetria db seed`.

Every seeded user trains for months: a few workout plans drawn from the system catalogue
(and, for some, their own custom exercises), several sessions a week at their usual time of
day in their own time zone (some running past midnight, some days twice, a few sessions
abandoned, at most one still in progress), and sets whose weights rise over the weeks with
day-to-day noise, warm-ups, drop sets, sets to failure and RPE. Users in the United States
mostly enter pounds, stored exactly in kilograms (1 lb = 0.45359237 kg).

The data are a pure function of (seed, end date, sets per user, user number): each user has a
random generator of their own, seeded from the seed and their number, and every id is a
UUIDv7 built from the row's own time and that generator. The same arguments give identical
rows, ids included, in any database (with the same Python version and time zone database);
user 42 is the same user whether 100 or 10 000 are seeded.

Rows are generated a chunk of users at a time, in a thread, while PostgreSQL loads the previous
chunk with COPY; everything happens in one transaction, so memory stays flat and a failed run
leaves nothing behind. Inside that transaction the indexes, primary and unique keys and
foreign keys of the two big tables (`session_exercises`, `set_records`) are dropped and rebuilt
at the end (which validates every row against them), and those tables are loaded with
COPY FREEZE: about three times faster than maintaining the indexes row by row. A final
VACUUM (ANALYZE) gives the planner its statistics and leaves every page all-visible, so
index-only scans work at once.
"""

from __future__ import annotations

import math
import random
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from queue import Full, Queue
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

import argon2.low_level
import psycopg
from psycopg import sql
from tqdm import tqdm

from app.core.passwords import default_hasher, normalize

DEMO_PASSWORD: Final = "demo-password-123"  # noqa: S105 - documented demo data, never production
"""The password of every seeded user."""
EMAIL_DOMAIN: Final = "demo.kinetria.test"
DEFAULT_SETS_PER_USER: Final = 1000
USERS_PER_CHUNK: Final = 50

LB_IN_KG_NANOS: Final = 453_592_370  # 1 lb = 0.45359237 kg exactly, in 1e-9 kg
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_DAY: Final = 86_400
_NULL: Final = "\\N"  # NULL in COPY's text format


_T = TypeVar("_T")


class SeedError(Exception):
    """The database cannot be seeded (not empty, or the catalogue is missing)."""


# --- what is generated ----------------------------------------------------------------------

# Each table, with the columns the generator writes, in load order (parents first).
# fmt: off
TABLES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("users", (
        "id", "email", "password_hash", "display_name", "preferred_weight_unit", "version",
        "created_at", "updated_at",
    )),
    ("exercises", (
        "id", "user_id", "name", "category", "primary_muscle", "secondary_muscles",
        "description", "version", "created_at", "updated_at",
    )),
    ("workouts", (
        "id", "user_id", "name", "description", "status", "version", "created_at", "updated_at",
    )),
    ("workout_exercises", (
        "workout_id", "position", "exercise_id", "target_sets", "target_reps",
        "target_weight_kg", "target_rest_s",
    )),
    ("sessions", (
        "id", "user_id", "workout_id", "name", "status", "started_at", "ended_at", "timezone",
        "notes", "version", "created_at", "updated_at", "next_set_position",
    )),
    ("session_exercises", (
        "session_id", "position", "exercise_id", "target_sets", "target_reps",
        "target_weight_kg", "target_rest_s",
    )),
    ("set_records", (
        "id", "session_id", "user_id", "exercise_id", "position", "set_type", "reps",
        "weight_kg", "weight_unit", "duration_s", "distance_m", "rpe", "performed_at",
        "version", "created_at", "updated_at",
    )),
    ("audit_log", ("user_id", "action", "entity_type", "metadata", "created_at")),
)
# fmt: on
TABLE_NAMES: Final = tuple(name for name, _ in TABLES)
USERS, EXERCISES, WORKOUTS, WORKOUT_EXERCISES, SESSIONS, SESSION_EXERCISES, SETS, AUDIT = range(8)

# Tables whose non-constraint indexes and outgoing foreign keys are dropped during the load
# and rebuilt afterwards.
REBUILT_TABLES: Final = ("session_exercises", "set_records")


# How an exercise is performed, which decides the fields of its sets.
BARBELL, DUMBBELL, MACHINE, CABLE, KETTLEBELL, CARRY, REPS, TIMED, CARDIO = range(9)
LOADED: Final = frozenset({BARBELL, DUMBBELL, MACHINE, CABLE, KETTLEBELL, CARRY})
# Plate and stack increments: kilograms (in 1/100 kg) and pounds (in 1/2 lb).
_STEP_KG: Final = {
    BARBELL: 250,
    DUMBBELL: 200,
    MACHINE: 500,
    CABLE: 250,
    KETTLEBELL: 400,
    CARRY: 200,
}
_STEP_LB: Final = {BARBELL: 10, DUMBBELL: 10, MACHINE: 20, CABLE: 10, KETTLEBELL: 10, CARRY: 10}
_BAR_KG: Final = 2000  # an empty Olympic bar, 20 kg
_BAR_LB: Final = 90  # 45 lb


@dataclass(frozen=True, slots=True)
class Lift:
    """How a typical user starts on an exercise. `start` is a working weight in kg (loaded
    kinds), a number of reps (REPS), seconds (TIMED), or a pace in seconds per km (CARDIO; 0
    when the machine shows no distance)."""

    kind: int
    start: float
    compound: bool = False


# Exercises of the system catalogue by name; any other falls back on its category.
LIFTS: Final[dict[str, Lift]] = {
    "Barbell Bench Press": Lift(BARBELL, 60, compound=True),
    "Incline Barbell Bench Press": Lift(BARBELL, 50, compound=True),
    "Dumbbell Bench Press": Lift(DUMBBELL, 22),
    "Incline Dumbbell Press": Lift(DUMBBELL, 20),
    "Dumbbell Fly": Lift(DUMBBELL, 12),
    "Cable Crossover": Lift(CABLE, 15),
    "Machine Chest Press": Lift(MACHINE, 50),
    "Barbell Back Squat": Lift(BARBELL, 80, compound=True),
    "Front Squat": Lift(BARBELL, 60, compound=True),
    "Goblet Squat": Lift(DUMBBELL, 24),
    "Leg Press": Lift(MACHINE, 140),
    "Leg Extension": Lift(MACHINE, 45),
    "Bulgarian Split Squat": Lift(DUMBBELL, 16),
    "Walking Lunge": Lift(DUMBBELL, 16),
    "Conventional Deadlift": Lift(BARBELL, 100, compound=True),
    "Sumo Deadlift": Lift(BARBELL, 100, compound=True),
    "Romanian Deadlift": Lift(BARBELL, 70, compound=True),
    "Good Morning": Lift(BARBELL, 40),
    "Lying Leg Curl": Lift(MACHINE, 35),
    "Hip Thrust": Lift(BARBELL, 80, compound=True),
    "Kettlebell Swing": Lift(KETTLEBELL, 20),
    "Standing Calf Raise": Lift(MACHINE, 60),
    "Seated Calf Raise": Lift(MACHINE, 40),
    "Hip Adduction Machine": Lift(MACHINE, 45),
    "Hip Abduction Machine": Lift(MACHINE, 45),
    "Overhead Press": Lift(BARBELL, 40, compound=True),
    "Seated Dumbbell Shoulder Press": Lift(DUMBBELL, 18),
    "Lateral Raise": Lift(DUMBBELL, 8),
    "Rear Delt Fly": Lift(DUMBBELL, 8),
    "Face Pull": Lift(CABLE, 20),
    "Barbell Row": Lift(BARBELL, 60, compound=True),
    "One-Arm Dumbbell Row": Lift(DUMBBELL, 26),
    "Lat Pulldown": Lift(MACHINE, 55),
    "Seated Cable Row": Lift(MACHINE, 55),
    "T-Bar Row": Lift(BARBELL, 40),
    "Barbell Shrug": Lift(BARBELL, 80),
    "Barbell Curl": Lift(BARBELL, 30),
    "Dumbbell Curl": Lift(DUMBBELL, 12),
    "Hammer Curl": Lift(DUMBBELL, 14),
    "Preacher Curl": Lift(BARBELL, 25),
    "Triceps Pushdown": Lift(CABLE, 25),
    "Skull Crusher": Lift(BARBELL, 25),
    "Overhead Triceps Extension": Lift(CABLE, 20),
    "Close-Grip Bench Press": Lift(BARBELL, 50, compound=True),
    "Wrist Curl": Lift(DUMBBELL, 10),
    "Farmer's Carry": Lift(CARRY, 24),
    "Cable Woodchopper": Lift(CABLE, 15),
    "Neck Flexion": Lift(MACHINE, 10),
    "Turkish Get-Up": Lift(KETTLEBELL, 12),
    "Push-Up": Lift(REPS, 15),
    "Pull-Up": Lift(REPS, 6),
    "Chin-Up": Lift(REPS, 7),
    "Parallel Bar Dip": Lift(REPS, 10),
    "Inverted Row": Lift(REPS, 10),
    "Bodyweight Squat": Lift(REPS, 20),
    "Pistol Squat": Lift(REPS, 5),
    "Nordic Hamstring Curl": Lift(REPS, 4),
    "Glute Bridge": Lift(REPS, 15),
    "Back Extension": Lift(REPS, 12),
    "Plank": Lift(TIMED, 45),
    "Side Plank": Lift(TIMED, 30),
    "Crunch": Lift(REPS, 20),
    "Hanging Leg Raise": Lift(REPS, 10),
    "Russian Twist": Lift(REPS, 20),
    "Mountain Climber": Lift(REPS, 30),
    "Burpee": Lift(REPS, 12),
    "Copenhagen Plank": Lift(TIMED, 20),
    "Running": Lift(CARDIO, 330),
    "Walking": Lift(CARDIO, 720),
    "Cycling": Lift(CARDIO, 120),
    "Rowing Machine": Lift(CARDIO, 250),
    "Elliptical Trainer": Lift(CARDIO, 400),
    "Stair Climber": Lift(CARDIO, 0),
    "Swimming": Lift(CARDIO, 1500),
    "Jump Rope": Lift(CARDIO, 0),
    "Air Bike": Lift(CARDIO, 0),
    "Hiking": Lift(CARDIO, 900),
    "Box Jump": Lift(REPS, 5),
    "Jump Squat": Lift(REPS, 10),
    "Depth Jump": Lift(REPS, 5),
    "Broad Jump": Lift(REPS, 5),
    "Lateral Bound": Lift(REPS, 10),
    "Plyometric Push-Up": Lift(REPS, 8),
    "Medicine Ball Slam": Lift(REPS, 12),
    "Snatch": Lift(BARBELL, 35, compound=True),
    "Power Snatch": Lift(BARBELL, 35, compound=True),
    "Clean and Jerk": Lift(BARBELL, 50, compound=True),
    "Power Clean": Lift(BARBELL, 50, compound=True),
    "Hang Clean": Lift(BARBELL, 45, compound=True),
    "Clean Pull": Lift(BARBELL, 70, compound=True),
    "Push Press": Lift(BARBELL, 45, compound=True),
    "Split Jerk": Lift(BARBELL, 55, compound=True),
}
_CATEGORY_LIFTS: Final = {
    "strength": Lift(MACHINE, 30),
    "olympic": Lift(BARBELL, 40, compound=True),
    "bodyweight": Lift(REPS, 10),
    "plyometrics": Lift(REPS, 8),
    "flexibility": Lift(TIMED, 40),
    "cardio": Lift(CARDIO, 0),
}

# Cardio sessions last this many minutes (low, high).
_CARDIO_MINUTES: Final = {
    "Running": (20, 50),
    "Walking": (30, 60),
    "Cycling": (30, 90),
    "Rowing Machine": (10, 30),
    "Elliptical Trainer": (20, 40),
    "Stair Climber": (15, 30),
    "Swimming": (20, 45),
    "Jump Rope": (5, 15),
    "Air Bike": (10, 20),
    "Hiking": (60, 180),
}

# A plan item: (exercise name, target sets, target reps or None (timed, cardio), rest seconds).
PlanSpec = tuple[str, int, int | None, int]
# A program: the workouts a user rotates through, each (name, description, items).
ProgramSpec = tuple[tuple[str, str, tuple[PlanSpec, ...]], ...]

# The programs users follow, with how often they are picked.
# fmt: off
PROGRAMS: Final[tuple[tuple[int, ProgramSpec], ...]] = (
    (30, (
        ("Push", "Chest, shoulders and triceps.", (
            ("Barbell Bench Press", 4, 8, 150),
            ("Overhead Press", 3, 8, 120),
            ("Incline Dumbbell Press", 3, 10, 90),
            ("Lateral Raise", 3, 15, 60),
            ("Triceps Pushdown", 3, 12, 60),
        )),
        ("Pull", "Back and biceps.", (
            ("Barbell Row", 4, 8, 150),
            ("Lat Pulldown", 3, 10, 90),
            ("Seated Cable Row", 3, 10, 90),
            ("Face Pull", 3, 15, 60),
            ("Barbell Curl", 3, 10, 60),
            ("Hammer Curl", 2, 12, 60),
        )),
        ("Legs", "Squat day.", (
            ("Barbell Back Squat", 4, 6, 180),
            ("Romanian Deadlift", 3, 8, 150),
            ("Leg Press", 3, 10, 120),
            ("Lying Leg Curl", 3, 12, 60),
            ("Standing Calf Raise", 4, 12, 60),
        )),
    )),
    (25, (
        ("Upper", "Heavy upper body.", (
            ("Barbell Bench Press", 4, 6, 180),
            ("Barbell Row", 4, 6, 150),
            ("Overhead Press", 3, 8, 120),
            ("Lat Pulldown", 3, 10, 90),
            ("Dumbbell Curl", 3, 12, 60),
            ("Skull Crusher", 3, 12, 60),
        )),
        ("Lower", "Heavy lower body.", (
            ("Barbell Back Squat", 4, 6, 180),
            ("Conventional Deadlift", 3, 5, 180),
            ("Bulgarian Split Squat", 3, 10, 90),
            ("Leg Extension", 3, 12, 60),
            ("Seated Calf Raise", 3, 15, 60),
            ("Hanging Leg Raise", 3, 12, 60),
        )),
    )),
    (20, (
        ("Full Body A", "5x5: squat, bench, row.", (
            ("Barbell Back Squat", 5, 5, 180),
            ("Barbell Bench Press", 5, 5, 180),
            ("Barbell Row", 5, 5, 150),
            ("Plank", 3, None, 60),
        )),
        ("Full Body B", "5x5: squat, press, deadlift.", (
            ("Barbell Back Squat", 5, 5, 180),
            ("Overhead Press", 5, 5, 150),
            ("Conventional Deadlift", 1, 5, 180),
            ("Pull-Up", 3, 8, 120),
        )),
    )),
    (10, (
        ("Machines A", "Guided machines, whole body.", (
            ("Machine Chest Press", 3, 12, 90),
            ("Leg Press", 3, 12, 90),
            ("Lat Pulldown", 3, 12, 90),
            ("Seated Dumbbell Shoulder Press", 3, 10, 90),
            ("Lying Leg Curl", 3, 12, 60),
            ("Dumbbell Curl", 2, 12, 60),
        )),
        ("Machines B", "Guided machines and core.", (
            ("Goblet Squat", 3, 12, 90),
            ("Seated Cable Row", 3, 12, 90),
            ("Dumbbell Bench Press", 3, 10, 90),
            ("Leg Extension", 3, 15, 60),
            ("Triceps Pushdown", 3, 12, 60),
            ("Crunch", 3, 20, 45),
        )),
    )),
    (7, (
        ("Athletic A", "Power and conditioning.", (
            ("Power Clean", 5, 3, 150),
            ("Front Squat", 4, 5, 150),
            ("Box Jump", 3, 5, 90),
            ("Pull-Up", 4, 8, 90),
            ("Kettlebell Swing", 3, 15, 60),
        )),
        ("Athletic B", "Strength and engine.", (
            ("Push Press", 4, 5, 150),
            ("Hip Thrust", 3, 10, 90),
            ("Farmer's Carry", 3, None, 90),
            ("Rowing Machine", 1, None, 0),
            ("Medicine Ball Slam", 3, 12, 60),
        )),
    )),
    (4, (
        ("Snatch Day", "Olympic lifting.", (
            ("Snatch", 6, 2, 120),
            ("Power Snatch", 3, 2, 120),
            ("Front Squat", 4, 4, 150),
            ("Good Morning", 3, 8, 90),
        )),
        ("Clean & Jerk Day", "Olympic lifting.", (
            ("Clean and Jerk", 6, 2, 150),
            ("Clean Pull", 4, 3, 120),
            ("Push Press", 3, 5, 120),
            ("Barbell Back Squat", 4, 5, 180),
        )),
    )),
    (8, (
        ("Home Strength", "No equipment.", (
            ("Push-Up", 4, 15, 60),
            ("Pull-Up", 4, 6, 90),
            ("Bodyweight Squat", 4, 20, 60),
            ("Glute Bridge", 3, 15, 45),
            ("Plank", 3, None, 45),
            ("Burpee", 3, 12, 60),
        )),
        ("Run and Core", "An easy run, then core.", (
            ("Running", 1, None, 0),
            ("Side Plank", 2, None, 30),
            ("Russian Twist", 3, 20, 45),
            ("Mountain Climber", 3, 30, 45),
            ("Back Extension", 3, 12, 45),
        )),
    )),
)

# Extra plans some users keep for second sessions of a day and light days.
EXTRA_PLANS: Final[ProgramSpec] = (
    ("Cardio & Core", "Conditioning and abs.", (
        ("Cycling", 1, None, 0),
        ("Plank", 3, None, 45),
        ("Crunch", 3, 20, 45),
        ("Hanging Leg Raise", 3, 10, 60),
    )),
    ("Mobility", "Stretching on rest days.", (
        ("World's Greatest Stretch", 2, None, 15),
        ("Kneeling Hip Flexor Stretch", 2, None, 15),
        ("Pigeon Pose", 2, None, 15),
        ("Standing Hamstring Stretch", 2, None, 15),
        ("Cat-Cow", 2, None, 15),
    )),
)

# Ad hoc sessions (no plan): a cardio activity, maybe with some core work; the session name.
_AD_HOC: Final = (
    ("Running", "Run"), ("Running", "Run"), ("Walking", "Walk"), ("Cycling", "Bike ride"),
    ("Rowing Machine", "Rowing"), ("Elliptical Trainer", "Elliptical"),
    ("Stair Climber", "Stairs"), ("Swimming", "Swim"), ("Jump Rope", "Jump rope"),
    ("Air Bike", "Air bike intervals"), ("Hiking", "Hike"),
)

# Custom exercises: (name, category, primary muscle, secondary muscles, lift, description).
CUSTOM_EXERCISES: Final[tuple[tuple[str, str, str, str, Lift, str], ...]] = (
    ("Landmine Press", "strength", "shoulders", "{chest,triceps}", Lift(BARBELL, 30), ""),
    ("Meadows Row", "strength", "back", "{biceps}", Lift(BARBELL, 30), "Landmine row."),
    ("Belt Squat", "strength", "quadriceps", "{glutes}", Lift(MACHINE, 80), ""),
    ("Zercher Squat", "strength", "quadriceps", "{abs,glutes}", Lift(BARBELL, 60), ""),
    ("JM Press", "strength", "triceps", "{chest}", Lift(BARBELL, 40), ""),
    ("Pallof Press", "strength", "obliques", "{abs}", Lift(CABLE, 15), "Anti-rotation."),
    ("Spider Curl", "strength", "biceps", "{}", Lift(DUMBBELL, 10), "Chest on an incline bench."),
    ("Cable Lateral Raise", "strength", "shoulders", "{}", Lift(CABLE, 7.5), ""),
    ("Hack Squat", "strength", "quadriceps", "{glutes}", Lift(MACHINE, 90), ""),
    ("Trap Bar Deadlift", "strength", "glutes", "{quadriceps,hamstrings}", Lift(BARBELL, 110), ""),
    ("Sled Push", "strength", "quadriceps", "{glutes,calves}", Lift(CARRY, 60), ""),
    ("Développé couché haltères", "strength", "chest", "{triceps}", Lift(DUMBBELL, 20), ""),
    ("Sentadilla búlgara", "strength", "quadriceps", "{glutes}", Lift(DUMBBELL, 14), ""),
    ("Reverse Hyper", "strength", "lower_back", "{glutes,hamstrings}", Lift(MACHINE, 30), ""),
    ("Dead Bug", "bodyweight", "abs", "{hip_flexors}", Lift(REPS, 12), ""),
    ("Hollow Hold", "bodyweight", "abs", "{}", Lift(TIMED, 30), ""),
)
# fmt: on

_FIRST_NAMES: Final = (
    "Ada", "Alan", "Amara", "Ana", "Arjun", "Ben", "Camille", "Carlos", "Chen", "Chloé",
    "Dara", "David", "Elena", "Emma", "Fatima", "Felix", "Grace", "Hana", "Hugo", "Ines",
    "Isaac", "Jana", "João", "Kai", "Kenji", "Lara", "Leo", "Lina", "Lucas", "Maya",
    "Mei", "Mia", "Noah", "Nora", "Olivia", "Omar", "Priya", "Rafael", "Rosa", "Sam",
    "Sara", "Sofia", "Tariq", "Theo", "Yara", "Yusuf", "Zoe", "Zoltán",
)  # fmt: skip
_LAST_NAMES: Final = (
    "Adeyemi", "Andersen", "Bauer", "Chen", "Costa", "Dubois", "Fischer", "García", "Haddad",
    "Ivanova", "Jensen", "Kim", "Kowalski", "Lambert", "López", "Martin", "Müller", "Nakamura",
    "Novak", "O'Brien", "Okafor", "Patel", "Rossi", "Santos", "Schmidt", "Silva", "Singh",
    "Smith", "Tanaka", "Varga", "Walker", "Wang", "Weber", "Yilmaz",
)  # fmt: skip

# (IANA zone, weight, share of users there who enter pounds)
_ZONES: Final = (
    ("America/New_York", 14, 0.8),
    ("America/Chicago", 8, 0.8),
    ("America/Denver", 3, 0.8),
    ("America/Los_Angeles", 10, 0.8),
    ("America/Toronto", 4, 0.4),
    ("America/Sao_Paulo", 5, 0.0),
    ("America/Mexico_City", 3, 0.1),
    ("Europe/London", 8, 0.15),
    ("Europe/Paris", 8, 0.0),
    ("Europe/Berlin", 8, 0.0),
    ("Europe/Madrid", 4, 0.0),
    ("Europe/Warsaw", 3, 0.0),
    ("Africa/Lagos", 2, 0.0),
    ("Africa/Johannesburg", 2, 0.0),
    ("Asia/Kolkata", 4, 0.0),
    ("Asia/Singapore", 2, 0.0),
    ("Asia/Tokyo", 4, 0.0),
    ("Australia/Sydney", 4, 0.0),
    ("UTC", 2, 0.0),
)

# Usual training times: (weight, earliest start minute of the local day, latest start minute).
# The late slot runs past midnight regularly.
_SLOTS: Final = (
    (22, 6 * 60, 8 * 60),
    (10, 11 * 60 + 45, 13 * 60),
    (48, 17 * 60, 20 * 60 + 30),
    (12, 21 * 60, 22 * 60 + 30),
    (8, 22 * 60 + 30, 23 * 60 + 40),
)

_SESSION_NOTES: Final = (
    "Felt strong today.",
    "Short on time.",
    "Gym was packed, swapped the order.",
    "Slept badly.",
    "New shoes!",
    "Back from holiday.",
    "Knee a bit sore, went lighter.",
    "Great pump.",
)


# --- loaded catalogue -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Exercise:
    id: str  # 32 hex digits, as COPY reads a uuid
    name: str
    lift: Lift


@dataclass(frozen=True, slots=True)
class PlanItem:
    exercise: Exercise
    sets: int
    reps: int | None
    rest_s: int


@dataclass(frozen=True, slots=True, eq=False)  # compared and hashed by identity
class Plan:
    name: str
    description: str
    items: tuple[PlanItem, ...]
    sets_estimate: float  # sets a session of this plan logs, on average


@dataclass(frozen=True, slots=True)
class Catalogue:
    exercises: dict[str, Exercise]
    programs: tuple[tuple[Plan, ...], ...]
    program_weights: tuple[int, ...]
    extras: tuple[Plan, ...]


@dataclass(frozen=True, slots=True)
class SeedOptions:
    users: int
    seed: int = 1
    end_date: date | None = None  # None: today (UTC)
    sets_per_user: int = DEFAULT_SETS_PER_USER


@dataclass(slots=True)
class SeedReport:
    seed: int
    end_date: date
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLE_NAMES, 0))
    generate_load_s: float = 0.0
    rebuild_s: float = 0.0
    analyze_s: float = 0.0
    total_s: float = 0.0

    def summary(self) -> str:
        lines = [
            f"seed {self.seed}, history up to {self.end_date.isoformat()} 00:00 UTC",
            f"{'table':<20}{'rows':>12}",
        ]
        lines += [f"{table:<20}{count:>12,}" for table, count in self.rows.items()]
        total = sum(self.rows.values())
        lines.append(f"{'total':<20}{total:>12,}")
        lines.append(
            f"generate+COPY {self.generate_load_s:.1f} s, rebuild indexes and foreign keys"
            f" {self.rebuild_s:.1f} s, VACUUM (ANALYZE) {self.analyze_s:.1f} s;"
            f" total {self.total_s:.1f} s"
        )
        seconds = self.total_s or 1e-9
        lines.append(
            f"{total / seconds:,.0f} rows/s overall; "
            f"{self.rows['set_records'] / seconds:,.0f} set records/s"
        )
        return "\n".join(lines)


# --- formatting for COPY (text format) ------------------------------------------------------


class _Text:
    """Formats values the way COPY's text format reads them, with caches for the few
    thousand distinct timestamps-per-day and weights a run uses."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        self._kg: dict[int, str] = {}
        self._lb: dict[int, str] = {}

    def ts(self, t: int) -> str:
        """An epoch second as a UTC timestamptz."""
        day, sec = divmod(t, _DAY)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = date.fromordinal(_EPOCH_ORDINAL + day).isoformat()
        return f"{prefix} {sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}+00"

    def kg(self, centikg: int) -> str:
        """A weight given in 1/100 kg, as the shortest exact decimal."""
        text = self._kg.get(centikg)
        if text is None:
            text = self._kg[centikg] = _decimal(centikg, 2)
        return text

    def lb_in_kg(self, half_lb: int) -> str:
        """A weight given in 1/2 lb, converted exactly to kilograms."""
        text = self._lb.get(half_lb)
        if text is None:
            text = self._lb[half_lb] = _decimal(half_lb * (LB_IN_KG_NANOS // 2), 9)
        return text


def _decimal(value: int, scale: int) -> str:
    """`value / 10**scale` written exactly, without trailing zeros."""
    whole, frac = divmod(value, 10**scale)
    if not frac:
        return str(whole)
    return f"{whole}.{frac:0{scale}d}".rstrip("0")


def _copy_text(value: str) -> str:
    """A free-text value escaped for COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _uuid7(ms: int, rng: random.Random) -> str:
    """A UUIDv7 for the instant `ms` (epoch milliseconds) with 74 bits from `rng`, as 32 hex
    digits (PostgreSQL reads a uuid without hyphens)."""
    rand = rng.getrandbits(74)
    value = (
        (ms << 80)
        | (0x7 << 76)
        | ((rand >> 62) << 64)
        | (0b10 << 62)
        | (rand & 0x3FFF_FFFF_FFFF_FFFF)
    )
    return f"{value:032x}"


def _randint(rng: random.Random, low: int, high: int) -> int:
    """`rng.randint(low, high)`, several times faster (the generator's hot path)."""
    return low + int(rng.random() * (high - low + 1))


def _half_step(value: float) -> int:
    """An RPE in half points (2..20), clamped to the 1-10 scale."""
    return max(2, min(20, round(value * 2)))


_RPE_TEXT: Final = tuple(_decimal(halves * 5, 1) for halves in range(21))


# --- the catalogue and plans ----------------------------------------------------------------


def load_catalogue(conn: psycopg.Connection[Any]) -> Catalogue:
    """The system exercises of the database, and the plans built from them."""
    rows = conn.execute(
        "SELECT id, name, category::text FROM exercises WHERE user_id IS NULL ORDER BY name"
    ).fetchall()
    if not rows:
        raise SeedError("the system exercise catalogue is empty: are the migrations applied?")
    exercises = {
        name: Exercise(row_id.hex, name, LIFTS.get(name) or _CATEGORY_LIFTS[category])
        for row_id, name, category in rows
    }
    programs = tuple(_plans(spec, exercises) for _, spec in PROGRAMS)
    return Catalogue(
        exercises=exercises,
        programs=programs,
        program_weights=tuple(weight for weight, _ in PROGRAMS),
        extras=_plans(EXTRA_PLANS, exercises),
    )


def _plans(spec: ProgramSpec, exercises: dict[str, Exercise]) -> tuple[Plan, ...]:
    plans: list[Plan] = []
    for name, description, items in spec:
        resolved = tuple(
            PlanItem(exercises[exercise], sets, reps, rest)
            for exercise, sets, reps, rest in items
            if exercise in exercises  # a catalogue without it: leave it out
        )
        if resolved:
            plans.append(Plan(name, description, resolved, _sets_estimate(resolved)))
    return tuple(plans)


def _sets_estimate(items: Iterable[PlanItem]) -> float:
    """The sets a session of these items logs on average (warm-ups, skips, drop sets)."""
    total = 0.0
    for item in items:
        total += item.sets
        if item.exercise.lift.kind == BARBELL and item.exercise.lift.compound:
            total += 2.3
        elif item.exercise.lift.kind in (DUMBBELL, CABLE, MACHINE):
            total += 0.15
    return total * 0.96


# --- one user -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Rows:
    """Text lines per table for a chunk of users."""

    lines: list[list[str]] = field(default_factory=lambda: [[] for _ in TABLES])


@dataclass(slots=True)
class _Progress:
    """Where a user stands on one exercise."""

    level: float  # working weight (kg), reps, seconds, or pace (s/km)
    ceiling: float
    sessions: int = 0
    last_day: int = 0


@dataclass(slots=True)
class _User:
    """Everything the generator keeps about the user being generated."""

    rng: random.Random
    id: str
    lb: bool
    strength: float
    gain: float
    tracks_rpe: bool
    progress: dict[str, _Progress] = field(default_factory=dict[str, _Progress])


@dataclass(frozen=True, slots=True)
class _Context:
    seed: int
    end_ts: int  # epoch second: the history ends here (00:00 UTC of the end date)
    sets_per_user: int
    catalogue: Catalogue
    password_hash: str
    text: _Text


def _user_rng(seed: int, index: int) -> random.Random:
    # A string seed is hashed with SHA-512: stable across runs, platforms and Python versions.
    return random.Random(f"kinetria-seed:{seed}:{index}")


def _weighted(rng: random.Random, weights: Sequence[int]) -> int:
    """An index drawn with the given integer weights."""
    pick = rng.random() * sum(weights)
    for index, weight in enumerate(weights):
        pick -= weight
        if pick < 0:
            return index
    return len(weights) - 1


def generate_user(ctx: _Context, index: int, out: _Rows) -> int:
    """Append every row of user number `index` (1-based) to `out`; return their set count."""
    rng = _user_rng(ctx.seed, index)
    text = ctx.text
    cat = ctx.catalogue
    lines = out.lines

    zone_name, _, lb_share = _ZONES[_weighted(rng, [w for _, w, _ in _ZONES])]
    zone = ZoneInfo(zone_name)
    lb = rng.random() < lb_share
    per_week = rng.choice((2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 6))
    slot = _SLOTS[_weighted(rng, [w for w, _, _ in _SLOTS])]
    program = cat.programs[_weighted(rng, cat.program_weights)]
    extras = [plan for plan in cat.extras if rng.random() < 0.3]

    # How long this user has trained: long enough for their share of sets. The factor is
    # log-normal with mean 1, so a few users have years of history and some only weeks.
    sigma = 0.6
    factor = math.exp(rng.gauss(-sigma * sigma / 2, sigma))
    target_sets = max(40.0, ctx.sets_per_user * factor)
    per_session = sum(p.sets_estimate for p in program) / len(program)
    if extras:
        per_session = 0.9 * per_session + 0.1 * sum(p.sets_estimate for p in extras) / len(extras)
    weeks = target_sets / per_session / per_week / 0.96  # holidays
    end_day = ctx.end_ts // _DAY + _EPOCH_ORDINAL  # the end date's ordinal
    first_day = end_day - max(7, round(weeks * 7))

    # The account, created a few days to weeks before the first session.
    created = _local_ts(zone, first_day - _randint(rng, 0, 20), _randint(rng, 7 * 60, 23 * 60))
    created += _randint(rng, 0, 59)
    user = _User(
        rng=rng,
        id=_uuid7(created * 1000 + _randint(rng, 0, 999), rng),
        lb=lb,
        strength=min(2.0, max(0.4, math.exp(rng.gauss(0, 0.3)))),
        gain=math.exp(rng.gauss(0, 0.35)),
        tracks_rpe=rng.random() < 0.6,
    )
    unit = "lb" if lb else "kg"
    display_name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
    created_text = text.ts(created)
    lines[USERS].append(
        f"{user.id}\tuser{index:05d}@{EMAIL_DOMAIN}\t{ctx.password_hash}\t"
        f"{_copy_text(display_name)}\t{unit}\t1\t{created_text}\t{created_text}\n"
    )
    ip = f"198.51.100.{_randint(rng, 1, 254)}"
    lines[AUDIT].append(
        f"{user.id}\tregister\t\t"
        f'{{"ip": "{ip}", "user_agent": "Kinetria/1.4 ({rng.choice(("iOS", "Android", "web"))})"}}'
        f"\t{created_text}\n"
    )

    # Custom exercises (a fifth of the users), added to one of their plans.
    plans = list(program)
    if rng.random() < 0.2:
        customs = rng.sample(CUSTOM_EXERCISES, _randint(rng, 1, 3))
        for offset, (name, category, primary, secondary, lift, description) in enumerate(customs):
            at = created + 600 + offset * 97
            exercise = Exercise(_uuid7(at * 1000, rng), name, lift)
            stamp = text.ts(at)
            lines[EXERCISES].append(
                f"{exercise.id}\t{user.id}\t{_copy_text(name)}\t{category}\t{primary}\t"
                f"{secondary}\t{_copy_text(description)}\t1\t{stamp}\t{stamp}\n"
            )
            target = rng.randrange(len(plans))
            reps = None if lift.kind in (TIMED, CARRY) else rng.choice((6, 8, 10, 12))
            item = PlanItem(exercise, 3, reps, 90)
            old = plans[target]
            items = (*old.items, item)
            plans[target] = Plan(old.name, old.description, items, _sets_estimate(items))

    # An earlier program, archived when the user switched (a third of long histories).
    switch_day = first_day
    previous: list[Plan] = []
    if end_day - first_day > 120 and rng.random() < 0.35:
        others = [
            (weight, plans_)
            for weight, plans_ in zip(cat.program_weights, cat.programs, strict=True)
            if plans_ is not program
        ]
        previous = list(others[_weighted(rng, [weight for weight, _ in others])][1])
        switch_day = first_day + _randint(rng, 40, end_day - first_day - 40)

    workout_ids: dict[Plan, str] = {}
    switch_ts = _local_ts(zone, switch_day - 1, _randint(rng, 18 * 60, 22 * 60))

    def add_workout(plan: Plan, at: int, status: str, archived_at: int | None) -> None:
        workout_id = _uuid7(at * 1000 + _randint(rng, 0, 999), rng)
        workout_ids[plan] = workout_id
        updated = text.ts(archived_at if archived_at is not None else at)
        lines[WORKOUTS].append(
            f"{workout_id}\t{user.id}\t{_copy_text(plan.name)}\t{_copy_text(plan.description)}"
            f"\t{status}\t{1 if archived_at is None else 2}\t{text.ts(at)}\t{updated}\n"
        )
        for position, item in enumerate(plan.items):
            lines[WORKOUT_EXERCISES].append(
                f"{workout_id}\t{position}\t{item.exercise.id}\t" + _targets(ctx, user, item)
            )

    at = created + 900
    for plan in previous:
        add_workout(plan, at, "archived", switch_ts)
        at += _randint(rng, 60, 300)
    at = switch_ts if previous else at
    for plan in [*plans, *extras]:
        add_workout(plan, at, "active", None)
        at += _randint(rng, 60, 300)
    if rng.random() < 0.15:  # a plan the user started writing and never used
        draft = rng.choice(cat.programs[rng.randrange(len(cat.programs))])
        draft = Plan(f"{draft.name} (new)", "", draft.items[:3], draft.sets_estimate)
        add_workout(
            draft, min(ctx.end_ts - 3600, at + _randint(rng, 3600, 30 * _DAY)), "draft", None
        )

    # The sessions, day by day.
    set_count = 0
    rotation = 0
    last_end = 0
    break_until = 0
    train_p = per_week / 7 / 0.96
    sessions: list[tuple[int, Plan | None]] = []  # (start ts, plan or None: ad hoc)
    for day in range(first_day, end_day):
        if day % 7 == 0 and rng.random() < 0.04:  # a week off: holiday, illness
            break_until = day + 7
        if day < break_until or rng.random() >= train_p:
            continue
        current = previous if day < switch_day and previous else plans
        minute = _randint(rng, slot[1], slot[2])
        if rng.random() < 0.05:  # now and then at another time of day
            minute = _randint(rng, 6 * 60, 23 * 60 + 30)
        if rng.random() < 0.07:
            chosen: Plan | None = None
        elif extras and rng.random() < 0.12:
            chosen = rng.choice(extras)
        else:
            chosen = current[rotation % len(current)]
            rotation += 1
        sessions.append((_local_ts(zone, day, minute) + _randint(rng, 0, 59), chosen))
        if rng.random() < 0.04:  # twice today: a short extra session later on
            later = minute + _randint(rng, 150, 400)
            if later < 24 * 60:
                extra = rng.choice(extras) if extras else None
                sessions.append((_local_ts(zone, day, later) + _randint(rng, 0, 59), extra))

    in_progress_start = 0
    local_hour = datetime.fromtimestamp(ctx.end_ts, zone).hour
    if rng.random() < 0.05 and 7 <= local_hour <= 22:
        in_progress_start = ctx.end_ts - _randint(rng, 10 * 60, 70 * 60)
        plan = plans[rotation % len(plans)]
        sessions = [s for s in sessions if s[0] < in_progress_start - 4 * 3600]
        sessions.append((in_progress_start, plan))

    for start, plan in sessions:
        if start < last_end + 600:
            continue  # still in (or just out of) the previous one
        in_progress = start == in_progress_start
        abandoned = not in_progress and rng.random() < 0.03
        result = _session(
            ctx, lines, user, zone_name, start, plan, workout_ids, abandoned, in_progress
        )
        if result is None:
            continue  # would end after the end of the history
        count, ended = result
        set_count += count
        last_end = ended
    return set_count


def _local_ts(zone: ZoneInfo, day: int, minute: int) -> int:
    """Epoch second of local wall-clock `minute` of day ordinal `day` in `zone`."""
    local = date.fromordinal(day)
    hour, minute = divmod(minute, 60)
    return int(datetime(local.year, local.month, local.day, hour, minute, tzinfo=zone).timestamp())


def _targets(ctx: _Context, user: _User, item: PlanItem) -> str:
    """target_sets, target_reps, target_weight_kg, target_rest_s (and the line end)."""
    lift = item.exercise.lift
    weight = _NULL
    if lift.kind in LOADED:
        weight = _weight_text(ctx.text, user, lift.kind, lift.start * user.strength)[0]
    reps = _NULL if item.reps is None else str(item.reps)
    return f"{item.sets}\t{reps}\t{weight}\t{item.rest_s}\n"


def _weight_text(text: _Text, user: _User, kind: int, kg: float) -> tuple[str, float]:
    """A weight as the user would load it (rounded to their plates or stack), as the exact
    kilograms to store, and its value in kg."""
    if user.lb:
        step = _STEP_LB[kind]
        half_lb = max(step, round(kg / 0.45359237 * 2 / step) * step)
        if kind == BARBELL:
            half_lb = max(half_lb, _BAR_LB)
        return text.lb_in_kg(half_lb), half_lb * 0.45359237 / 2
    step = _STEP_KG[kind]
    centikg = max(step, round(kg * 100 / step) * step)
    if kind == BARBELL:
        centikg = max(centikg, _BAR_KG)
    return text.kg(centikg), centikg / 100


def _progress(user: _User, exercise: Exercise) -> _Progress:
    state = user.progress.get(exercise.id)
    if state is None:
        lift = exercise.lift
        rng = user.rng
        if lift.kind in LOADED:
            start = lift.start * user.strength * rng.uniform(0.85, 1.1)
            state = _Progress(start, start * 2.2)
        elif lift.kind == REPS:
            start = lift.start * rng.uniform(0.6, 1.2) * min(1.5, user.strength)
            state = _Progress(max(1.0, start), lift.start * 2.5)
        elif lift.kind == TIMED:
            start = lift.start * rng.uniform(0.7, 1.3)
            state = _Progress(start, lift.start * 3)
        else:
            pace = lift.start * rng.uniform(0.85, 1.25)
            state = _Progress(pace, pace * 0.78)
        user.progress[exercise.id] = state
    return state


def _session(
    ctx: _Context,
    lines: list[list[str]],
    user: _User,
    zone_name: str,
    start: int,
    plan: Plan | None,
    workout_ids: dict[Plan, str],
    abandoned: bool,
    in_progress: bool,
) -> tuple[int, int] | None:
    """Generate one session at `start`; its set count and end, or None past the end."""
    rng = user.rng
    text = ctx.text
    exercises = ctx.catalogue.exercises
    if plan is None:  # ad hoc: a cardio activity, sometimes with core work after it
        activity_name, name = rng.choice(_AD_HOC)
        activity = exercises.get(activity_name)
        items: list[PlanItem] = [PlanItem(activity, 1, None, 0)] if activity else []
        for core in ("Plank", "Crunch", "Russian Twist"):
            if core in exercises and rng.random() < 0.3:
                items.append(PlanItem(exercises[core], 3, 20, 45))
    else:
        items = [item for item in plan.items if rng.random() >= 0.04]  # skipped today
        name = plan.name
    if not items:
        return None

    # Day-to-day form: good days add reps and a little weight, bad days take them away.
    form = rng.gauss(0.0, 1.0)
    day = start // _DAY
    t = start + _randint(rng, 180, 720)  # changing, warming up
    sets: list[tuple[int, str, str]] = []  # (performed_at, exercise id, the rest of the line)
    for item in items:
        _exercise_sets(ctx, user, item, form, day, t, sets)
        t = sets[-1][0] + _randint(rng, 60, 240) if sets else t
    if in_progress:
        sets = [s for s in sets if s[0] <= ctx.end_ts][: max(1, len(sets) // 2)]
    elif abandoned:
        sets = sets[: _randint(rng, 0, max(0, len(sets) // 2))]
    if not in_progress and (sets[-1][0] if sets else t) + 900 > ctx.end_ts:
        return None

    if in_progress:
        status, ended = "in_progress", None
        last = max(start, sets[-1][0] if sets else start)
    else:
        status = "abandoned" if abandoned else "completed"
        last = sets[-1][0] if sets else start + _randint(rng, 120, 600)
        ended = last + _randint(rng, 60, 600)
        if abandoned and rng.random() < 0.3:
            ended = None  # closed by the app, never by the user
        last = ended or last

    session_id = _uuid7(start * 1000 + _randint(rng, 0, 999), rng)
    workout_id = _NULL if plan is None else workout_ids[plan]
    notes = rng.choice(_SESSION_NOTES) if rng.random() < 0.05 else ""
    version = 1 + len(sets) + (0 if in_progress else 1)
    lines[SESSIONS].append(
        f"{session_id}\t{user.id}\t{workout_id}\t{_copy_text(name)}\t{status}\t"
        f"{text.ts(start)}\t{_NULL if ended is None else text.ts(ended)}\t{zone_name}\t"
        f"{_copy_text(notes)}\t{version}\t{text.ts(start)}\t{text.ts(last)}\t{len(sets)}\n"
    )
    if plan is not None:
        for position, item in enumerate(plan.items):
            lines[SESSION_EXERCISES].append(
                f"{session_id}\t{position}\t{item.exercise.id}\t" + _targets(ctx, user, item)
            )
    set_lines = lines[SETS]
    prefix_session = f"\t{session_id}\t{user.id}\t"
    for position, (performed, exercise_id, rest) in enumerate(sets):
        stamp = text.ts(performed)
        set_lines.append(
            f"{_uuid7(performed * 1000 + _randint(rng, 0, 999), rng)}{prefix_session}"
            f"{exercise_id}\t{position}\t{rest}\t{stamp}\t1\t{stamp}\t{stamp}\n"
        )
    return len(sets), (ended or last)


def _exercise_sets(
    ctx: _Context,
    user: _User,
    item: PlanItem,
    form: float,
    day: int,
    t: int,
    out: list[tuple[int, str, str]],
) -> None:
    """Append the sets of one exercise, starting at `t`: (performed_at, exercise id, the
    columns set_type .. rpe of the line)."""
    rng = user.rng
    exercise = item.exercise
    lift = exercise.lift
    kind = lift.kind
    state = _progress(user, exercise)
    if state.last_day and day - state.last_day > 12:  # back after a break: a little weaker
        state.level *= 0.95 if kind != CARDIO else 1.04
    unit = "lb" if user.lb else "kg"
    tracks = user.tracks_rpe
    n_sets = max(1, item.sets + (rng.random() < 0.12) - (rng.random() < 0.12))
    eid = exercise.id
    null = _NULL

    if kind in LOADED:
        weight, kg = _weight_text(ctx.text, user, kind, state.level)
        reps_target = item.reps or 10
        if kind == BARBELL and lift.compound:  # warm-ups, up to the working weight
            bar = _BAR_LB * 0.45359237 / 2 if user.lb else _BAR_KG / 100
            ramp = [(bar, 10), (kg * 0.5, 5), (kg * 0.7, 3)]
            if kg > 100:
                ramp.append((kg * 0.85, 1))
            for ramp_kg, reps in ramp:
                if ramp_kg >= kg * 0.95 or (ramp_kg < bar * 1.2 and ramp[0][0] != ramp_kg):
                    continue
                t += _randint(rng, 45, 110)
                warm = _weight_text(ctx.text, user, kind, ramp_kg)[0]
                out.append((t, eid, f"warmup\t{reps}\t{warm}\t{unit}\t{null}\t{null}\t{null}"))
        failed = rng.random() < 0.05
        for index in range(n_sets):
            t += (
                reps_target * 3 + 15 + (round(item.rest_s * rng.uniform(0.8, 1.3)) if index else 60)
            )
            fatigue = index * 0.35
            reps = round(reps_target + form * 0.7 + rng.uniform(-0.6, 0.6) - fatigue + 0.3)
            set_type = "normal"
            if failed and index == n_sets - 1:
                set_type, reps = "failure", max(1, reps - _randint(rng, 0, 2))
            reps = max(1, reps)
            rpe = null
            if tracks and rng.random() < 0.9:
                effort = 7.0 + index * 0.5 - form * 0.4 + (reps_target - reps) * 0.4
                rpe = _RPE_TEXT[20 if set_type == "failure" else _half_step(effort)]
            out.append((t, eid, f"{set_type}\t{reps}\t{weight}\t{unit}\t{null}\t{null}\t{rpe}"))
        if kind in (DUMBBELL, CABLE, MACHINE) and rng.random() < 0.12:  # drop sets
            drop_kg = kg
            for _ in range(1 + (rng.random() < 0.3)):
                drop_kg *= rng.uniform(0.7, 0.8)
                t += _randint(rng, 10, 25) + reps_target * 3
                drop = _weight_text(ctx.text, user, kind, drop_kg)[0]
                reps = max(1, reps_target - _randint(rng, -2, 3))
                rpe = _RPE_TEXT[rng.choice((19, 20))] if tracks else null
                out.append((t, eid, f"dropset\t{reps}\t{drop}\t{unit}\t{null}\t{null}\t{rpe}"))
        # Progress: fast at first, slower with every session; a deload now and then.
        if rng.random() < 0.03:
            state.level *= 0.9
        else:
            step = 0.025 * user.gain / (1 + state.sessions / 10) + rng.gauss(0, 0.004)
            state.level = min(state.ceiling, state.level * (1 + step + form * 0.002))
    elif kind == REPS:
        for index in range(n_sets):
            t += _randint(rng, 20, 60) + (
                round(item.rest_s * rng.uniform(0.8, 1.3)) if index else 30
            )
            cap = state.level + form * 0.8 - index * 0.6
            target = item.reps or round(state.level)
            reps = max(1, round(min(cap, target * 1.2) + rng.uniform(-1, 1)))
            rpe = null
            if tracks and rng.random() < 0.7:
                rpe = _RPE_TEXT[_half_step(6.5 + index * 0.5 + (reps / max(1.0, cap)) * 1.5)]
            out.append((t, eid, f"normal\t{reps}\t{null}\t{unit}\t{null}\t{null}\t{rpe}"))
        step = 0.6 * user.gain / (1 + state.sessions / 8)
        state.level = min(state.ceiling, state.level + step * rng.uniform(0, 1))
    elif kind == TIMED:
        for index in range(n_sets):
            seconds = max(10, round(state.level * rng.uniform(0.85, 1.1) - index * 3))
            t += (
                seconds
                + _randint(rng, 15, 30)
                + (round(item.rest_s * rng.uniform(0.8, 1.2)) if index else 0)
            )
            out.append((t, eid, f"normal\t{null}\t{null}\t{unit}\t{seconds}\t{null}\t{null}"))
        state.level = min(state.ceiling, state.level + rng.uniform(0, 2.0))
    elif kind == CARRY:  # weight and duration
        weight, _ = _weight_text(ctx.text, user, kind, state.level)
        for index in range(n_sets):
            seconds = _randint(rng, 30, 60)
            t += seconds + (round(item.rest_s * rng.uniform(0.8, 1.2)) if index else 30)
            out.append((t, eid, f"normal\t{null}\t{weight}\t{unit}\t{seconds}\t{null}\t{null}"))
        state.level = min(state.ceiling, state.level * (1 + 0.02 / (1 + state.sessions / 10)))
    else:  # cardio: one long set, distance where the activity has one
        low, high = _CARDIO_MINUTES.get(exercise.name, (20, 40))
        seconds = _randint(rng, low * 60, high * 60)
        t += seconds
        distance = null
        if lift.start:
            pace = state.level * (1 - form * 0.015) * rng.uniform(0.97, 1.03)
            distance = str(round(seconds / pace * 1000 / 10) * 10)
        out.append((t, eid, f"normal\t{null}\t{null}\t{unit}\t{seconds}\t{distance}\t{null}"))
        state.level = max(state.ceiling, state.level * (1 - 0.004 * user.gain))
    state.sessions += 1
    state.last_day = day


# --- loading --------------------------------------------------------------------------------


def demo_password_hash(seed: int) -> str:
    """The Argon2id hash of DEMO_PASSWORD every seeded user shares, with the parameters the
    API hashes with and a salt drawn from the seed, so the users table is deterministic too."""
    hasher = default_hasher()
    salt = random.Random(f"kinetria-seed:{seed}:salt").randbytes(16)
    encoded = argon2.low_level.hash_secret(
        normalize(DEMO_PASSWORD).encode(),
        salt,
        time_cost=hasher.time_cost,
        memory_cost=hasher.memory_cost,
        parallelism=hasher.parallelism,
        hash_len=hasher.hash_len,
        type=hasher.type,
    )
    return encoded.decode()


def end_timestamp(end_date: date) -> int:
    """The history ends at 00:00 UTC of `end_date`, as an epoch second."""
    return (end_date.toordinal() - _EPOCH_ORDINAL) * _DAY


def generate(
    options: SeedOptions, catalogue: Catalogue, end_date: date
) -> Iterator[tuple[list[list[str]], int]]:
    """The rows, a chunk of USERS_PER_CHUNK users at a time: (COPY lines per table, users)."""
    ctx = _Context(
        seed=options.seed,
        end_ts=end_timestamp(end_date),
        sets_per_user=options.sets_per_user,
        catalogue=catalogue,
        password_hash=demo_password_hash(options.seed),
        text=_Text(),
    )
    for first in range(1, options.users + 1, USERS_PER_CHUNK):
        last = min(options.users, first + USERS_PER_CHUNK - 1)
        rows = _Rows()
        for index in range(first, last + 1):
            generate_user(ctx, index, rows)
        yield rows.lines, last - first + 1


def _in_background(chunks: Iterator[_T], ahead: int = 2) -> Iterator[_T]:
    """`chunks`, produced by a thread at most `ahead` items ahead of the consumer: the next
    chunk is generated while PostgreSQL loads the previous one."""
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=ahead)
    stop = threading.Event()  # the consumer is gone: stop producing

    def offer(item: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not offer((True, chunk)):
                    return
            offer((False, None))
        except BaseException as exc:  # handed to the consumer, raised there
            offer((False, exc))

    thread = threading.Thread(target=produce, name="seed-generator", daemon=True)
    thread.start()
    try:
        while True:
            more, item = queue.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        thread.join()


def _rebuilt_objects(conn: psycopg.Connection[Any]) -> list[tuple[bytes, bytes]]:
    """(drop, create) statements for the indexes, primary keys, unique constraints and
    foreign keys of REBUILT_TABLES, in the order to create them (drop in reverse); comments
    included. CHECK and NOT NULL constraints stay: they cost little per row."""
    indexes = conn.execute(
        """
        SELECT format('DROP INDEX %%I.%%I', n.nspname, i.relname),
               pg_get_indexdef(x.indexrelid) || ';'
               || coalesce(format(' COMMENT ON INDEX %%I.%%I IS %%L;', n.nspname, i.relname,
                                  obj_description(i.oid, 'pg_class')), '')
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_namespace n ON n.oid = i.relnamespace
        WHERE x.indrelid = ANY(%(tables)s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid
                          AND c.conrelid = x.indrelid)
        ORDER BY i.relname
        """,
        {"tables": list(REBUILT_TABLES)},
    ).fetchall()
    # Primary keys and unique constraints nothing refers to (these tables are leaves), then
    # the foreign keys, which must come last: re-adding one validates every row.
    constraints = conn.execute(
        """
        SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.conrelid::regclass, c.conname),
               format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s;', c.conrelid::regclass, c.conname,
                      pg_get_constraintdef(c.oid))
               || coalesce(format(' COMMENT ON CONSTRAINT %%I ON %%s IS %%L;', c.conname,
                                  c.conrelid::regclass, obj_description(c.oid, 'pg_constraint')),
                           '')
        FROM pg_constraint c
        WHERE c.conrelid = ANY(%(tables)s::regclass[])
          AND c.contype IN ('p', 'u', 'f')
          AND NOT EXISTS (SELECT FROM pg_constraint r WHERE r.contype = 'f'
                          AND r.confrelid = c.conrelid AND r.conindid = c.conindid)
        ORDER BY c.contype = 'f', c.conname
        """,
        {"tables": list(REBUILT_TABLES)},
    ).fetchall()
    return [(drop.encode(), create.encode()) for drop, create in [*indexes, *constraints]]


def seed_database(url: str, options: SeedOptions, *, progress: bool = True) -> SeedReport:
    """Fill the (migrated, empty) database at `url`: one transaction, then VACUUM (ANALYZE)."""
    end_date = options.end_date or datetime.now(UTC).date()
    report = SeedReport(seed=options.seed, end_date=end_date)
    started = time.perf_counter()
    statements = {
        table: sql.SQL("COPY {} ({}) FROM STDIN{}").format(
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL(" WITH (FREEZE)" if table in REBUILT_TABLES else ""),
        )
        for table, columns in TABLES
    }
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT EXISTS (SELECT FROM users)").fetchone() == (True,):
            raise SeedError(
                "the database already has users; seed fills an empty database"
                " (use a new database, or a new KINETRIA_HOME for the embedded one)"
            )
        catalogue = load_catalogue(conn)
        # Fail fast rather than queue behind a busy table; the index builds may take minutes.
        conn.execute(
            "SET LOCAL lock_timeout = '10s'; SET LOCAL statement_timeout = 0;"
            " SET LOCAL maintenance_work_mem = '1GB'"
        )
        rebuilt = _rebuilt_objects(conn)
        for drop, _ in reversed(rebuilt):
            conn.execute(drop)
        # Empty (no users), but truncated in this transaction so that COPY may write their
        # rows frozen and all-visible: no VACUUM needed for index-only scans.
        conn.execute(
            sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(map(sql.Identifier, REBUILT_TABLES)))
        )

        bar = tqdm(
            total=options.users,
            unit="user",
            file=sys.stderr,
            disable=not progress,
            dynamic_ncols=True,
            smoothing=0.05,
        )
        with bar, conn.cursor() as cur:
            for lines, users in _in_background(generate(options, catalogue, end_date)):
                for (table, _), table_lines in zip(TABLES, lines, strict=True):
                    if table_lines:
                        with cur.copy(statements[table]) as copy:
                            copy.write("".join(table_lines).encode())
                        report.rows[table] += len(table_lines)
                bar.set_postfix(sets=f"{report.rows['set_records']:,}", refresh=False)
                bar.update(users)
        report.generate_load_s = time.perf_counter() - started

        mark = time.perf_counter()
        if progress:
            print("rebuilding indexes and foreign keys ...", file=sys.stderr, flush=True)
        for _, create in rebuilt:
            conn.execute(create)
        report.rebuild_s = time.perf_counter() - mark

    mark = time.perf_counter()
    if progress:
        print("vacuuming and analyzing ...", file=sys.stderr, flush=True)
    # Statistics for the planner; the VACUUM marks the pages COPY FREEZE could not mark
    # all-visible (it skips those it did, so it is quick) for index-only scans.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("VACUUM (ANALYZE) {}").format(
                sql.SQL(", ").join(map(sql.Identifier, TABLE_NAMES))
            )
        )
    report.analyze_s = time.perf_counter() - mark
    report.total_s = time.perf_counter() - started
    return report
