-- Load the seeded sets from the generator's COPY text lines, which hold these columns in
-- this order. FREEZE: the table was truncated in the same transaction
-- (truncate_rebuilt.sql), so the rows are written frozen and all-visible.
-- returns: none
COPY set_records (id, session_id, user_id, exercise_id, position, set_type, reps, weight_kg,
                  weight_unit, duration_s, distance_m, rpe, performed_at, version, created_at,
                  updated_at)
FROM STDIN WITH (FREEZE);
