-- Delete one set of one of the caller's sessions, if its version is one If-Match accepts
-- (NULL: any). Positions of the other sets stay as they are.
-- returns: scalar
DELETE FROM set_records
WHERE id = %(set_id)s AND session_id = %(session_id)s AND user_id = %(user_id)s
  AND (%(if_match)s::integer[] IS NULL OR version = ANY(%(if_match)s::integer[]))
RETURNING exercise_id;
