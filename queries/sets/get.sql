-- One set of one of the caller's sessions, its weight in the unit it was entered in.
-- returns: one SetRecord
SELECT r.id, r.session_id, r.exercise_id, e.name AS exercise_name, r.position, r.set_type,
       r.reps, weight_from_kg(r.weight_kg, r.weight_unit) AS weight, r.weight_unit,
       r.duration_s, r.distance_m, r.rpe, r.performed_at, r.notes, r.version, r.created_at,
       r.updated_at
FROM set_records r
JOIN exercises e ON e.id = r.exercise_id
WHERE r.id = %(set_id)s AND r.session_id = %(session_id)s AND r.user_id = %(user_id)s;
