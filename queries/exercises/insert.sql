-- Create a custom exercise of the caller. No row when the id is already taken (a replayed
-- create, or a clash the caller is told about).
-- returns: one Exercise
INSERT INTO exercises AS e (id, user_id, name, category, primary_muscle, secondary_muscles, description)
VALUES (%(exercise_id)s, %(user_id)s, %(name)s, %(category)s::exercise_category,
        %(primary_muscle)s::muscle_group, %(secondary_muscles)s::muscle_group[], %(description)s)
ON CONFLICT (id) DO NOTHING
RETURNING e.id, e.name, e.category, e.primary_muscle, e.secondary_muscles::text[] AS secondary_muscles,
          e.description, e.user_id IS NOT NULL AS custom, e.version, e.created_at, e.updated_at;
