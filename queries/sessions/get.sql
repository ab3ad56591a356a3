-- One session of the caller as one document: its plan (copied from the workout it started
-- from) and its sets in order, weights in the unit each was entered in.
-- Plan and sets are lists of planned_exercise_document and set_record_document.
-- returns: one Session
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
WHERE s.id = %(session_id)s AND s.user_id = %(user_id)s;
