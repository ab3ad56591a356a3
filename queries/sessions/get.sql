-- One session of the caller as one document: its plan (copied from the workout it started
-- from) and its sets in order, weights in the unit each was entered in.
-- returns: one Session
SELECT s.id, s.workout_id, s.name, s.status, s.started_at, s.ended_at, s.timezone, s.notes,
       coalesce((
           SELECT json_agg(json_build_object(
                      'position', se.position,
                      'exercise_id', se.exercise_id,
                      'exercise_name', e.name,
                      'target_sets', se.target_sets,
                      'target_reps', se.target_reps,
                      'target_weight_kg', se.target_weight_kg,
                      'target_rest_s', se.target_rest_s,
                      'notes', se.notes)
                  ORDER BY se.position)
           FROM session_exercises se
           JOIN exercises e ON e.id = se.exercise_id
           WHERE se.session_id = s.id
       ), '[]') AS exercises,
       coalesce((
           SELECT json_agg(json_build_object(
                      'id', r.id,
                      'session_id', r.session_id,
                      'exercise_id', r.exercise_id,
                      'exercise_name', e.name,
                      'position', r.position,
                      'set_type', r.set_type,
                      'reps', r.reps,
                      'weight', weight_from_kg(r.weight_kg, r.weight_unit),
                      'weight_unit', r.weight_unit,
                      'duration_s', r.duration_s,
                      'distance_m', r.distance_m,
                      'rpe', r.rpe,
                      'performed_at', r.performed_at,
                      'notes', r.notes,
                      'version', r.version,
                      'created_at', r.created_at,
                      'updated_at', r.updated_at)
                  ORDER BY r.position)
           FROM set_records r
           JOIN exercises e ON e.id = r.exercise_id
           WHERE r.session_id = s.id
       ), '[]') AS sets,
       s.version, s.created_at, s.updated_at
FROM sessions s
WHERE s.id = %(session_id)s AND s.user_id = %(user_id)s;
