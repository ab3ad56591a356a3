-- Load the custom exercises of the seeded users from the generator's COPY text lines, which
-- hold these columns in this order.
-- returns: none
COPY exercises (id, user_id, name, category, primary_muscle, secondary_muscles, description,
                version, created_at, updated_at)
FROM STDIN;
