"""What the seed takes, keeps and gives: its options and report, the catalogue resolved against
the database, and the state of the user being generated."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Final
from zoneinfo import ZoneInfo

from app.seed.catalogue import BARBELL, CABLE, DUMBBELL, MACHINE, Lift, ProgramSpec
from app.seed.text import CopyText

DEMO_PASSWORD: Final = "demo-password-123"  # noqa: S105 - documented demo data, never production
"""The password of every seeded user."""
DEFAULT_SETS_PER_USER: Final = 1000

# The tables the seed fills, in load order (parents first); queries/seed/copy_<table>.sql
# lists the columns of each, in the order the generator writes them.
TABLE_NAMES: Final = (
    "users",
    "exercises",
    "workouts",
    "workout_exercises",
    "sessions",
    "session_exercises",
    "set_records",
    "audit_log",
)
USERS, EXERCISES, WORKOUTS, WORKOUT_EXERCISES, SESSIONS, SESSION_EXERCISES, SETS, AUDIT = range(8)


class SeedError(Exception):
    """The database cannot be seeded (not empty, or the catalogue is missing)."""


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


# --- the catalogue, resolved against the database -------------------------------------------


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

    @classmethod
    def of(cls, name: str, description: str, items: tuple[PlanItem, ...]) -> Plan:
        return cls(name, description, items, sets_estimate(items))


@dataclass(frozen=True, slots=True)
class Catalogue:
    exercises: dict[str, Exercise]
    programs: tuple[tuple[Plan, ...], ...]
    program_weights: tuple[int, ...]
    extras: tuple[Plan, ...]


def plans(spec: ProgramSpec, exercises: dict[str, Exercise]) -> tuple[Plan, ...]:
    """The workouts of a program, with the exercises the catalogue has."""
    resolved_plans: list[Plan] = []
    for name, description, items in spec:
        resolved = tuple(
            PlanItem(exercises[exercise], sets, reps, rest)
            for exercise, sets, reps, rest in items
            if exercise in exercises  # a catalogue without it: leave it out
        )
        if resolved:
            resolved_plans.append(Plan.of(name, description, resolved))
    return tuple(resolved_plans)


def sets_estimate(items: Iterable[PlanItem]) -> float:
    """The sets a session of these items logs on average (warm-ups, skips, drop sets)."""
    total = 0.0
    for item in items:
        total += item.sets
        if item.exercise.lift.kind == BARBELL and item.exercise.lift.compound:
            total += 2.3
        elif item.exercise.lift.kind in (DUMBBELL, CABLE, MACHINE):
            total += 0.15
    return total * 0.96


# --- the user being generated ---------------------------------------------------------------


@dataclass(slots=True)
class Rows:
    """Text lines per table (in TABLE_NAMES order) for a chunk of users."""

    lines: list[list[str]] = field(default_factory=lambda: [[] for _ in TABLE_NAMES])


@dataclass(slots=True)
class Progress:
    """Where a user stands on one exercise."""

    level: float  # working weight (kg), reps, seconds, or pace (s/km)
    ceiling: float
    sessions: int = 0
    last_day: int = 0


@dataclass(slots=True)
class User:
    """Everything the generator keeps about the user being generated."""

    rng: random.Random
    id: str
    zone: ZoneInfo  # where they live and train; `zone.key` is its IANA name
    lb: bool
    strength: float
    gain: float
    tracks_rpe: bool
    progress: dict[str, Progress] = field(default_factory=dict[str, Progress])
    workout_ids: dict[Plan, str] = field(default_factory=dict[Plan, str])
    unit: str = field(init=False)  # the weight unit they enter

    def __post_init__(self) -> None:
        self.unit = "lb" if self.lb else "kg"


@dataclass(frozen=True, slots=True)
class Context:
    seed: int
    end_ts: int  # epoch second: the history ends here (00:00 UTC of the end date)
    sets_per_user: int
    catalogue: Catalogue
    password_hash: str
    text: CopyText
