-- Create a workout (a draft, with no exercises yet) for the caller. No row when the id is
-- already taken (a replayed create, or a clash the caller is told about).
-- returns: one Workout
INSERT INTO workouts AS w (id, user_id, name, description)
VALUES (%(workout_id)s, %(user_id)s, %(name)s, %(description)s)
ON CONFLICT (id) DO NOTHING
RETURNING w.id, w.name, w.description, w.status, '[]'::json AS exercises,
          w.version, w.created_at, w.updated_at;
