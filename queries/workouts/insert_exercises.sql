-- Add the given exercises, in order from position 0, to one of the caller's workouts (the
-- second half of replacing them). The caller has checked they may use every exercise.
-- returns: none
INSERT INTO workout_exercises
    (user_id, workout_id, position, exercise_id, target_sets, target_reps, target_weight_kg,
     target_rest_s, notes)
SELECT w.user_id, w.id, item.ord - 1, x.exercise_id, x.target_sets, x.target_reps, x.target_weight_kg,
       x.target_rest_s, coalesce(x.notes, '')
FROM workouts w
CROSS JOIN jsonb_array_elements(%(exercises)s::jsonb) WITH ORDINALITY AS item(doc, ord)
CROSS JOIN LATERAL jsonb_to_record(item.doc) AS x(
    exercise_id uuid, target_sets smallint, target_reps smallint, target_weight_kg numeric,
    target_rest_s integer, notes text)
WHERE w.id = %(workout_id)s AND w.user_id = %(user_id)s;
