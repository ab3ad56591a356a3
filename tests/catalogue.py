"""The system exercises the tests train with. Their ids are the same in every database:
uuid5 of the exercise's URL, as the catalogue migration documents. As strings, the way the
API shows them (psycopg takes them as they are)."""

from __future__ import annotations

import uuid


def system_exercise_id(slug: str) -> str:
    """The fixed id of the system exercise whose name slugs to `slug`."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://kinetria.app/exercises/{slug}"))


BENCH_PRESS = system_exercise_id("barbell-bench-press")  # Barbell Bench Press, chest
BACK_SQUAT = system_exercise_id("barbell-back-squat")  # Barbell Back Squat, quadriceps
OVERHEAD_PRESS = system_exercise_id("overhead-press")  # Overhead Press, shoulders
PULL_UP = system_exercise_id("pull-up")  # Pull-Up, back
