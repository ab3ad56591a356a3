-- Remove every exercise of the plan of one of the caller's sessions (the first half of
-- replacing it).
-- returns: none
DELETE FROM session_exercises
WHERE session_id = %(session_id)s AND user_id = %(user_id)s;
