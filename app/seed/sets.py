"""The sets of one exercise in one session, by how the exercise is performed: warm-ups, working
sets, drop sets and sets to failure for loaded lifts; reps, holds and cardio otherwise. Each
session moves the user's level on the exercise: fast at first, slower later, a deload now and
then."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.seed.catalogue import (
    BAR_KG,
    BAR_LB,
    BARBELL,
    CABLE,
    CARDIO,
    CARDIO_MINUTES,
    DUMBBELL,
    LOADED,
    MACHINE,
    REPS,
    STEP_KG,
    STEP_LB,
    TIMED,
)
from app.seed.draw import randint, rest
from app.seed.model import Context, Exercise, PlanItem, Progress, User
from app.seed.text import NULL, RPE_TEXT, CopyText

# A set as the session collects it: (performed_at, exercise id, the columns set_type .. rpe
# of its COPY line).
Set = tuple[int, str, str]


@dataclass(slots=True)  # not frozen: one is made per exercise and session, and frozen is slower
class Block:
    """One exercise of one session, as the function for its kind generates its sets."""

    ctx: Context
    user: User
    item: PlanItem
    state: Progress  # the user's level on the exercise, moved by the session
    form: float  # the day's form: good days add reps and a little weight
    n_sets: int  # working sets today
    out: list[Set]  # the session's sets so far

    def add(
        self,
        t: int,
        set_type: str,
        reps: int | str = NULL,
        weight: str = NULL,
        duration: int | str = NULL,
        distance: str = NULL,
        rpe: str = NULL,
    ) -> None:
        """Append a set performed at `t`, in the user's unit."""
        self.out.append(
            (
                t,
                self.item.exercise.id,
                f"{set_type}\t{reps}\t{weight}\t{self.user.unit}\t{duration}\t{distance}\t{rpe}",
            )
        )


def exercise_sets(
    ctx: Context, user: User, item: PlanItem, form: float, day: int, t: int, out: list[Set]
) -> None:
    """Append the sets of one exercise, starting at `t`, to `out`."""
    rng = user.rng
    kind = item.exercise.lift.kind
    state = progress_on(user, item.exercise)
    if state.last_day and day - state.last_day > 12:  # back after a break: a little weaker
        state.level *= 0.95 if kind != CARDIO else 1.04
    n_sets = max(1, item.sets + (rng.random() < 0.12) - (rng.random() < 0.12))
    SETS_OF_KIND[kind](Block(ctx, user, item, state, form, n_sets, out), t)
    state.sessions += 1
    state.last_day = day


def progress_on(user: User, exercise: Exercise) -> Progress:
    """The user's level on `exercise`, drawn on first use from the exercise's typical start."""
    state = user.progress.get(exercise.id)
    if state is None:
        lift = exercise.lift
        rng = user.rng
        if lift.kind in LOADED:
            start = lift.start * user.strength * rng.uniform(0.85, 1.1)
            state = Progress(start, start * 2.2)
        elif lift.kind == REPS:
            start = lift.start * rng.uniform(0.6, 1.2) * min(1.5, user.strength)
            state = Progress(max(1.0, start), lift.start * 2.5)
        elif lift.kind == TIMED:
            start = lift.start * rng.uniform(0.7, 1.3)
            state = Progress(start, lift.start * 3)
        else:
            pace = lift.start * rng.uniform(0.85, 1.25)
            state = Progress(pace, pace * 0.78)
        user.progress[exercise.id] = state
    return state


def loaded_sets(block: Block, t: int) -> None:
    """Warm-ups (compound barbell lifts), the working sets (the last one to failure now and
    then), drop sets (dumbbells, cables, machines), then the progress of the session."""
    user, item, state, form = block.user, block.item, block.state, block.form
    rng = user.rng
    kind = item.exercise.lift.kind
    weight, kg = weight_text(block.ctx.text, user, kind, state.level)
    reps_target = item.reps or 10
    if kind == BARBELL and item.exercise.lift.compound:
        t = _warmups(block, kg, t)
    failed = rng.random() < 0.05
    eid, unit, out = item.exercise.id, user.unit, block.out  # the hot loop: no Block.add
    for index in range(block.n_sets):
        t += reps_target * 3 + 15 + rest(rng, item.rest_s, index, 60, 1.3)
        fatigue = index * 0.35
        reps = round(reps_target + form * 0.7 + rng.uniform(-0.6, 0.6) - fatigue + 0.3)
        set_type = "normal"
        if failed and index == block.n_sets - 1:
            set_type, reps = "failure", max(1, reps - randint(rng, 0, 2))
        reps = max(1, reps)
        rpe = NULL
        if user.tracks_rpe and rng.random() < 0.9:
            effort = 7.0 + index * 0.5 - form * 0.4 + (reps_target - reps) * 0.4
            rpe = RPE_TEXT[20 if set_type == "failure" else half_step(effort)]
        out.append((t, eid, f"{set_type}\t{reps}\t{weight}\t{unit}\t{NULL}\t{NULL}\t{rpe}"))
    if kind in (DUMBBELL, CABLE, MACHINE) and rng.random() < 0.12:
        _drop_sets(block, kg, t)
    if rng.random() < 0.03:  # a deload
        state.level *= 0.9
    else:
        step = 0.025 * user.gain / (1 + state.sessions / 10) + rng.gauss(0, 0.004)
        state.level = min(state.ceiling, state.level * (1 + step + form * 0.002))


def _warmups(block: Block, kg: float, t: int) -> int:
    """Append the warm-up sets up to the working weight `kg`; the time after the last one."""
    user = block.user
    kind = block.item.exercise.lift.kind
    bar = BAR_LB * 0.45359237 / 2 if user.lb else BAR_KG / 100
    ramp = [(bar, 10), (kg * 0.5, 5), (kg * 0.7, 3)]
    if kg > 100:
        ramp.append((kg * 0.85, 1))
    for ramp_kg, reps in ramp:
        if ramp_kg >= kg * 0.95 or (ramp_kg < bar * 1.2 and ramp[0][0] != ramp_kg):
            continue
        t += randint(user.rng, 45, 110)
        block.add(t, "warmup", reps, weight_text(block.ctx.text, user, kind, ramp_kg)[0])
    return t


def _drop_sets(block: Block, kg: float, t: int) -> None:
    """Append one or two drop sets after the working sets at `kg`."""
    user, item = block.user, block.item
    rng = user.rng
    reps_target = item.reps or 10
    drop_kg = kg
    for _ in range(1 + (rng.random() < 0.3)):
        drop_kg *= rng.uniform(0.7, 0.8)
        t += randint(rng, 10, 25) + reps_target * 3
        drop = weight_text(block.ctx.text, user, item.exercise.lift.kind, drop_kg)[0]
        reps = max(1, reps_target - randint(rng, -2, 3))
        rpe = RPE_TEXT[rng.choice((19, 20))] if user.tracks_rpe else NULL
        block.add(t, "dropset", reps, drop, rpe=rpe)


def rep_sets(block: Block, t: int) -> None:
    """Bodyweight sets: reps only, fewer as the sets go on."""
    user, item, state = block.user, block.item, block.state
    rng = user.rng
    for index in range(block.n_sets):
        t += randint(rng, 20, 60) + rest(rng, item.rest_s, index, 30, 1.3)
        cap = state.level + block.form * 0.8 - index * 0.6
        target = item.reps or round(state.level)
        reps = max(1, round(min(cap, target * 1.2) + rng.uniform(-1, 1)))
        rpe = NULL
        if user.tracks_rpe and rng.random() < 0.7:
            rpe = RPE_TEXT[half_step(6.5 + index * 0.5 + (reps / max(1.0, cap)) * 1.5)]
        block.add(t, "normal", reps, rpe=rpe)
    step = 0.6 * user.gain / (1 + state.sessions / 8)
    state.level = min(state.ceiling, state.level + step * rng.uniform(0, 1))


def timed_sets(block: Block, t: int) -> None:
    """Holds: a duration only."""
    state = block.state
    rng = block.user.rng
    for index in range(block.n_sets):
        seconds = max(10, round(state.level * rng.uniform(0.85, 1.1) - index * 3))
        t += seconds + randint(rng, 15, 30) + rest(rng, block.item.rest_s, index, 0, 1.2)
        block.add(t, "normal", duration=seconds)
    state.level = min(state.ceiling, state.level + rng.uniform(0, 2.0))


def cardio_set(block: Block, t: int) -> None:
    """One long set, with a distance where the activity has one; the pace improves slowly."""
    state = block.state
    rng = block.user.rng
    exercise = block.item.exercise
    low, high = CARDIO_MINUTES.get(exercise.name, (20, 40))
    seconds = randint(rng, low * 60, high * 60)
    t += seconds
    distance = NULL
    if exercise.lift.start:
        pace = state.level * (1 - block.form * 0.015) * rng.uniform(0.97, 1.03)
        distance = str(round(seconds / pace * 1000 / 10) * 10)
    block.add(t, "normal", duration=seconds, distance=distance)
    state.level = max(state.ceiling, state.level * (1 - 0.004 * block.user.gain))


# How the sets of each kind of exercise are generated.
SETS_OF_KIND: dict[int, Callable[[Block, int], None]] = {
    **dict.fromkeys(LOADED, loaded_sets),
    REPS: rep_sets,
    TIMED: timed_sets,
    CARDIO: cardio_set,
}


def targets(ctx: Context, user: User, item: PlanItem) -> str:
    """target_sets, target_reps, target_weight_kg, target_rest_s (and the line end)."""
    lift = item.exercise.lift
    weight = NULL
    if lift.kind in LOADED:
        weight = weight_text(ctx.text, user, lift.kind, lift.start * user.strength)[0]
    reps = NULL if item.reps is None else str(item.reps)
    return f"{item.sets}\t{reps}\t{weight}\t{item.rest_s}\n"


def weight_text(text: CopyText, user: User, kind: int, kg: float) -> tuple[str, float]:
    """A weight as the user would load it (rounded to their plates or stack), as the exact
    kilograms to store, and its value in kg."""
    if user.lb:
        step = STEP_LB[kind]
        half_lb = max(step, round(kg / 0.45359237 * 2 / step) * step)
        if kind == BARBELL:
            half_lb = max(half_lb, BAR_LB)
        return text.lb_in_kg(half_lb), half_lb * 0.45359237 / 2
    step = STEP_KG[kind]
    centikg = max(step, round(kg * 100 / step) * step)
    if kind == BARBELL:
        centikg = max(centikg, BAR_KG)
    return text.kg(centikg), centikg / 100


def half_step(value: float) -> int:
    """An RPE in half points (2..20), clamped to the 1-10 scale."""
    return max(2, min(20, round(value * 2)))
