-- Delete one of the caller's sessions with its plan and sets, if its version is one
-- If-Match accepts (NULL: any).
-- returns: scalar
DELETE FROM sessions
WHERE id = %(session_id)s AND user_id = %(user_id)s
  AND (%(if_match)s::integer[] IS NULL OR version = ANY(%(if_match)s::integer[]))
RETURNING status;
