"""One training session of a user: what they do today (the plan, minus what they skip, or an
ad hoc cardio session), the sets, how it ends, and its rows."""

from __future__ import annotations

from app.seed.catalogue import AD_HOC
from app.seed.draw import randint
from app.seed.model import SESSION_EXERCISES, SESSIONS, SETS, Context, Plan, PlanItem, User
from app.seed.people import SESSION_NOTES
from app.seed.sets import Set, exercise_sets, targets
from app.seed.text import DAY, NULL, escaped, uuid7


def generate_session(
    ctx: Context, user: User, start: int, plan: Plan | None, status: str, lines: list[list[str]]
) -> tuple[int, int] | None:
    """Append the rows of one session of `user` at `start` to `lines`, from `plan` (None: ad
    hoc), ending as `status` says; its set count and the time of its last change, or None
    (and no rows) when it would end after the end of the history."""
    rng = user.rng
    items, name = _todays_items(ctx, user, plan)
    if not items:
        return None
    sets, t = _performed_sets(ctx, user, items, start)
    if status == "in_progress":
        sets = [s for s in sets if s[0] <= ctx.end_ts][: max(1, len(sets) // 2)]
    elif status == "abandoned":
        sets = sets[: randint(rng, 0, max(0, len(sets) // 2))]
    if status != "in_progress" and (sets[-1][0] if sets else t) + 900 > ctx.end_ts:
        return None
    ended, last = _ending(user, start, sets, status)

    text = ctx.text
    session_id = uuid7(start * 1000 + randint(rng, 0, 999), rng)
    workout_id = NULL if plan is None else user.workout_ids[plan]
    notes = rng.choice(SESSION_NOTES) if rng.random() < 0.05 else ""
    version = 1 + len(sets) + (0 if status == "in_progress" else 1)
    lines[SESSIONS].append(
        f"{session_id}\t{user.id}\t{workout_id}\t{escaped(name)}\t{status}\t"
        f"{text.ts(start)}\t{NULL if ended is None else text.ts(ended)}\t{user.zone.key}\t"
        f"{escaped(notes)}\t{version}\t{text.ts(start)}\t{text.ts(last)}\t{len(sets)}\n"
    )
    if plan is not None:  # the plan as the session copied it
        for position, item in enumerate(plan.items):
            lines[SESSION_EXERCISES].append(
                f"{user.id}\t{session_id}\t{position}\t{item.exercise.id}\t"
                + targets(ctx, user, item)
            )
    set_lines = lines[SETS]
    prefix_session = f"\t{session_id}\t{user.id}\t"
    for position, (performed, exercise_id, rest) in enumerate(sets):
        stamp = text.ts(performed)
        set_lines.append(
            f"{uuid7(performed * 1000 + randint(rng, 0, 999), rng)}{prefix_session}"
            f"{exercise_id}\t{position}\t{rest}\t{stamp}\t1\t{stamp}\t{stamp}\n"
        )
    return len(sets), last


def _todays_items(ctx: Context, user: User, plan: Plan | None) -> tuple[list[PlanItem], str]:
    """The exercises of today's session and its name: the plan's, minus the odd one skipped,
    or (no plan) a cardio activity, sometimes with core work after it."""
    rng = user.rng
    if plan is not None:
        return [item for item in plan.items if rng.random() >= 0.04], plan.name
    exercises = ctx.catalogue.exercises
    activity_name, name = rng.choice(AD_HOC)
    activity = exercises.get(activity_name)
    items: list[PlanItem] = [PlanItem(activity, 1, None, 0)] if activity else []
    for core in ("Plank", "Crunch", "Russian Twist"):
        if core in exercises and rng.random() < 0.3:
            items.append(PlanItem(exercises[core], 3, 20, 45))
    return items, name


def _performed_sets(
    ctx: Context, user: User, items: list[PlanItem], start: int
) -> tuple[list[Set], int]:
    """The sets of `items` in order, in a session started at `start`, and the time after the
    last exercise."""
    rng = user.rng
    # Day-to-day form: good days add reps and a little weight, bad days take them away.
    form = rng.gauss(0.0, 1.0)
    day = start // DAY
    t = start + randint(rng, 180, 720)  # changing, warming up
    sets: list[Set] = []
    for item in items:
        exercise_sets(ctx, user, item, form, day, t, sets)
        t = sets[-1][0] + randint(rng, 60, 240) if sets else t
    return sets, t


def _ending(user: User, start: int, sets: list[Set], status: str) -> tuple[int | None, int]:
    """When the session ended (None: still in progress, or an abandoned one never closed by
    the user) and the time of its last change."""
    rng = user.rng
    if status == "in_progress":
        return None, max(start, sets[-1][0] if sets else start)
    last = sets[-1][0] if sets else start + randint(rng, 120, 600)
    ended = last + randint(rng, 60, 600)
    if status == "abandoned" and rng.random() < 0.3:
        ended = None  # closed by the app, never by the user
    return ended, ended or last
