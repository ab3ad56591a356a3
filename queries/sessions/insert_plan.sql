-- Set the plan of one of the caller's sessions to the given exercises, in order from
-- position 0 (the second half of replacing it). The caller has checked they may use every
-- exercise and that the groups are well formed. Members of a group (same group.key) are
-- numbered 0, 1, 2 ... inside it, by their group.position when given, then by their order
-- in the list (as for a workout: queries/workouts/insert_exercises.sql).
-- The rows are plan_rows(exercises), which numbers positions and group positions.
-- returns: none
INSERT INTO session_exercises
    (user_id, session_id, position, exercise_id, target_sets, target_reps, target_weight_kg,
     target_rest_s, notes, group_key, group_kind, group_position)
SELECT s.user_id, s.id, p.position, p.exercise_id, p.target_sets, p.target_reps,
       p.target_weight_kg, p.target_rest_s, p.notes, p.group_key, p.group_kind, p.group_position
FROM sessions s
CROSS JOIN plan_rows(%(exercises)s::jsonb) AS p
WHERE s.id = %(session_id)s AND s.user_id = %(user_id)s;
