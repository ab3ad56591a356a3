-- Remove every exercise of one of the caller's workouts (the first half of replacing them).
-- returns: none
DELETE FROM workout_exercises we
USING workouts w
WHERE we.workout_id = w.id AND w.id = %(workout_id)s AND w.user_id = %(user_id)s;
