-- Load the workouts (plans) of the seeded users from the generator's COPY text lines, which
-- hold these columns in this order.
-- returns: none
COPY workouts (id, user_id, name, description, status, version, created_at, updated_at)
FROM STDIN;
