-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- Other names of system exercises, as other apps (Strong, Hevy) write them, used when a file
-- is imported. An imported name is compared after normalization (case, accents, punctuation
-- and an equipment suffix such as "Bench Press (Barbell)" folded, app/imports/matching.py),
-- so one row covers the spellings that differ only in those. DBAs may add rows:
--   INSERT INTO exercise_aliases (alias, exercise_id)
--   SELECT 'Chest Dip', id FROM exercises WHERE user_id IS NULL AND name = 'Parallel Bar Dip';
CREATE TABLE exercise_aliases (
    alias text PRIMARY KEY,
    exercise_id uuid NOT NULL REFERENCES exercises (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT exercise_aliases_alias_check CHECK (char_length(alias) BETWEEN 1 AND 100)
);

COMMENT ON TABLE exercise_aliases IS 'Other names of system exercises (as Strong, Hevy and others write them), matched when a file is imported. Extend with INSERT.';

-- Access paths: every row is read at once when an import matches names (a few hundred rows);
-- the ON DELETE CASCADE from exercises -> exercise_aliases_exercise_id_idx.
CREATE INDEX exercise_aliases_exercise_id_idx ON exercise_aliases (exercise_id);

INSERT INTO exercise_aliases (alias, exercise_id)
SELECT a.alias, e.id
FROM (VALUES
    ('Bench Press (Barbell)', 'Barbell Bench Press'),
    ('Bench Press', 'Barbell Bench Press'),
    ('Incline Bench Press (Barbell)', 'Incline Barbell Bench Press'),
    ('Incline Bench Press', 'Incline Barbell Bench Press'),
    ('Bench Press (Dumbbell)', 'Dumbbell Bench Press'),
    ('Incline Bench Press (Dumbbell)', 'Incline Dumbbell Press'),
    ('Chest Fly (Dumbbell)', 'Dumbbell Fly'),
    ('Chest Fly', 'Dumbbell Fly'),
    ('Cable Fly Crossovers', 'Cable Crossover'),
    ('Cable Fly', 'Cable Crossover'),
    ('Chest Press (Machine)', 'Machine Chest Press'),
    ('Squat (Barbell)', 'Barbell Back Squat'),
    ('Squat', 'Barbell Back Squat'),
    ('Back Squat', 'Barbell Back Squat'),
    ('Front Squat (Barbell)', 'Front Squat'),
    ('Goblet Squat (Kettlebell)', 'Goblet Squat'),
    ('Goblet Squat (Dumbbell)', 'Goblet Squat'),
    ('Leg Press (Machine)', 'Leg Press'),
    ('Leg Extension (Machine)', 'Leg Extension'),
    ('Bulgarian Split Squat (Dumbbell)', 'Bulgarian Split Squat'),
    ('Lunge (Dumbbell)', 'Walking Lunge'),
    ('Walking Lunge (Dumbbell)', 'Walking Lunge'),
    ('Deadlift (Barbell)', 'Conventional Deadlift'),
    ('Deadlift', 'Conventional Deadlift'),
    ('Sumo Deadlift (Barbell)', 'Sumo Deadlift'),
    ('Romanian Deadlift (Barbell)', 'Romanian Deadlift'),
    ('Romanian Deadlift (Dumbbell)', 'Romanian Deadlift'),
    ('Good Morning (Barbell)', 'Good Morning'),
    ('Lying Leg Curl (Machine)', 'Lying Leg Curl'),
    ('Leg Curl', 'Lying Leg Curl'),
    ('Hip Thrust (Barbell)', 'Hip Thrust'),
    ('Kettlebell Swing', 'Kettlebell Swing'),
    ('Standing Calf Raise (Machine)', 'Standing Calf Raise'),
    ('Calf Raise', 'Standing Calf Raise'),
    ('Seated Calf Raise (Machine)', 'Seated Calf Raise'),
    ('Hip Adduction (Machine)', 'Hip Adduction Machine'),
    ('Hip Abduction (Machine)', 'Hip Abduction Machine'),
    ('Overhead Press (Barbell)', 'Overhead Press'),
    ('Strict Military Press (Barbell)', 'Overhead Press'),
    ('Military Press', 'Overhead Press'),
    ('Shoulder Press (Dumbbell)', 'Seated Dumbbell Shoulder Press'),
    ('Seated Shoulder Press (Dumbbell)', 'Seated Dumbbell Shoulder Press'),
    ('Lateral Raise (Dumbbell)', 'Lateral Raise'),
    ('Lateral Raise (Cable)', 'Lateral Raise'),
    ('Reverse Fly (Dumbbell)', 'Rear Delt Fly'),
    ('Rear Delt Reverse Fly (Dumbbell)', 'Rear Delt Fly'),
    ('Face Pull (Cable)', 'Face Pull'),
    ('Bent Over Row (Barbell)', 'Barbell Row'),
    ('Bent Over Row', 'Barbell Row'),
    ('Dumbbell Row', 'One-Arm Dumbbell Row'),
    ('Bent Over Row (Dumbbell)', 'One-Arm Dumbbell Row'),
    ('Lat Pulldown (Cable)', 'Lat Pulldown'),
    ('Lat Pulldown (Machine)', 'Lat Pulldown'),
    ('Seated Row (Cable)', 'Seated Cable Row'),
    ('Seated Cable Row - V Grip (Cable)', 'Seated Cable Row'),
    ('T Bar Row', 'T-Bar Row'),
    ('Shrug (Barbell)', 'Barbell Shrug'),
    ('Bicep Curl (Barbell)', 'Barbell Curl'),
    ('Biceps Curl (Barbell)', 'Barbell Curl'),
    ('Bicep Curl (Dumbbell)', 'Dumbbell Curl'),
    ('Biceps Curl (Dumbbell)', 'Dumbbell Curl'),
    ('Hammer Curl (Dumbbell)', 'Hammer Curl'),
    ('Preacher Curl (Barbell)', 'Preacher Curl'),
    ('Preacher Curl (Machine)', 'Preacher Curl'),
    ('Triceps Pushdown (Cable - Straight Bar)', 'Triceps Pushdown'),
    ('Triceps Pushdown (Cable)', 'Triceps Pushdown'),
    ('Triceps Rope Pushdown', 'Triceps Pushdown'),
    ('Skullcrusher (Barbell)', 'Skull Crusher'),
    ('Skullcrusher (Dumbbell)', 'Skull Crusher'),
    ('Lying Triceps Extension (Barbell)', 'Skull Crusher'),
    ('Overhead Triceps Extension (Dumbbell)', 'Overhead Triceps Extension'),
    ('Overhead Triceps Extension (Cable)', 'Overhead Triceps Extension'),
    ('Triceps Extension (Dumbbell)', 'Overhead Triceps Extension'),
    ('Bench Press - Close Grip (Barbell)', 'Close-Grip Bench Press'),
    ('Close Grip Bench Press', 'Close-Grip Bench Press'),
    ('Wrist Curl (Barbell)', 'Wrist Curl'),
    ('Wood Chop (Cable)', 'Cable Woodchopper'),
    ('Push Up', 'Push-Up'),
    ('Pushups', 'Push-Up'),
    ('Pull Up', 'Pull-Up'),
    ('Pull Up (Assisted)', 'Pull-Up'),
    ('Chin Up', 'Chin-Up'),
    ('Triceps Dip', 'Parallel Bar Dip'),
    ('Chest Dip', 'Parallel Bar Dip'),
    ('Dip', 'Parallel Bar Dip'),
    ('Inverted Row (Bodyweight)', 'Inverted Row'),
    ('Air Squats', 'Bodyweight Squat'),
    ('Squat (Bodyweight)', 'Bodyweight Squat'),
    ('Glute Bridge (Bodyweight)', 'Glute Bridge'),
    ('Back Extension (Hyperextension)', 'Back Extension'),
    ('Hyperextension', 'Back Extension'),
    ('Crunch (Bodyweight)', 'Crunch'),
    ('Hanging Leg Raise', 'Hanging Leg Raise'),
    ('Russian Twist (Bodyweight)', 'Russian Twist'),
    ('Running (Treadmill)', 'Running'),
    ('Treadmill', 'Running'),
    ('Walking (Treadmill)', 'Walking'),
    ('Cycling (Indoor)', 'Cycling'),
    ('Stationary Bike', 'Cycling'),
    ('Rowing (Machine)', 'Rowing Machine'),
    ('Rowing', 'Rowing Machine'),
    ('Elliptical', 'Elliptical Trainer'),
    ('Stair Machine', 'Stair Climber'),
    ('Stairmaster', 'Stair Climber'),
    ('Jump Rope', 'Jump Rope'),
    ('Skipping', 'Jump Rope'),
    ('Assault Bike', 'Air Bike'),
    ('Box Jump', 'Box Jump'),
    ('Clean and Jerk (Barbell)', 'Clean and Jerk'),
    ('Power Clean (Barbell)', 'Power Clean'),
    ('Hang Clean (Barbell)', 'Hang Clean'),
    ('Snatch (Barbell)', 'Snatch'),
    ('Push Press (Barbell)', 'Push Press')
) AS a (alias, name)
JOIN exercises e ON e.user_id IS NULL AND e.name = a.name;

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE exercise_aliases;
