-- One page of the caller's sessions for the export, oldest first, keyset on
-- (started_at, id), each the document GET /v1/sessions/{id} answers (plan and sets).
-- Uses sessions_user_id_started_at_id_idx.
-- returns: many Session
SELECT s.id, s.workout_id, s.name, s.status, s.started_at, s.ended_at, s.timezone, s.notes,
       lists.exercises, lists.sets, s.version, s.created_at, s.updated_at
FROM sessions s
CROSS JOIN LATERAL session_lists_document(s.user_id, s.id) AS lists
WHERE s.user_id = %(user_id)s
  AND (%(after_started_at)s::timestamptz IS NULL
       OR (s.started_at, s.id) > (%(after_started_at)s::timestamptz, %(after_id)s::uuid))
ORDER BY s.started_at, s.id
LIMIT %(limit)s;
