-- Delete one of the caller's workouts (its exercise list goes with it; sessions started
-- from it stay, with workout_id set to NULL), if its version is one If-Match accepts.
-- returns: scalar
DELETE FROM workouts
WHERE id = %(workout_id)s AND user_id = %(user_id)s
  AND (%(if_match)s::integer[] IS NULL OR version = ANY(%(if_match)s::integer[]))
RETURNING name;
