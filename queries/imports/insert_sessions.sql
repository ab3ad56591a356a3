-- A batch of imported sessions of the caller with their plans and sets, in one statement.
-- Each row carries the id the import derived from the file, so a session already imported
-- (ON CONFLICT) is left as it is, and its plan and sets are not inserted again: importing
-- the same file twice creates nothing the second time. Weights arrive in the unit the file
-- wrote and are stored in kg (weight_to_kg), like sets logged through the API.
--
-- Change events, for each session created, in start order: session.created (the document
-- of session_event_document, without sets), then set.created for each of its sets in
-- position order (set_record_document), at the positions after the user's last one
-- (record_change_events locks the user's counter until the import commits: see
-- queries/sync/record.sql). The documents are built from the rows this statement inserts,
-- as session_event_document builds them from the tables: a later statement would see the
-- rows, but the planner, with the statistics of before the import, then reads the tables
-- row by row (quadratic in the size of the file).
-- returns: one ImportedCounts
WITH new_sessions AS (
    INSERT INTO sessions AS s (id, user_id, workout_id, name, status, started_at, ended_at,
                               timezone, notes, next_set_position)
    SELECT x.id, %(user_id)s, w.id, x.name, x.status, x.started_at, x.ended_at, x.timezone,
           x.notes, x.next_set_position
    FROM jsonb_to_recordset(%(sessions)s::jsonb) AS x(
        id uuid, workout_id uuid, name text, status session_status, started_at timestamptz,
        ended_at timestamptz, timezone text, notes text, next_set_position integer)
    LEFT JOIN workouts w ON w.id = x.workout_id AND w.user_id = %(user_id)s
    ON CONFLICT (id) DO NOTHING
    RETURNING s.id, s.workout_id, s.name, s.status, s.started_at, s.ended_at, s.timezone,
              s.notes, s.version, s.created_at, s.updated_at
),
new_plans AS (
    INSERT INTO session_exercises AS se (session_id, user_id, position, exercise_id,
                                         target_sets, target_reps, target_weight_kg,
                                         target_rest_s, notes, group_key, group_kind,
                                         group_position)
    SELECT p.session_id, %(user_id)s, p.position, p.exercise_id, p.target_sets,
           p.target_reps, p.target_weight_kg, p.target_rest_s, p.notes, p.group_key,
           p.group_kind, p.group_position
    FROM jsonb_to_recordset(%(plans)s::jsonb) AS p(
        session_id uuid, position integer, exercise_id uuid, target_sets smallint,
        target_reps smallint, target_weight_kg numeric, target_rest_s integer, notes text,
        group_key text, group_kind exercise_group_kind, group_position smallint)
    WHERE p.session_id IN (SELECT id FROM new_sessions)
    RETURNING se.session_id, se.position, se.exercise_id, se AS stored
),
new_sets AS (
    INSERT INTO set_records AS r (id, session_id, user_id, exercise_id, position, set_type,
                                  reps, weight_kg, weight_unit, duration_s, distance_m, rpe,
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
    RETURNING r.id, r.session_id, r.exercise_id, r.position, r.version, r AS stored
),
-- the personal bests the imported sets set, as queries/sets/log.sql keeps them
bests AS (
    INSERT INTO personal_bests AS pb (user_id, exercise_id, kind, value, set_id, performed_at)
    SELECT DISTINCT ON (t.exercise_id, b.kind) %(user_id)s, t.exercise_id, b.kind, b.value,
           t.id, (t.stored).performed_at
    FROM new_sets t
    CROSS JOIN LATERAL set_record_bests((t.stored).set_type, (t.stored).reps,
                                        (t.stored).weight_kg) AS b
    ORDER BY t.exercise_id, b.kind, b.value DESC, (t.stored).performed_at, t.id
    ON CONFLICT (user_id, exercise_id, kind) DO UPDATE
    SET value = excluded.value, set_id = excluded.set_id, performed_at = excluded.performed_at
    WHERE excluded.value > pb.value
       OR (excluded.value = pb.value
           AND (excluded.performed_at, excluded.set_id) < (pb.performed_at, pb.set_id))
),
plan_documents AS (
    SELECT p.session_id,
           jsonb_agg(to_jsonb(planned_exercise_document(p.stored, e.name))
                     ORDER BY p.position) AS exercises
    FROM new_plans p
    JOIN exercises e ON e.id = p.exercise_id
    GROUP BY p.session_id
),
events AS (
    SELECT n.started_at AS at, n.id AS session_id, 0 AS sub, ROW(
               'session.created', n.id, n.version,
               jsonb_build_object(
                   'id', n.id, 'workout_id', n.workout_id, 'name', n.name,
                   'status', n.status, 'started_at', n.started_at, 'ended_at', n.ended_at,
                   'timezone', n.timezone, 'notes', n.notes,
                   'exercises', coalesce(d.exercises, '[]'), 'version', n.version,
                   'created_at', n.created_at, 'updated_at', n.updated_at)
           )::change_event_input AS event
    FROM new_sessions n
    LEFT JOIN plan_documents d ON d.session_id = n.id
    UNION ALL
    SELECT n.started_at, n.id, t.position + 1, ROW(
               'set.created', t.id, t.version, to_jsonb(set_record_document(t.stored, e.name))
           )::change_event_input
    FROM new_sets t
    JOIN new_sessions n ON n.id = t.session_id
    JOIN exercises e ON e.id = t.exercise_id
),
recorded AS (
    SELECT record_change_events(
               %(user_id)s, array_agg(x.event ORDER BY x.at, x.session_id, x.sub), %(request_id)s
           ) AS events
    FROM events x
)
SELECT (SELECT count(*) FROM new_sessions)::integer AS sessions,
       (SELECT count(*) FROM new_sets)::integer AS sets
FROM recorded;
