-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- A session as change events carry it: the session document of the API (Session) without
-- its sets, which have events of their own. Used by the statements that change a session
-- together with its sets (queries/sets/log.sql, queries/sessions/touch_for_sets.sql).
CREATE FUNCTION session_event_document(s sessions)
    RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object(
        'id', s.id,
        'workout_id', s.workout_id,
        'name', s.name,
        'status', s.status,
        'started_at', s.started_at,
        'ended_at', s.ended_at,
        'timezone', s.timezone,
        'notes', s.notes,
        'exercises', coalesce((
            SELECT jsonb_agg(to_jsonb(planned_exercise_document(se, e.name)) ORDER BY se.position)
            FROM session_exercises se
            JOIN exercises e ON e.id = se.exercise_id
            WHERE se.user_id = s.user_id AND se.session_id = s.id
        ), '[]'::jsonb),
        'version', s.version,
        'created_at', s.created_at,
        'updated_at', s.updated_at
    );

COMMENT ON FUNCTION session_event_document(sessions) IS 'A session as change events carry it: the API''s Session document without its sets.';

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION session_event_document(sessions);
