-- Set the plan of one of the caller's sessions to the given exercises, in order from
-- position 0 (the second half of replacing it). The caller has checked they may use every
-- exercise and that the groups are well formed. Members of a group (same group.key) are
-- numbered 0, 1, 2 ... inside it, by their group.position when given, then by their order
-- in the list (as for a workout: queries/workouts/insert_exercises.sql).
-- returns: none
INSERT INTO session_exercises
    (user_id, session_id, position, exercise_id, target_sets, target_reps, target_weight_kg,
     target_rest_s, notes, group_key, group_kind, group_position)
SELECT s.user_id, s.id, item.ord - 1, x.exercise_id, x.target_sets, x.target_reps,
       x.target_weight_kg, x.target_rest_s, coalesce(x.notes, ''),
       g.key, g.kind,
       CASE WHEN g.key IS NOT NULL
            THEN row_number() OVER (PARTITION BY g.key
                                    ORDER BY g.position NULLS LAST, item.ord) - 1
       END
FROM sessions s
CROSS JOIN jsonb_array_elements(%(exercises)s::jsonb) WITH ORDINALITY AS item(doc, ord)
CROSS JOIN LATERAL jsonb_to_record(item.doc) AS x(
    exercise_id uuid, target_sets smallint, target_reps smallint, target_weight_kg numeric,
    target_rest_s integer, notes text, "group" jsonb)
CROSS JOIN LATERAL jsonb_to_record(coalesce(x."group", '{}')) AS g(
    key text, kind exercise_group_kind, position smallint)
WHERE s.id = %(session_id)s AND s.user_id = %(user_id)s;
