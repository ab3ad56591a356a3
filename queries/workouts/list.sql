-- One page of the caller's workouts with the given statuses, newest first, keyset on
-- (created_at, id), each with its exercises in order.
-- The exercises are workout_plan_document's list of planned_exercise_document.
-- returns: many Workout
SELECT w.id, w.name, w.description, w.status,
       plan.exercises, w.version, w.created_at, w.updated_at
FROM workouts w
CROSS JOIN LATERAL workout_plan_document(w.user_id, w.id) AS plan
WHERE w.user_id = %(user_id)s
  AND w.status = ANY(%(statuses)s::workout_status[])
  -- the first page starts after the largest possible key, so this is always an index
  -- condition, also in a generic plan of the prepared statement
  AND (w.created_at, w.id) < (coalesce(%(after_created_at)s::timestamptz, 'infinity'),
                              coalesce(%(after_id)s::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
ORDER BY w.created_at DESC, w.id DESC
LIMIT %(limit)s;
