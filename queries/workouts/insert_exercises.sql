-- Add the given exercises, in order from position 0, to one of the caller's workouts (the
-- second half of replacing them). The caller has checked they may use every exercise and
-- that the groups are well formed. Members of a group (same group.key) are numbered 0, 1,
-- 2 ... inside it, by their group.position when given, then by their order in the list.
-- The rows are plan_rows(exercises), which numbers positions and group positions.
-- returns: none
INSERT INTO workout_exercises
    (user_id, workout_id, position, exercise_id, target_sets, target_reps, target_weight_kg,
     target_rest_s, notes, group_key, group_kind, group_position)
SELECT w.user_id, w.id, p.position, p.exercise_id, p.target_sets, p.target_reps,
       p.target_weight_kg, p.target_rest_s, p.notes, p.group_key, p.group_kind, p.group_position
FROM workouts w
CROSS JOIN plan_rows(%(exercises)s::jsonb) AS p
WHERE w.id = %(workout_id)s AND w.user_id = %(user_id)s;
