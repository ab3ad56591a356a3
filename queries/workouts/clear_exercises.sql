-- Remove every exercise of one of the caller's workouts (the first half of replacing them).
-- returns: none
DELETE FROM workout_exercises
WHERE workout_id = %(workout_id)s AND user_id = %(user_id)s;
