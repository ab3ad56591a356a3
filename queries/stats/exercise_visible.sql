-- Whether the caller can see the exercise: a system exercise or one of their own (true),
-- or no row at all (not found, or another user's).
-- returns: scalar
SELECT true AS visible
FROM exercises e
WHERE e.id = %(exercise_id)s AND (e.user_id IS NULL OR e.user_id = %(user_id)s);
