-- Delete one of the caller's custom exercises, if its version is one If-Match accepts
-- (NULL: any). Fails with a foreign key violation while a plan or a set uses it.
-- returns: scalar
DELETE FROM exercises
WHERE id = %(exercise_id)s AND user_id = %(user_id)s
  AND (%(if_match)s::integer[] IS NULL OR version = ANY(%(if_match)s::integer[]))
RETURNING name;
