-- The custom exercises an import creates for the caller (names the catalogue does not
-- know), each with the id the import derived from its name: one already there is kept.
-- Each one created writes its exercise.created event (the document GET /v1/exercises/{id}
-- shows), at the positions after the user's last one: record_change_events locks the
-- user's counter until the import commits (see queries/sync/record.sql).
-- The ids are of those created now.
-- returns: scalar
WITH created AS (
    INSERT INTO exercises AS e (id, user_id, name, category, primary_muscle,
                                secondary_muscles, description)
    SELECT x.id, %(user_id)s, x.name, x.category, x.primary_muscle,
           coalesce(x.secondary_muscles, '{}'), coalesce(x.description, '')
    FROM jsonb_to_recordset(%(exercises)s::jsonb) AS x(
        id uuid, name text, category exercise_category, primary_muscle muscle_group,
        secondary_muscles muscle_group[], description text)
    ON CONFLICT DO NOTHING
    RETURNING e.id, e.name, e.category, e.primary_muscle, e.secondary_muscles,
              e.description, e.version, e.created_at, e.updated_at
),
recorded AS (
    SELECT record_change_events(%(user_id)s, array_agg(ROW(
               'exercise.created', n.id, n.version,
               jsonb_build_object(
                   'id', n.id, 'name', n.name, 'category', n.category,
                   'primary_muscle', n.primary_muscle,
                   'secondary_muscles', n.secondary_muscles::text[],
                   'description', n.description, 'custom', true, 'version', n.version,
                   'created_at', n.created_at, 'updated_at', n.updated_at)
           )::change_event_input ORDER BY n.id), %(request_id)s) AS events
    FROM created n
)
SELECT (SELECT coalesce(array_agg(id), '{}') FROM created) FROM recorded;
