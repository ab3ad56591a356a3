-- Lock one of the caller's workouts and bump its version before its exercise list is
-- replaced, if its version is one If-Match accepts (NULL: any). No row: not theirs, or stale.
-- returns: scalar
UPDATE workouts
SET version = version + 1, updated_at = now()
WHERE id = %(workout_id)s AND user_id = %(user_id)s
  AND (%(if_match)s::integer[] IS NULL OR version = ANY(%(if_match)s::integer[]))
RETURNING version;
