-- migrate:up
-- squawk-ignore-file prefer-bigint-over-int, prefer-bigint-over-smallint -- bounded values (CHECK ranges) and edit counters, not keys
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- A workout is a user's plan (template): an ordered list of exercises with
-- targets. Sessions may be started from it; deleting it keeps those sessions
-- (sessions.workout_id becomes NULL, their copied plan stays).
CREATE TABLE workouts (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    status workout_status NOT NULL DEFAULT 'draft',
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workouts_name_check CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT workouts_description_check CHECK (char_length(description) <= 10000),
    CONSTRAINT workouts_version_check CHECK (version >= 1),
    -- The target of the composite foreign key from sessions, which keeps a
    -- session's workout among its own user's workouts.
    CONSTRAINT workouts_id_user_id_key UNIQUE (id, user_id)
);

COMMENT ON TABLE workouts IS 'A user''s workout plans (templates). Deleting one keeps the sessions performed from it.';

-- Access paths:
--   a user's workouts, newest first, keyset on (created_at, id):
--     WHERE user_id = %(user_id)s AND (created_at, id) < (%(c)s, %(i)s)
--     ORDER BY created_at DESC, id DESC LIMIT n   -> workouts_user_id_created_at_id_idx
--     (also serves the ON DELETE CASCADE from users)
--   the same list filtered by status (?status=active):
--     WHERE user_id = %(user_id)s AND status = %(status)s AND ...
--     ORDER BY created_at DESC, id DESC LIMIT n   -> workouts_user_id_status_created_at_id_idx
--   one workout:  WHERE id = %(id)s AND user_id = %(user_id)s -> workouts_pkey
CREATE INDEX workouts_user_id_created_at_id_idx
    ON workouts (user_id, created_at DESC, id DESC);
CREATE INDEX workouts_user_id_status_created_at_id_idx
    ON workouts (user_id, status, created_at DESC, id DESC);


-- The exercises of a workout, in order, with their targets. Part of the
-- workout document: written and versioned with it (workouts.version), so no
-- version or timestamps of its own. Replacing the list is
-- DELETE ... WHERE workout_id = ... then INSERT, in one transaction.
CREATE TABLE workout_exercises (
    workout_id uuid NOT NULL REFERENCES workouts (id) ON DELETE CASCADE,
    -- 0-based order within the workout.
    position smallint NOT NULL,
    -- NO ACTION (not RESTRICT, same rule): an exercise used by a plan cannot be
    -- deleted. For a key that is not deferrable both refuse the delete; NO ACTION
    -- reports it as foreign_key_violation (23503) like every other foreign key
    -- error, RESTRICT as restrict_violation (23001).
    exercise_id uuid NOT NULL REFERENCES exercises (id) ON DELETE NO ACTION,
    target_sets smallint,
    target_reps smallint,
    target_weight_kg numeric,
    target_rest_s integer,
    notes text NOT NULL DEFAULT '',
    PRIMARY KEY (workout_id, position),
    CONSTRAINT workout_exercises_position_check CHECK (position >= 0),
    CONSTRAINT workout_exercises_target_sets_check CHECK (target_sets BETWEEN 1 AND 100),
    CONSTRAINT workout_exercises_target_reps_check CHECK (target_reps BETWEEN 0 AND 1000),
    CONSTRAINT workout_exercises_target_weight_kg_check CHECK (target_weight_kg BETWEEN 0 AND 1000),
    CONSTRAINT workout_exercises_target_rest_s_check CHECK (target_rest_s BETWEEN 0 AND 3600),
    CONSTRAINT workout_exercises_notes_check CHECK (char_length(notes) <= 10000)
);

COMMENT ON TABLE workout_exercises IS 'The ordered exercises of a workout plan, with their targets (weights in kg).';

-- Access paths:
--   a workout with its exercises in order (json_agg ... ORDER BY position):
--     WHERE workout_id = %(workout_id)s             -> workout_exercises_pkey
--   the check that refuses deleting an exercise a plan uses:
--     WHERE exercise_id = $1                        -> workout_exercises_exercise_id_idx
CREATE INDEX workout_exercises_exercise_id_idx ON workout_exercises (exercise_id);

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE workout_exercises, workouts;
