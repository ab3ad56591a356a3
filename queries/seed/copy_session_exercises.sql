-- Load the plans the seeded sessions copied from their workouts, from the generator's COPY
-- text lines, which hold these columns in this order. FREEZE: the table was truncated in
-- the same transaction (truncate_rebuilt.sql), so the rows are written frozen and
-- all-visible.
-- returns: none
COPY session_exercises (user_id, session_id, position, exercise_id, target_sets, target_reps,
                        target_weight_kg, target_rest_s)
FROM STDIN WITH (FREEZE);
