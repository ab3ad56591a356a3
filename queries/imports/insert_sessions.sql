-- A batch of imported sessions of the caller with their plans and sets, in one statement.
-- Each row carries the id the import derived from the file, so a session already imported
-- (ON CONFLICT) is left as it is, and its plan and sets are not inserted again: importing
-- the same file twice creates nothing the second time. The ids of the sessions created now
-- come back for imports/record.sql, which records their events and their sets'. Weights arrive in the unit the file
-- wrote and are stored in kg (weight_to_kg), like sets logged through the API.
-- returns: one ImportedCounts
WITH new_sessions AS (
    INSERT INTO sessions (id, user_id, workout_id, name, status, started_at, ended_at,
                          timezone, notes, next_set_position)
    SELECT x.id, %(user_id)s, w.id, x.name, x.status, x.started_at, x.ended_at, x.timezone,
           x.notes, x.next_set_position
    FROM jsonb_to_recordset(%(sessions)s::jsonb) AS x(
        id uuid, workout_id uuid, name text, status session_status, started_at timestamptz,
        ended_at timestamptz, timezone text, notes text, next_set_position integer)
    LEFT JOIN workouts w ON w.id = x.workout_id AND w.user_id = %(user_id)s
    ON CONFLICT (id) DO NOTHING
    RETURNING id
),
new_plans AS (
    INSERT INTO session_exercises (session_id, user_id, position, exercise_id, target_sets,
                                   target_reps, target_weight_kg, target_rest_s, notes,
                                   group_key, group_kind, group_position)
    SELECT p.session_id, %(user_id)s, p.position, p.exercise_id, p.target_sets,
           p.target_reps, p.target_weight_kg, p.target_rest_s, p.notes, p.group_key,
           p.group_kind, p.group_position
    FROM jsonb_to_recordset(%(plans)s::jsonb) AS p(
        session_id uuid, position integer, exercise_id uuid, target_sets smallint,
        target_reps smallint, target_weight_kg numeric, target_rest_s integer, notes text,
        group_key text, group_kind exercise_group_kind, group_position smallint)
    WHERE p.session_id IN (SELECT id FROM new_sessions)
    RETURNING session_id
),
new_sets AS (
    INSERT INTO set_records (id, session_id, user_id, exercise_id, position, set_type, reps,
                             weight_kg, weight_unit, duration_s, distance_m, rpe,
                             performed_at, notes)
    SELECT r.id, r.session_id, %(user_id)s, r.exercise_id, r.position, r.set_type, r.reps,
           weight_to_kg(r.weight, r.weight_unit), r.weight_unit, r.duration_s,
           r.distance_m, r.rpe, r.performed_at, r.notes
    FROM jsonb_to_recordset(%(sets)s::jsonb) AS r(
        id uuid, session_id uuid, exercise_id uuid, position integer, set_type set_type,
        reps integer, weight numeric, weight_unit weight_unit, duration_s integer,
        distance_m numeric, rpe numeric, performed_at timestamptz, notes text)
    WHERE r.session_id IN (SELECT id FROM new_sessions)
    ON CONFLICT (id) DO NOTHING
    RETURNING id
)
SELECT (SELECT count(*) FROM new_sessions)::integer AS sessions,
       (SELECT count(*) FROM new_sets)::integer AS sets,
       coalesce((SELECT array_agg(id) FROM new_sessions), '{}') AS session_ids;
