-- One exercise the caller can see: a system exercise or one of their own.
-- returns: one Exercise
SELECT e.id, e.name, e.category, e.primary_muscle, e.secondary_muscles::text[] AS secondary_muscles,
       e.description, e.user_id IS NOT NULL AS custom, e.version, e.created_at, e.updated_at
FROM exercises e
WHERE e.id = %(exercise_id)s AND (e.user_id IS NULL OR e.user_id = %(user_id)s);
