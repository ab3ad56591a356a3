-- Start a session (in progress) for the caller, optionally from one of their workouts.
-- Naming the time zone in AT TIME ZONE makes an unknown zone fail here. No row when the id
-- is already taken (a replayed create, or a clash the caller is told about). A second
-- in-progress session violates sessions_one_in_progress_per_user.
-- returns: scalar
INSERT INTO sessions AS s (id, user_id, workout_id, name, status, started_at, timezone, notes)
SELECT %(session_id)s, %(user_id)s, %(workout_id)s::uuid, %(name)s, 'in_progress',
       coalesce(%(started_at)s::timestamptz, now()), %(timezone)s::text, %(notes)s
WHERE (now() AT TIME ZONE %(timezone)s::text) IS NOT NULL
ON CONFLICT (id) DO NOTHING
RETURNING s.id;
