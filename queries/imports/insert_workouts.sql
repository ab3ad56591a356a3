-- The workouts of an imported Kinetria export, with their exercises, each with the id the
-- import derived from the exported one: a workout already imported is left as it is (and
-- its exercises are not inserted again). The ids are of the workouts created now
-- (imports/record.sql records their events).
-- returns: scalar
WITH new_workouts AS (
    INSERT INTO workouts (id, user_id, name, description, status)
    SELECT x.id, %(user_id)s, x.name, x.description, x.status
    FROM jsonb_to_recordset(%(workouts)s::jsonb) AS x(
        id uuid, name text, description text, status workout_status)
    ON CONFLICT (id) DO NOTHING
    RETURNING id
),
new_plans AS (
    INSERT INTO workout_exercises (workout_id, user_id, position, exercise_id, target_sets,
                                   target_reps, target_weight_kg, target_rest_s, notes,
                                   group_key, group_kind, group_position)
    SELECT p.workout_id, %(user_id)s, p.position, p.exercise_id, p.target_sets,
           p.target_reps, p.target_weight_kg, p.target_rest_s, p.notes, p.group_key,
           p.group_kind, p.group_position
    FROM jsonb_to_recordset(%(plans)s::jsonb) AS p(
        workout_id uuid, position integer, exercise_id uuid, target_sets smallint,
        target_reps smallint, target_weight_kg numeric, target_rest_s integer, notes text,
        group_key text, group_kind exercise_group_kind, group_position smallint)
    WHERE p.workout_id IN (SELECT id FROM new_workouts)
    RETURNING workout_id
)
SELECT coalesce(array_agg(id), '{}') FROM new_workouts;
