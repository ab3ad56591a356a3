-- One page of the caller's sets for the CSV export, one row per set with its session's
-- fields, in session order (started_at, session id) and set position; keyset on those three.
-- The superset is the group of the set's exercise in the session's plan (its first entry
-- for that exercise). Weights in the unit entered (weight_from_kg), distances in metres.
-- returns: many CsvSetRow
SELECT s.started_at, s.id AS session_id, r.position,
       s.name AS title, s.ended_at, s.timezone, s.notes AS description,
       e.name AS exercise_title,
       (SELECT se.group_key FROM session_exercises se
        WHERE se.user_id = s.user_id AND se.session_id = s.id AND se.exercise_id = r.exercise_id
        ORDER BY se.position LIMIT 1) AS superset_id,
       (SELECT se.notes FROM session_exercises se
        WHERE se.user_id = s.user_id AND se.session_id = s.id AND se.exercise_id = r.exercise_id
        ORDER BY se.position LIMIT 1) AS exercise_notes,
       r.set_type, r.weight_kg, weight_from_kg(r.weight_kg, r.weight_unit) AS weight,
       r.weight_unit, r.reps, r.distance_m, r.duration_s, r.rpe, r.notes AS set_notes
FROM sessions s
JOIN set_records r ON r.user_id = s.user_id AND r.session_id = s.id
JOIN exercises e ON e.id = r.exercise_id
WHERE s.user_id = %(user_id)s
  AND (%(after_started_at)s::timestamptz IS NULL
       OR (s.started_at, s.id, r.position)
          > (%(after_started_at)s::timestamptz, %(after_id)s::uuid, %(after_position)s::integer))
ORDER BY s.started_at, s.id, r.position
LIMIT %(limit)s;
