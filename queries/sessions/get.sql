-- One session of the caller as one document: its plan (copied from the workout it started
-- from) and its sets in order, weights in the unit each was entered in.
-- Plan and sets are session_lists_document's lists of planned_exercise_document and
-- set_record_document.
-- returns: one Session
SELECT s.id, s.workout_id, s.name, s.status, s.started_at, s.ended_at, s.timezone, s.notes,
       lists.exercises, lists.sets, s.version, s.created_at, s.updated_at
FROM sessions s
CROSS JOIN LATERAL session_lists_document(s.user_id, s.id) AS lists
WHERE s.id = %(session_id)s AND s.user_id = %(user_id)s;
