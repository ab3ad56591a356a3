-- The caller's custom exercises, for the export (system exercises are the same in every
-- installation and are referred to by id and name).
-- returns: many Exercise
SELECT e.id, e.name, e.category, e.primary_muscle, e.secondary_muscles::text[] AS secondary_muscles,
       e.description, true AS custom, e.version, e.created_at, e.updated_at
FROM exercises e
WHERE e.user_id = %(user_id)s
ORDER BY e.created_at, e.id;
