-- Load the seeded sessions from the generator's COPY text lines, which hold these columns
-- in this order.
-- returns: none
COPY sessions (id, user_id, workout_id, name, status, started_at, ended_at, timezone, notes,
               version, created_at, updated_at, next_set_position)
FROM STDIN;
