"""The rows of the seed, as a pure function of (seed, end date, sets per user, user number):
each user has a random generator of their own, and every id is a UUIDv7 built from the row's
own time and that generator. Rows come out as COPY text lines, a chunk of users at a time."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

import argon2.low_level

from app.core.passwords import default_hasher, normalize
from app.seed.catalogue import CARRY, CUSTOM_EXERCISES, TIMED
from app.seed.draw import randint, user_rng, weighted
from app.seed.model import (
    AUDIT,
    DEMO_PASSWORD,
    EXERCISES,
    USERS,
    WORKOUT_EXERCISES,
    WORKOUTS,
    Catalogue,
    Context,
    Exercise,
    Plan,
    PlanItem,
    Rows,
    SeedOptions,
    User,
)
from app.seed.people import FIRST_NAMES, LAST_NAMES, SLOTS, ZONES
from app.seed.session import generate_session
from app.seed.sets import targets
from app.seed.text import DAY, EPOCH_ORDINAL, CopyText, escaped, uuid7

EMAIL_DOMAIN: Final = "demo.kinetria.test"
USERS_PER_CHUNK: Final = 50

# A planned session: (start, epoch second; the plan, or None for an ad hoc session).
Planned = tuple[int, Plan | None]


def generate(
    options: SeedOptions, catalogue: Catalogue, end_date: date
) -> Iterator[tuple[list[list[str]], int]]:
    """The rows, a chunk of USERS_PER_CHUNK users at a time: (COPY lines per table, users)."""
    ctx = Context(
        seed=options.seed,
        end_ts=end_timestamp(end_date),
        sets_per_user=options.sets_per_user,
        catalogue=catalogue,
        password_hash=demo_password_hash(options.seed),
        text=CopyText(),
    )
    for first in range(1, options.users + 1, USERS_PER_CHUNK):
        last = min(options.users, first + USERS_PER_CHUNK - 1)
        rows = Rows()
        for index in range(first, last + 1):
            generate_user(ctx, index, rows)
        yield rows.lines, last - first + 1


def end_timestamp(end_date: date) -> int:
    """The history ends at 00:00 UTC of `end_date`, as an epoch second."""
    return (end_date.toordinal() - EPOCH_ORDINAL) * DAY


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


@dataclass(frozen=True, slots=True)
class Habits:
    """How a user trains, and over which days their history runs."""

    zone: ZoneInfo
    lb: bool  # enters pounds
    per_week: int  # sessions a week, on average
    slot: tuple[int, int, int]  # (weight, earliest, latest start minute of the local day)
    program: tuple[Plan, ...]
    extras: tuple[Plan, ...]  # for second sessions of a day and light days
    first_day: int  # day ordinals: the history runs from first_day to the day before end_day
    end_day: int


def generate_user(ctx: Context, index: int, out: Rows) -> int:
    """Append every row of user number `index` (1-based) to `out`; return their set count."""
    rng = user_rng(ctx.seed, index)
    lines = out.lines
    habits = _habits(ctx, rng)
    user, created = _account(ctx, index, rng, habits, lines)
    plans = _with_custom_exercises(ctx, user, created, list(habits.program), lines)
    previous, switch_day = _earlier_program(ctx.catalogue, rng, habits)
    switch_ts = local_ts(habits.zone, switch_day - 1, randint(rng, 18 * 60, 22 * 60))
    _workouts(ctx, user, created, switch_ts, previous, [*plans, *habits.extras], lines)
    sessions, rotation = _schedule(rng, habits, plans, previous, switch_day)
    in_progress_start = 0
    local_hour = datetime.fromtimestamp(ctx.end_ts, habits.zone).hour
    if rng.random() < 0.05 and 7 <= local_hour <= 22:  # training right now
        in_progress_start = ctx.end_ts - randint(rng, 10 * 60, 70 * 60)
        sessions = [s for s in sessions if s[0] < in_progress_start - 4 * 3600]
        sessions.append((in_progress_start, plans[rotation % len(plans)]))

    set_count = 0
    last_end = 0
    for start, plan in sessions:
        if start < last_end + 600:
            continue  # still in (or just out of) the previous one
        if start == in_progress_start:
            status = "in_progress"
        else:
            status = "abandoned" if rng.random() < 0.03 else "completed"
        result = generate_session(ctx, user, start, plan, status, lines)
        if result is None:
            continue  # would end after the end of the history
        count, last_end = result
        set_count += count
    return set_count


def _habits(ctx: Context, rng: random.Random) -> Habits:
    cat = ctx.catalogue
    zone_name, _, lb_share = ZONES[weighted(rng, [w for _, w, _ in ZONES])]
    lb = rng.random() < lb_share
    per_week = rng.choice((2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 6))
    slot = SLOTS[weighted(rng, [w for w, _, _ in SLOTS])]
    program = cat.programs[weighted(rng, cat.program_weights)]
    extras = tuple(plan for plan in cat.extras if rng.random() < 0.3)

    # How long this user has trained: long enough for their share of sets. The factor is
    # log-normal with mean 1, so a few users have years of history and some only weeks.
    sigma = 0.6
    factor = math.exp(rng.gauss(-sigma * sigma / 2, sigma))
    target_sets = max(40.0, ctx.sets_per_user * factor)
    per_session = sum(p.sets_estimate for p in program) / len(program)
    if extras:
        per_session = 0.9 * per_session + 0.1 * sum(p.sets_estimate for p in extras) / len(extras)
    weeks = target_sets / per_session / per_week / 0.96  # holidays
    end_day = ctx.end_ts // DAY + EPOCH_ORDINAL  # the end date's ordinal
    first_day = end_day - max(7, round(weeks * 7))
    return Habits(ZoneInfo(zone_name), lb, per_week, slot, program, extras, first_day, end_day)


def _account(
    ctx: Context, index: int, rng: random.Random, habits: Habits, lines: list[list[str]]
) -> tuple[User, int]:
    """The user and their registration (in the audit log), created a few days to weeks
    before the first session; the user and the epoch second of the registration."""
    day = habits.first_day - randint(rng, 0, 20)
    created = local_ts(habits.zone, day, randint(rng, 7 * 60, 23 * 60)) + randint(rng, 0, 59)
    user = User(
        rng=rng,
        id=uuid7(created * 1000 + randint(rng, 0, 999), rng),
        zone=habits.zone,
        lb=habits.lb,
        strength=min(2.0, max(0.4, math.exp(rng.gauss(0, 0.3)))),
        gain=math.exp(rng.gauss(0, 0.35)),
        tracks_rpe=rng.random() < 0.6,
    )
    display_name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    created_text = ctx.text.ts(created)
    lines[USERS].append(
        f"{user.id}\tuser{index:05d}@{EMAIL_DOMAIN}\t{ctx.password_hash}\t"
        f"{escaped(display_name)}\t{user.unit}\t1\t{created_text}\t{created_text}\n"
    )
    ip = f"198.51.100.{randint(rng, 1, 254)}"
    lines[AUDIT].append(
        f"{user.id}\tregister\t\t"
        f'{{"ip": "{ip}", "user_agent": "Kinetria/1.4 ({rng.choice(("iOS", "Android", "web"))})"}}'
        f"\t{created_text}\n"
    )
    return user, created


def _with_custom_exercises(
    ctx: Context, user: User, created: int, plans: list[Plan], lines: list[list[str]]
) -> list[Plan]:
    """`plans`, with the custom exercises a fifth of the users create, each added to one of
    their plans."""
    rng = user.rng
    if rng.random() >= 0.2:
        return plans
    customs = rng.sample(CUSTOM_EXERCISES, randint(rng, 1, 3))
    for offset, (name, category, primary, secondary, lift, description) in enumerate(customs):
        at = created + 600 + offset * 97
        exercise = Exercise(uuid7(at * 1000, rng), name, lift)
        stamp = ctx.text.ts(at)
        lines[EXERCISES].append(
            f"{exercise.id}\t{user.id}\t{escaped(name)}\t{category}\t{primary}\t"
            f"{secondary}\t{escaped(description)}\t1\t{stamp}\t{stamp}\n"
        )
        target = rng.randrange(len(plans))
        reps = None if lift.kind in (TIMED, CARRY) else rng.choice((6, 8, 10, 12))
        old = plans[target]
        plans[target] = Plan.of(
            old.name, old.description, (*old.items, PlanItem(exercise, 3, reps, 90))
        )
    return plans


def _earlier_program(cat: Catalogue, rng: random.Random, habits: Habits) -> tuple[list[Plan], int]:
    """The program a third of the long histories followed before switching (archived since),
    and the day of the switch; none and the first day for the others."""
    first_day, end_day = habits.first_day, habits.end_day
    if end_day - first_day <= 120 or rng.random() >= 0.35:
        return [], first_day
    others = [
        (weight, plans)
        for weight, plans in zip(cat.program_weights, cat.programs, strict=True)
        if plans is not habits.program
    ]
    previous = list(others[weighted(rng, [weight for weight, _ in others])][1])
    return previous, first_day + randint(rng, 40, end_day - first_day - 40)


def _workouts(
    ctx: Context,
    user: User,
    created: int,
    switch_ts: int,
    previous: list[Plan],
    current: list[Plan],
    lines: list[list[str]],
) -> None:
    """The user's workouts: the earlier program's (archived at the switch), the current
    ones, and now and then a draft they started writing and never used."""
    rng = user.rng
    at = created + 900
    for plan in previous:
        _add_workout(ctx, user, plan, at, "archived", switch_ts, lines)
        at += randint(rng, 60, 300)
    at = switch_ts if previous else at
    for plan in current:
        _add_workout(ctx, user, plan, at, "active", None, lines)
        at += randint(rng, 60, 300)
    if rng.random() < 0.15:
        programs = ctx.catalogue.programs
        draft = rng.choice(programs[rng.randrange(len(programs))])
        draft = Plan(f"{draft.name} (new)", "", draft.items[:3], draft.sets_estimate)
        at = min(ctx.end_ts - 3600, at + randint(rng, 3600, 30 * DAY))
        _add_workout(ctx, user, draft, at, "draft", None, lines)


def _add_workout(
    ctx: Context,
    user: User,
    plan: Plan,
    at: int,
    status: str,
    archived_at: int | None,
    lines: list[list[str]],
) -> None:
    rng, text = user.rng, ctx.text
    workout_id = uuid7(at * 1000 + randint(rng, 0, 999), rng)
    user.workout_ids[plan] = workout_id
    updated = text.ts(archived_at if archived_at is not None else at)
    lines[WORKOUTS].append(
        f"{workout_id}\t{user.id}\t{escaped(plan.name)}\t{escaped(plan.description)}"
        f"\t{status}\t{1 if archived_at is None else 2}\t{text.ts(at)}\t{updated}\n"
    )
    for position, item in enumerate(plan.items):
        lines[WORKOUT_EXERCISES].append(
            f"{user.id}\t{workout_id}\t{position}\t{item.exercise.id}\t" + targets(ctx, user, item)
        )


def _schedule(
    rng: random.Random, habits: Habits, plans: list[Plan], previous: list[Plan], switch_day: int
) -> tuple[list[Planned], int]:
    """The sessions, day by day: several a week at the user's usual time, rotating through
    the program, with weeks off, ad hoc sessions and the odd second session of a day; and
    how far the rotation went."""
    rotation = 0
    break_until = 0
    train_p = habits.per_week / 7 / 0.96
    extras = habits.extras
    sessions: list[Planned] = []
    for day in range(habits.first_day, habits.end_day):
        if day % 7 == 0 and rng.random() < 0.04:  # a week off: holiday, illness
            break_until = day + 7
        if day < break_until or rng.random() >= train_p:
            continue
        current = previous if day < switch_day and previous else plans
        minute = randint(rng, habits.slot[1], habits.slot[2])
        if rng.random() < 0.05:  # now and then at another time of day
            minute = randint(rng, 6 * 60, 23 * 60 + 30)
        if rng.random() < 0.07:
            chosen: Plan | None = None
        elif extras and rng.random() < 0.12:
            chosen = rng.choice(extras)
        else:
            chosen = current[rotation % len(current)]
            rotation += 1
        sessions.append((local_ts(habits.zone, day, minute) + randint(rng, 0, 59), chosen))
        if rng.random() < 0.04:  # twice today: a short extra session later on
            later = minute + randint(rng, 150, 400)
            if later < 24 * 60:
                extra = rng.choice(extras) if extras else None
                sessions.append((local_ts(habits.zone, day, later) + randint(rng, 0, 59), extra))
    return sessions, rotation


def local_ts(zone: ZoneInfo, day: int, minute: int) -> int:
    """Epoch second of local wall-clock `minute` of day ordinal `day` in `zone`."""
    local = date.fromordinal(day)
    hour, minute = divmod(minute, 60)
    return int(datetime(local.year, local.month, local.day, hour, minute, tzinfo=zone).timestamp())
