-- Lock one of the caller's sessions and bump its version before its plan is replaced, if
-- its version is one If-Match accepts (NULL: any) and it is not abandoned (an abandoned
-- session is frozen). No row: not theirs, stale, or abandoned.
-- returns: scalar
UPDATE sessions
SET version = version + 1, updated_at = now()
WHERE id = %(session_id)s AND user_id = %(user_id)s AND status <> 'abandoned'
  AND (%(if_match)s::integer[] IS NULL OR version = ANY(%(if_match)s::integer[]))
RETURNING version;
