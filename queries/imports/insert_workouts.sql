-- The workouts of an imported Kinetria export, with their exercises, each with the id the
-- import derived from the exported one: a workout already imported is left as it is (and
-- its exercises are not inserted again). Each one created writes its workout.created
-- event, the document GET /v1/workouts/{id} shows, built here from the rows this
-- statement inserts (a later statement would see them too, but the planner, with the
-- statistics of before the import, then reads the tables row by row), at the positions
-- after the user's last one (record_change_events, see queries/sync/record.sql). The ids
-- are of the workouts created now.
-- returns: scalar
WITH new_workouts AS (
    INSERT INTO workouts AS w (id, user_id, name, description, status)
    SELECT x.id, %(user_id)s, x.name, x.description, x.status
    FROM jsonb_to_recordset(%(workouts)s::jsonb) AS x(
        id uuid, name text, description text, status workout_status)
    ON CONFLICT (id) DO NOTHING
    RETURNING w.id, w.name, w.description, w.status, w.version, w.created_at, w.updated_at
),
new_plans AS (
    INSERT INTO workout_exercises AS we (workout_id, user_id, position, exercise_id,
                                         target_sets, target_reps, target_weight_kg,
                                         target_rest_s, notes, group_key, group_kind,
                                         group_position)
    SELECT p.workout_id, %(user_id)s, p.position, p.exercise_id, p.target_sets,
           p.target_reps, p.target_weight_kg, p.target_rest_s, p.notes, p.group_key,
           p.group_kind, p.group_position
    FROM jsonb_to_recordset(%(plans)s::jsonb) AS p(
        workout_id uuid, position integer, exercise_id uuid, target_sets smallint,
        target_reps smallint, target_weight_kg numeric, target_rest_s integer, notes text,
        group_key text, group_kind exercise_group_kind, group_position smallint)
    WHERE p.workout_id IN (SELECT id FROM new_workouts)
    RETURNING we.workout_id, we.position, we.exercise_id, we AS stored
),
plan_documents AS (
    SELECT p.workout_id,
           jsonb_agg(to_jsonb(planned_exercise_document(p.stored, e.name))
                     ORDER BY p.position) AS exercises
    FROM new_plans p
    JOIN exercises e ON e.id = p.exercise_id
    GROUP BY p.workout_id
),
recorded AS (
    SELECT record_change_events(%(user_id)s, array_agg(ROW(
               'workout.created', n.id, n.version,
               jsonb_build_object(
                   'id', n.id, 'name', n.name, 'description', n.description,
                   'status', n.status, 'exercises', coalesce(d.exercises, '[]'),
                   'version', n.version, 'created_at', n.created_at,
                   'updated_at', n.updated_at)
           )::change_event_input ORDER BY n.id), %(request_id)s) AS events
    FROM new_workouts n
    LEFT JOIN plan_documents d ON d.workout_id = n.id
)
SELECT (SELECT coalesce(array_agg(id), '{}') FROM new_workouts) FROM recorded;
