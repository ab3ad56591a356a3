-- The change events of what an import has just created, recorded once at the end of the
-- import's transaction (so the user's sync counter is locked only from here to the
-- commit, not for the whole import). Each carries the document the API's GET shows:
--   exercise.created for each new custom exercise, by id;
--   workout.created for each new workout, with its exercises, by id;
--   for each new session, in start order: session.created (its document without sets,
--     session_event_document), then set.created for each of its sets, in position order;
--   body_measurement.created for each new measurement, in measured order.
-- Positions follow the user's last one, as in queries/sync/record.sql: the upsert of
-- sync_counters reserves them and keeps the user's counter locked until the commit.
-- returns: none
WITH events AS MATERIALIZED (
    SELECT row_number() OVER (ORDER BY x.phase, x.at, x.group_id, x.sub) AS ord,
           x.event_type, x.entity_type, x.entity_id, x.version, x.document
    FROM (
        SELECT 1 AS phase, e.created_at AS at, e.id AS group_id, 0 AS sub,
               'exercise.created'::change_event_type AS event_type,
               'exercise'::change_entity_type AS entity_type, e.id AS entity_id,
               e.version, jsonb_build_object(
                   'id', e.id, 'name', e.name, 'category', e.category,
                   'primary_muscle', e.primary_muscle,
                   'secondary_muscles', e.secondary_muscles::text[],
                   'description', e.description, 'custom', true, 'version', e.version,
                   'created_at', e.created_at, 'updated_at', e.updated_at) AS document
        FROM exercises e
        WHERE e.user_id = %(user_id)s AND e.id = ANY(%(exercise_ids)s::uuid[])
        UNION ALL
        SELECT 2, w.created_at, w.id, 0, 'workout.created', 'workout', w.id, w.version,
               jsonb_build_object(
                   'id', w.id, 'name', w.name, 'description', w.description,
                   'status', w.status,
                   'exercises', coalesce((
                       SELECT jsonb_agg(to_jsonb(planned_exercise_document(we, e.name))
                                        ORDER BY we.position)
                       FROM workout_exercises we
                       JOIN exercises e ON e.id = we.exercise_id
                       WHERE we.user_id = w.user_id AND we.workout_id = w.id
                   ), '[]'),
                   'version', w.version, 'created_at', w.created_at,
                   'updated_at', w.updated_at)
        FROM workouts w
        WHERE w.user_id = %(user_id)s AND w.id = ANY(%(workout_ids)s::uuid[])
        UNION ALL
        SELECT 3, s.started_at, s.id, 0, 'session.created', 'session', s.id, s.version,
               session_event_document(s)
        FROM sessions s
        WHERE s.user_id = %(user_id)s AND s.id = ANY(%(session_ids)s::uuid[])
        UNION ALL
        SELECT 3, s.started_at, s.id, r.position + 1, 'set.created', 'set', r.id, r.version,
               to_jsonb(set_record_document(r, e.name))
        FROM sessions s
        JOIN set_records r ON r.user_id = s.user_id AND r.session_id = s.id
        JOIN exercises e ON e.id = r.exercise_id
        WHERE s.user_id = %(user_id)s AND s.id = ANY(%(session_ids)s::uuid[])
        UNION ALL
        SELECT 4, m.measured_at, m.id, 0, 'body_measurement.created', 'body_measurement',
               m.id, m.version, to_jsonb(body_measurement_document(m))
        FROM body_measurements m
        WHERE m.user_id = %(user_id)s AND m.id = ANY(%(measurement_ids)s::uuid[])
    ) AS x
),
counter AS (
    INSERT INTO sync_counters AS c (user_id, last_position)
    SELECT %(user_id)s, count(*) FROM events HAVING count(*) > 0
    ON CONFLICT (user_id) DO UPDATE SET last_position = c.last_position + excluded.last_position
    RETURNING c.last_position
)
INSERT INTO change_events
    (user_id, "position", event_type, entity_type, entity_id, version, document, request_id)
SELECT %(user_id)s, c.last_position - (SELECT count(*) FROM events) + ev.ord, ev.event_type,
       ev.entity_type, ev.entity_id, ev.version, ev.document, %(request_id)s
FROM events ev
CROSS JOIN counter c;
