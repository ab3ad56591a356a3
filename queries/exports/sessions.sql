-- One page of the caller's sessions for the export, oldest first, keyset on
-- (started_at, id), each the document GET /v1/sessions/{id} answers (plan and sets).
-- Uses sessions_user_id_started_at_id_idx.
-- returns: many Session
SELECT s.id, s.workout_id, s.name, s.status, s.started_at, s.ended_at, s.timezone, s.notes,
       coalesce((
           SELECT json_agg(planned_exercise_document(se, e.name) ORDER BY se.position)
           FROM session_exercises se
           JOIN exercises e ON e.id = se.exercise_id
           WHERE se.user_id = s.user_id AND se.session_id = s.id
       ), '[]') AS exercises,
       coalesce((
           SELECT json_agg(set_record_document(r, e.name) ORDER BY r.position)
           FROM set_records r
           JOIN exercises e ON e.id = r.exercise_id
           WHERE r.user_id = s.user_id AND r.session_id = s.id
       ), '[]') AS sets,
       s.version, s.created_at, s.updated_at
FROM sessions s
WHERE s.user_id = %(user_id)s
  AND (%(after_started_at)s::timestamptz IS NULL
       OR (s.started_at, s.id) > (%(after_started_at)s::timestamptz, %(after_id)s::uuid))
ORDER BY s.started_at, s.id
LIMIT %(limit)s;
