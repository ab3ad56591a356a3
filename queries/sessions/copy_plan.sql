-- Copy the exercises and targets of the workout a new session of the caller started from
-- into the session's own plan, supersets and circuits included, so later edits of the
-- workout leave the session as it was.
-- returns: none
INSERT INTO session_exercises
    (user_id, session_id, position, exercise_id, target_sets, target_reps, target_weight_kg,
     target_rest_s, notes, group_key, group_kind, group_position)
SELECT s.user_id, s.id, we.position, we.exercise_id, we.target_sets, we.target_reps,
       we.target_weight_kg, we.target_rest_s, we.notes, we.group_key, we.group_kind,
       we.group_position
FROM sessions s
JOIN workout_exercises we ON we.user_id = s.user_id AND we.workout_id = s.workout_id
WHERE s.id = %(session_id)s AND s.user_id = %(user_id)s;
