-- One workout of the caller with its exercises and targets in order, as one document.
-- The exercises are a list of planned_exercise_document.
-- returns: one Workout
SELECT w.id, w.name, w.description, w.status,
       coalesce((
           SELECT json_agg(planned_exercise_document(we, e.name) ORDER BY we.position)
           FROM workout_exercises we
           JOIN exercises e ON e.id = we.exercise_id
           WHERE we.user_id = w.user_id AND we.workout_id = w.id
       ), '[]') AS exercises,
       w.version, w.created_at, w.updated_at
FROM workouts w
WHERE w.id = %(workout_id)s AND w.user_id = %(user_id)s;
