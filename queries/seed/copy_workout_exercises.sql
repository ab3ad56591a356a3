-- Load the exercises and targets of the seeded workouts from the generator's COPY text
-- lines, which hold these columns in this order.
-- returns: none
COPY workout_exercises (user_id, workout_id, position, exercise_id, target_sets, target_reps,
                        target_weight_kg, target_rest_s)
FROM STDIN;
