-- One page of the caller's workouts for the export, oldest first, keyset on
-- (created_at, id), each with its exercises as in GET /v1/workouts/{id}.
-- returns: many Workout
SELECT w.id, w.name, w.description, w.status,
       coalesce((
           SELECT json_agg(planned_exercise_document(we, e.name) ORDER BY we.position)
           FROM workout_exercises we
           JOIN exercises e ON e.id = we.exercise_id
           WHERE we.user_id = w.user_id AND we.workout_id = w.id
       ), '[]') AS exercises,
       w.version, w.created_at, w.updated_at
FROM workouts w
WHERE w.user_id = %(user_id)s
  AND (%(after_created_at)s::timestamptz IS NULL
       OR (w.created_at, w.id) > (%(after_created_at)s::timestamptz, %(after_id)s::uuid))
ORDER BY w.created_at, w.id
LIMIT %(limit)s;
