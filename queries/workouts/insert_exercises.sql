-- Add the given exercises, in order from position 0, to one of the caller's workouts (the
-- second half of replacing them). The caller has checked they may use every exercise and
-- that the groups are well formed. Members of a group (same group.key) are numbered 0, 1,
-- 2 ... inside it, by their group.position when given, then by their order in the list.
-- returns: none
INSERT INTO workout_exercises
    (user_id, workout_id, position, exercise_id, target_sets, target_reps, target_weight_kg,
     target_rest_s, notes, group_key, group_kind, group_position)
SELECT w.user_id, w.id, item.ord - 1, x.exercise_id, x.target_sets, x.target_reps,
       x.target_weight_kg, x.target_rest_s, coalesce(x.notes, ''),
       g.key, g.kind,
       CASE WHEN g.key IS NOT NULL
            THEN row_number() OVER (PARTITION BY g.key
                                    ORDER BY g.position NULLS LAST, item.ord) - 1
       END
FROM workouts w
CROSS JOIN jsonb_array_elements(%(exercises)s::jsonb) WITH ORDINALITY AS item(doc, ord)
CROSS JOIN LATERAL jsonb_to_record(item.doc) AS x(
    exercise_id uuid, target_sets smallint, target_reps smallint, target_weight_kg numeric,
    target_rest_s integer, notes text, "group" jsonb)
CROSS JOIN LATERAL jsonb_to_record(coalesce(x."group", '{}')) AS g(
    key text, kind exercise_group_kind, position smallint)
WHERE w.id = %(workout_id)s AND w.user_id = %(user_id)s;
