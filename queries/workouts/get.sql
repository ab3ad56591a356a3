-- One workout of the caller with its exercises and targets in order, as one document.
-- returns: one Workout
SELECT w.id, w.name, w.description, w.status,
       coalesce((
           SELECT json_agg(json_build_object(
                      'position', we.position,
                      'exercise_id', we.exercise_id,
                      'exercise_name', e.name,
                      'target_sets', we.target_sets,
                      'target_reps', we.target_reps,
                      'target_weight_kg', we.target_weight_kg,
                      'target_rest_s', we.target_rest_s,
                      'notes', we.notes)
                  ORDER BY we.position)
           FROM workout_exercises we
           JOIN exercises e ON e.id = we.exercise_id
           WHERE we.workout_id = w.id
       ), '[]') AS exercises,
       w.version, w.created_at, w.updated_at
FROM workouts w
WHERE w.id = %(workout_id)s AND w.user_id = %(user_id)s;
