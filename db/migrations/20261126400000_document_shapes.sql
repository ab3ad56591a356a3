-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- The document shapes that more than one query returns, each defined once. A composite
-- type lists the fields, named and ordered as the API shows them (the msgspec Struct of
-- the same name in snake case, plus _document), and a function of the same name builds one
-- from a table row. A query nests a list of them as json_agg(f(row) ORDER BY ...), whose
-- objects have the type's field names as keys, or selects (f(row)).* for the fields as
-- columns.
--
-- Each function is a single expression in LANGUAGE sql, neither STRICT nor SECURITY
-- DEFINER, and no more volatile than what it calls, so the planner inlines it: a query that
-- uses it runs as if the expression were written out in it (tests/test_queries.py checks
-- every plan), and (f(row)).* computes each field once. A value the function cannot take
-- from the row (the exercise name, from another table) is an argument, which keeps the body
-- free of subqueries. (f(row)).* inlines f once per column while planning (about 0.3 ms for
-- a set): it suits statements whose plan PostgreSQL caches, such as lookups by primary key,
-- not one that is planned again at each call, as a list with optional filters often is.

-- A logged set (SetRecord), its weight in the unit it was entered in.
CREATE TYPE set_record_document AS (
    id uuid,
    session_id uuid,
    exercise_id uuid,
    exercise_name text,
    "position" integer,
    set_type set_type,
    reps integer,
    weight numeric,
    weight_unit weight_unit,
    duration_s integer,
    distance_m numeric,
    rpe numeric(3, 1),
    performed_at timestamptz,
    notes text,
    version integer,
    created_at timestamptz,
    updated_at timestamptz
);

COMMENT ON TYPE set_record_document IS 'A logged set as the API shows it (SetRecord); built by set_record_document(set_records, text).';

CREATE FUNCTION set_record_document(r set_records, exercise_name text)
    RETURNS set_record_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW(
        r.id, r.session_id, r.exercise_id, exercise_name, r.position, r.set_type, r.reps,
        weight_from_kg(r.weight_kg, r.weight_unit), r.weight_unit, r.duration_s, r.distance_m,
        r.rpe, r.performed_at, r.notes, r.version, r.created_at, r.updated_at
    )::set_record_document;

COMMENT ON FUNCTION set_record_document(set_records, text) IS 'A set as the API shows it, given the name of its exercise: the weight back in the unit it was entered in.';

-- One exercise of a plan (PlannedExercise): a workout's, or the copy a session keeps of
-- the workout it started from. The two tables have the same columns.
CREATE TYPE planned_exercise_document AS (
    "position" smallint,
    exercise_id uuid,
    exercise_name text,
    target_sets smallint,
    target_reps smallint,
    target_weight_kg numeric,
    target_rest_s integer,
    notes text
);

COMMENT ON TYPE planned_exercise_document IS 'One exercise of a workout''s or a session''s plan as the API shows it (PlannedExercise); built by planned_exercise_document(workout_exercises | session_exercises, text).';

CREATE FUNCTION planned_exercise_document(we workout_exercises, exercise_name text)
    RETURNS planned_exercise_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW(
        we.position, we.exercise_id, exercise_name, we.target_sets, we.target_reps,
        we.target_weight_kg, we.target_rest_s, we.notes
    )::planned_exercise_document;

COMMENT ON FUNCTION planned_exercise_document(workout_exercises, text) IS 'An exercise of a workout as the API shows it, given the exercise''s name.';

CREATE FUNCTION planned_exercise_document(se session_exercises, exercise_name text)
    RETURNS planned_exercise_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW(
        se.position, se.exercise_id, exercise_name, se.target_sets, se.target_reps,
        se.target_weight_kg, se.target_rest_s, se.notes
    )::planned_exercise_document;

COMMENT ON FUNCTION planned_exercise_document(session_exercises, text) IS 'An exercise of a session''s plan as the API shows it, given the exercise''s name.';

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION planned_exercise_document(session_exercises, text);
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION planned_exercise_document(workout_exercises, text);
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE planned_exercise_document;
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION set_record_document(set_records, text);
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE set_record_document;
