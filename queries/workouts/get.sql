-- One workout of the caller with its exercises and targets in order, as one document.
-- The exercises are workout_plan_document's list of planned_exercise_document.
-- returns: one Workout
SELECT w.id, w.name, w.description, w.status,
       plan.exercises, w.version, w.created_at, w.updated_at
FROM workouts w
CROSS JOIN LATERAL workout_plan_document(w.user_id, w.id) AS plan
WHERE w.id = %(workout_id)s AND w.user_id = %(user_id)s;
