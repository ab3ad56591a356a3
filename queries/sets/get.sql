-- One set of one of the caller's sessions, its weight in the unit it was entered in.
-- Its columns are the fields of set_record_document (see db/schema.sql).
-- returns: one SetRecord
SELECT (set_record_document(r, e.name)).*
FROM set_records r
JOIN exercises e ON e.id = r.exercise_id
WHERE r.id = %(set_id)s AND r.session_id = %(session_id)s AND r.user_id = %(user_id)s;
