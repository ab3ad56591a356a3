"""The training catalogue the seed draws from: how each system exercise is performed and where
a typical user starts on it, the custom exercises users add, and the programs they follow.

Pure data: the generator resolves the exercise names against the database's catalogue (a name
the database lacks is left out of the plans)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# How an exercise is performed, which decides the fields of its sets.
BARBELL, DUMBBELL, MACHINE, CABLE, KETTLEBELL, CARRY, REPS, TIMED, CARDIO = range(9)
LOADED: Final = frozenset({BARBELL, DUMBBELL, MACHINE, CABLE, KETTLEBELL, CARRY})
# Plate and stack increments: kilograms (in 1/100 kg) and pounds (in 1/2 lb).
STEP_KG: Final = {
    BARBELL: 250,
    DUMBBELL: 200,
    MACHINE: 500,
    CABLE: 250,
    KETTLEBELL: 400,
    CARRY: 200,
}
STEP_LB: Final = {BARBELL: 10, DUMBBELL: 10, MACHINE: 20, CABLE: 10, KETTLEBELL: 10, CARRY: 10}
BAR_KG: Final = 2000  # an empty Olympic bar, 20 kg
BAR_LB: Final = 90  # 45 lb


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
CATEGORY_LIFTS: Final = {
    "strength": Lift(MACHINE, 30),
    "olympic": Lift(BARBELL, 40, compound=True),
    "bodyweight": Lift(REPS, 10),
    "plyometrics": Lift(REPS, 8),
    "flexibility": Lift(TIMED, 40),
    "cardio": Lift(CARDIO, 0),
}

# Cardio sessions last this many minutes (low, high).
CARDIO_MINUTES: Final = {
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
AD_HOC: Final = (
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
