-- Lock one of the caller's sessions and bump its version before one of its sets is changed
-- or deleted (the session document includes its sets). Sets of an abandoned session are
-- frozen. No row: not theirs, or abandoned.
-- returns: scalar
UPDATE sessions
SET version = version + 1, updated_at = now()
WHERE id = %(session_id)s AND user_id = %(user_id)s AND status <> 'abandoned'
RETURNING version;
