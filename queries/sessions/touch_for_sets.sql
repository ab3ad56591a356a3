-- Lock one of the caller's sessions and bump its version before one of its sets is changed
-- or deleted (the session document includes its sets). Sets of an abandoned session are
-- frozen. Answers the session as change events carry it (session_event_document, with its
-- new version), for the session.updated event of the change. No row: not theirs, or
-- abandoned.
-- returns: scalar
UPDATE sessions AS s
SET version = s.version + 1, updated_at = now()
WHERE s.id = %(session_id)s AND s.user_id = %(user_id)s AND s.status <> 'abandoned'
RETURNING session_event_document(s);
