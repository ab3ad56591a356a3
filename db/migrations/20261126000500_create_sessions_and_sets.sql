-- migrate:up
-- squawk-ignore-file prefer-bigint-over-int, prefer-bigint-over-smallint -- bounded values (CHECK ranges) and edit counters, not keys
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- A performed training session. Times are instants (timestamptz); timezone is
-- the IANA zone the user trained in, for showing local times and grouping by
-- local day. Overnight sessions and several sessions a day are normal.
CREATE TABLE sessions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The plan it was started from, if any; deleting that workout keeps the
    -- session and sets this to NULL.
    workout_id uuid,
    name text NOT NULL DEFAULT '',
    status session_status NOT NULL DEFAULT 'in_progress',
    started_at timestamptz NOT NULL,
    ended_at timestamptz,
    timezone text NOT NULL DEFAULT 'UTC',
    notes text NOT NULL DEFAULT '',
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- A session can only come from one of its own user's workouts. On delete
    -- only workout_id is set to NULL (PostgreSQL 15+ column list).
    CONSTRAINT sessions_workout_fkey FOREIGN KEY (workout_id, user_id)
        REFERENCES workouts (id, user_id) ON DELETE SET NULL (workout_id),
    CONSTRAINT sessions_name_check CHECK (char_length(name) <= 100),
    CONSTRAINT sessions_timezone_check CHECK (char_length(timezone) BETWEEN 1 AND 64),
    CONSTRAINT sessions_notes_check CHECK (char_length(notes) <= 10000),
    CONSTRAINT sessions_ended_after_started_check CHECK (ended_at >= started_at),
    CONSTRAINT sessions_completed_has_end_check CHECK (status <> 'completed' OR ended_at IS NOT NULL),
    CONSTRAINT sessions_in_progress_has_no_end_check CHECK (status <> 'in_progress' OR ended_at IS NULL),
    CONSTRAINT sessions_version_check CHECK (version >= 1),
    -- The target of the composite foreign key from set_records, which keeps
    -- set_records.user_id equal to its session's user.
    CONSTRAINT sessions_id_user_id_key UNIQUE (id, user_id)
);

COMMENT ON TABLE sessions IS 'Performed training sessions. At most one in_progress session per user.';

-- At most one running session per user; starting a second one is a 409.
-- Also the access path of "my current session":
--   WHERE user_id = %(user_id)s AND status = 'in_progress'
CREATE UNIQUE INDEX sessions_one_in_progress_per_user ON sessions (user_id)
    WHERE status = 'in_progress';

-- Access paths:
--   a user's sessions, newest first, keyset on (started_at, id):
--     WHERE user_id = %(user_id)s AND (started_at, id) < (%(s)s, %(i)s)
--     ORDER BY started_at DESC, id DESC LIMIT n   -> sessions_user_id_started_at_id_idx
--     (also date ranges: AND started_at >= %(from)s AND started_at < %(to)s,
--     and the ON DELETE CASCADE from users)
--   one session:  WHERE id = %(id)s AND user_id = %(user_id)s -> sessions_pkey
--   the SET NULL when a workout is deleted:
--     WHERE workout_id = $1 AND user_id = $2       -> sessions_workout_id_idx
CREATE INDEX sessions_user_id_started_at_id_idx
    ON sessions (user_id, started_at DESC, id DESC);
CREATE INDEX sessions_workout_id_idx ON sessions (workout_id)
    WHERE workout_id IS NOT NULL;


-- The plan of a session: copied from workout_exercises when a session starts
-- from a workout, so later edits of the workout do not rewrite history. Same
-- shape and rules as workout_exercises.
CREATE TABLE session_exercises (
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    position smallint NOT NULL,
    -- An exercise a session plan uses cannot be deleted (NO ACTION: see
    -- set_records.exercise_id below).
    exercise_id uuid NOT NULL REFERENCES exercises (id) ON DELETE NO ACTION,
    target_sets smallint,
    target_reps smallint,
    target_weight_kg numeric,
    target_rest_s integer,
    notes text NOT NULL DEFAULT '',
    PRIMARY KEY (session_id, position),
    CONSTRAINT session_exercises_position_check CHECK (position >= 0),
    CONSTRAINT session_exercises_target_sets_check CHECK (target_sets BETWEEN 1 AND 100),
    CONSTRAINT session_exercises_target_reps_check CHECK (target_reps BETWEEN 0 AND 1000),
    CONSTRAINT session_exercises_target_weight_kg_check CHECK (target_weight_kg BETWEEN 0 AND 1000),
    CONSTRAINT session_exercises_target_rest_s_check CHECK (target_rest_s BETWEEN 0 AND 3600),
    CONSTRAINT session_exercises_notes_check CHECK (char_length(notes) <= 10000)
);

COMMENT ON TABLE session_exercises IS 'The plan of a session (copied from its workout when it started), with targets (weights in kg).';

-- Access paths:
--   a session with its plan in order:  WHERE session_id = $1 -> session_exercises_pkey
--   the check that refuses deleting an exercise a session plan uses:
--     WHERE exercise_id = $1                       -> session_exercises_exercise_id_idx
CREATE INDEX session_exercises_exercise_id_idx ON session_exercises (exercise_id);


-- One performed set. The biggest table by far (millions of rows): keep its
-- indexes few and exactly matched to the queries below.
CREATE TABLE set_records (
    id uuid PRIMARY KEY,
    session_id uuid NOT NULL,
    -- Denormalised from the session for the per-user indexes; the composite
    -- foreign key below keeps it equal to sessions.user_id.
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- NO ACTION (not RESTRICT, same rule): an exercise with recorded sets cannot be
    -- deleted. For a key that is not deferrable both refuse the delete; NO ACTION
    -- reports it as foreign_key_violation (23503) like every other foreign key
    -- error, RESTRICT as restrict_violation (23001).
    exercise_id uuid NOT NULL REFERENCES exercises (id) ON DELETE NO ACTION,
    -- 0-based order within the session.
    position integer NOT NULL,
    set_type set_type NOT NULL DEFAULT 'normal',
    reps integer,
    -- Always kilograms, exact (no fixed scale: 225 lb is stored as
    -- 102.05828325 kg and converts back to exactly 225 lb).
    weight_kg numeric,
    -- The unit the user entered the weight in, to show it back the same way.
    weight_unit weight_unit NOT NULL DEFAULT 'kg',
    duration_s integer,
    distance_m numeric,
    -- Rate of perceived exertion, 1 to 10 in half steps.
    rpe numeric(3, 1),
    performed_at timestamptz NOT NULL DEFAULT now(),
    notes text NOT NULL DEFAULT '',
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT set_records_session_fkey FOREIGN KEY (session_id, user_id)
        REFERENCES sessions (id, user_id) ON DELETE CASCADE,
    CONSTRAINT set_records_session_id_position_key UNIQUE (session_id, position),
    CONSTRAINT set_records_position_check CHECK (position >= 0),
    CONSTRAINT set_records_reps_check CHECK (reps BETWEEN 0 AND 1000),
    CONSTRAINT set_records_weight_kg_check CHECK (weight_kg BETWEEN 0 AND 1500),
    CONSTRAINT set_records_duration_s_check CHECK (duration_s BETWEEN 0 AND 86400),
    CONSTRAINT set_records_distance_m_check CHECK (distance_m BETWEEN 0 AND 1000000),
    CONSTRAINT set_records_rpe_check CHECK (rpe BETWEEN 1 AND 10 AND rpe * 2 = trunc(rpe * 2)),
    CONSTRAINT set_records_notes_check CHECK (char_length(notes) <= 10000),
    CONSTRAINT set_records_version_check CHECK (version >= 1)
);

COMMENT ON TABLE set_records IS 'Performed sets. Weights in kg (weight_unit is the unit the user entered). Cascades with their session and user.';

-- Access paths:
--   a session with its sets in order:
--     WHERE session_id = %(session_id)s ORDER BY position
--                                         -> set_records_session_id_position_key
--     (also the ON DELETE CASCADE from sessions)
--   per-exercise history of a user, newest first, keyset on (performed_at, id);
--   personal records and progress charts of one exercise:
--     WHERE user_id = %(user_id)s AND exercise_id = %(exercise_id)s
--       AND (performed_at, id) < (%(p)s, %(i)s)
--     ORDER BY performed_at DESC, id DESC LIMIT n
--                                         -> set_records_user_exercise_performed_at_idx
--     (id is in the index because sets logged in one transaction share
--     performed_at = now(); also serves the ON DELETE CASCADE from users)
--   the check that refuses deleting an exercise with recorded sets:
--     WHERE exercise_id = $1              -> set_records_exercise_id_idx
CREATE INDEX set_records_user_exercise_performed_at_idx
    ON set_records (user_id, exercise_id, performed_at DESC, id DESC);
CREATE INDEX set_records_exercise_id_idx ON set_records (exercise_id);

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE set_records, session_exercises, sessions;
