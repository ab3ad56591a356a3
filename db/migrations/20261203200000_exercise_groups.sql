-- migrate:up
-- squawk-ignore-file prefer-bigint-over-smallint -- a position inside one plan (at most 100 exercises), not a key
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- Supersets and circuits: exercises of a workout's plan, or of a session's, grouped and
-- ordered inside their group. A group is the plan rows that share group_key; group_kind says
-- how they are performed (every member names the same kind: the API checks it, as a rule
-- across rows); group_position is the 0-based order inside the group, numbered 0, 1, 2 ...
-- by the statements that write plans (queries/workouts/insert_exercises.sql,
-- queries/sessions/insert_plan.sql) and copied with the plan when a session starts
-- (queries/sessions/copy_plan.sql). A row outside any group has all three NULL.
--
-- Lock cost: the columns are nullable with no default, so adding them changes only the
-- catalog (a brief ACCESS EXCLUSIVE lock, no rewrite). The CHECKs are added NOT VALID (no
-- scan, every existing row is all-NULL and passes) and validated by the next migration,
-- which scans under a lock that lets reads and writes go on.

CREATE TYPE exercise_group_kind AS ENUM ('superset', 'circuit');

COMMENT ON TYPE exercise_group_kind IS 'How the exercises of one group of a plan are performed: back to back (superset) or in repeated rounds (circuit).';

ALTER TABLE workout_exercises
    ADD COLUMN group_key text,
    ADD COLUMN group_kind exercise_group_kind,
    ADD COLUMN group_position smallint;

ALTER TABLE session_exercises
    ADD COLUMN group_key text,
    ADD COLUMN group_kind exercise_group_kind,
    ADD COLUMN group_position smallint;

COMMENT ON COLUMN workout_exercises.group_key IS 'The superset or circuit this exercise belongs to (rows of one workout sharing it are one group); NULL: not grouped.';
COMMENT ON COLUMN workout_exercises.group_kind IS 'superset or circuit, the same for every member of the group.';
COMMENT ON COLUMN workout_exercises.group_position IS '0-based order inside the group.';
COMMENT ON COLUMN session_exercises.group_key IS 'The superset or circuit this exercise belongs to (rows of one session sharing it are one group); NULL: not grouped.';
COMMENT ON COLUMN session_exercises.group_kind IS 'superset or circuit, the same for every member of the group.';
COMMENT ON COLUMN session_exercises.group_position IS '0-based order inside the group.';

-- A row is in a group with all three set (key 1..40 characters, position 0..99), or in none.
ALTER TABLE workout_exercises ADD CONSTRAINT workout_exercises_group_check CHECK (
    (group_key IS NULL AND group_kind IS NULL AND group_position IS NULL)
    OR (char_length(group_key) BETWEEN 1 AND 40 AND group_kind IS NOT NULL
        AND group_position BETWEEN 0 AND 99)
) NOT VALID;
ALTER TABLE session_exercises ADD CONSTRAINT session_exercises_group_check CHECK (
    (group_key IS NULL AND group_kind IS NULL AND group_position IS NULL)
    OR (char_length(group_key) BETWEEN 1 AND 40 AND group_kind IS NOT NULL
        AND group_position BETWEEN 0 AND 99)
) NOT VALID;

-- The group as the API shows it (ExerciseGroup), nested in planned_exercise_document.
CREATE TYPE exercise_group_document AS (
    key text,
    kind exercise_group_kind,
    "position" smallint
);

COMMENT ON TYPE exercise_group_document IS 'The superset or circuit of a planned exercise as the API shows it (ExerciseGroup): the "group" field of planned_exercise_document.';

-- The last field of a planned exercise: its group, or NULL (JSON null) when it has none.
-- planned_exercise_document is a type of function results only (no column has it), so a
-- field can be added in place.
ALTER TYPE planned_exercise_document ADD ATTRIBUTE "group" exercise_group_document;

-- Same bodies as in 20261126400000_document_shapes, plus the group. Still single IMMUTABLE
-- expressions the planner inlines (a CASE and row constructors).
CREATE OR REPLACE FUNCTION planned_exercise_document(we workout_exercises, exercise_name text)
    RETURNS planned_exercise_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW(
        we.position, we.exercise_id, exercise_name, we.target_sets, we.target_reps,
        we.target_weight_kg, we.target_rest_s, we.notes,
        CASE WHEN we.group_key IS NOT NULL
             THEN ROW(we.group_key, we.group_kind, we.group_position)::exercise_group_document
        END
    )::planned_exercise_document;

CREATE OR REPLACE FUNCTION planned_exercise_document(se session_exercises, exercise_name text)
    RETURNS planned_exercise_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW(
        se.position, se.exercise_id, exercise_name, se.target_sets, se.target_reps,
        se.target_weight_kg, se.target_rest_s, se.notes,
        CASE WHEN se.group_key IS NOT NULL
             THEN ROW(se.group_key, se.group_kind, se.group_position)::exercise_group_document
        END
    )::planned_exercise_document;

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
CREATE OR REPLACE FUNCTION planned_exercise_document(we workout_exercises, exercise_name text)
    RETURNS planned_exercise_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW(
        we.position, we.exercise_id, exercise_name, we.target_sets, we.target_reps,
        we.target_weight_kg, we.target_rest_s, we.notes, NULL
    )::planned_exercise_document;
CREATE OR REPLACE FUNCTION planned_exercise_document(se session_exercises, exercise_name text)
    RETURNS planned_exercise_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW(
        se.position, se.exercise_id, exercise_name, se.target_sets, se.target_reps,
        se.target_weight_kg, se.target_rest_s, se.notes, NULL
    )::planned_exercise_document;
-- The functions still name the attribute's place (NULL above); dropping it rewrites their
-- result type, so they are made again with the original bodies after it.
-- squawk-ignore ban-drop-column -- the down path removes exactly what the up path created
ALTER TYPE planned_exercise_document DROP ATTRIBUTE "group";
CREATE OR REPLACE FUNCTION planned_exercise_document(we workout_exercises, exercise_name text)
    RETURNS planned_exercise_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW(
        we.position, we.exercise_id, exercise_name, we.target_sets, we.target_reps,
        we.target_weight_kg, we.target_rest_s, we.notes
    )::planned_exercise_document;
CREATE OR REPLACE FUNCTION planned_exercise_document(se session_exercises, exercise_name text)
    RETURNS planned_exercise_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW(
        se.position, se.exercise_id, exercise_name, se.target_sets, se.target_reps,
        se.target_weight_kg, se.target_rest_s, se.notes
    )::planned_exercise_document;
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE exercise_group_document;
-- squawk-ignore ban-drop-column -- the down path removes exactly what the up path created
ALTER TABLE session_exercises DROP COLUMN group_key, DROP COLUMN group_kind, DROP COLUMN group_position;
-- squawk-ignore ban-drop-column -- the down path removes exactly what the up path created
ALTER TABLE workout_exercises DROP COLUMN group_key, DROP COLUMN group_kind, DROP COLUMN group_position;
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE exercise_group_kind;
