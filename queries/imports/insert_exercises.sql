-- The custom exercises an import creates for the caller (names the catalogue does not
-- know), each with the id the import derived from its name: one already there is kept.
-- The ids are of those created now (imports/record.sql records their events).
-- returns: scalar
WITH created AS (
    INSERT INTO exercises (id, user_id, name, category, primary_muscle, secondary_muscles,
                           description)
    SELECT x.id, %(user_id)s, x.name, x.category, x.primary_muscle,
           coalesce(x.secondary_muscles, '{}'), coalesce(x.description, '')
    FROM jsonb_to_recordset(%(exercises)s::jsonb) AS x(
        id uuid, name text, category exercise_category, primary_muscle muscle_group,
        secondary_muscles muscle_group[], description text)
    ON CONFLICT DO NOTHING
    RETURNING id
)
SELECT coalesce(array_agg(id), '{}') FROM created;
