-- One page of the caller's workouts for the export, oldest first, keyset on
-- (created_at, id), each with its exercises as in GET /v1/workouts/{id}.
-- returns: many Workout
SELECT w.id, w.name, w.description, w.status,
       plan.exercises, w.version, w.created_at, w.updated_at
FROM workouts w
CROSS JOIN LATERAL workout_plan_document(w.user_id, w.id) AS plan
WHERE w.user_id = %(user_id)s
  AND (%(after_created_at)s::timestamptz IS NULL
       OR (w.created_at, w.id) > (%(after_created_at)s::timestamptz, %(after_id)s::uuid))
ORDER BY w.created_at, w.id
LIMIT %(limit)s;
