-- A batch of imported sessions of the caller with their plans and sets, in one statement.
-- Each row carries the id the import derived from the file, so a session already imported
-- (ON CONFLICT) is left as it is, and its plan and sets are not inserted again: importing
-- the same file twice creates nothing the second time. Weights arrive in the unit the file
-- wrote and are stored in kg (weight_to_kg), like sets logged through the API.
--
-- Change events, for each session created, in start order: session.created (the document
-- of session_event_document, without sets), then set.created for each of its sets in
-- position order (set_record_document), at the positions after the user's last one (the
-- upsert of sync_counters locks the user's counter until the import commits: see
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
plan_documents AS (
    SELECT p.session_id,
           jsonb_agg(to_jsonb(planned_exercise_document(p.stored, e.name))
                     ORDER BY p.position) AS exercises
    FROM new_plans p
    JOIN exercises e ON e.id = p.exercise_id
    GROUP BY p.session_id
),
events AS MATERIALIZED (
    SELECT row_number() OVER (ORDER BY x.at, x.session_id, x.sub) AS ord,
           x.event_type, x.entity_type, x.entity_id, x.version, x.document
    FROM (
        SELECT n.started_at AS at, n.id AS session_id, 0 AS sub,
               'session.created'::change_event_type AS event_type,
               'session'::change_entity_type AS entity_type, n.id AS entity_id, n.version,
               jsonb_build_object(
                   'id', n.id, 'workout_id', n.workout_id, 'name', n.name,
                   'status', n.status, 'started_at', n.started_at, 'ended_at', n.ended_at,
                   'timezone', n.timezone, 'notes', n.notes,
                   'exercises', coalesce(d.exercises, '[]'), 'version', n.version,
                   'created_at', n.created_at, 'updated_at', n.updated_at) AS document
        FROM new_sessions n
        LEFT JOIN plan_documents d ON d.session_id = n.id
        UNION ALL
        SELECT n.started_at, n.id, t.position + 1, 'set.created', 'set', t.id, t.version,
               to_jsonb(set_record_document(t.stored, e.name))
        FROM new_sets t
        JOIN new_sessions n ON n.id = t.session_id
        JOIN exercises e ON e.id = t.exercise_id
    ) AS x
),
counter AS (
    INSERT INTO sync_counters AS c (user_id, last_position)
    SELECT %(user_id)s, count(*) FROM events HAVING count(*) > 0
    ON CONFLICT (user_id) DO UPDATE SET last_position = c.last_position + excluded.last_position
    RETURNING c.last_position
),
recorded AS (
    INSERT INTO change_events
        (user_id, "position", event_type, entity_type, entity_id, version, document, request_id)
    SELECT %(user_id)s, c.last_position - (SELECT count(*) FROM events) + ev.ord,
           ev.event_type, ev.entity_type, ev.entity_id, ev.version, ev.document, %(request_id)s
    FROM events ev
    CROSS JOIN counter c
)
SELECT (SELECT count(*) FROM new_sessions)::integer AS sessions,
       (SELECT count(*) FROM new_sets)::integer AS sets;
