-- Change the fields given (NULL: keep) of one of the caller's workouts, if its version is
-- one If-Match accepts (NULL: any) and the status move is allowed: draft -> active ->
-- archived, archived -> active (or staying put). No row: not theirs, stale, or illegal move.
-- returns: scalar
UPDATE workouts AS w
SET name = coalesce(%(name)s::text, w.name),
    description = coalesce(%(description)s::text, w.description),
    status = coalesce(%(status)s::workout_status, w.status),
    version = w.version + 1,
    updated_at = now()
WHERE w.id = %(workout_id)s AND w.user_id = %(user_id)s
  AND (%(if_match)s::integer[] IS NULL OR w.version = ANY(%(if_match)s::integer[]))
  AND (%(status)s::workout_status IS NULL
       OR w.status = %(status)s::workout_status
       OR (w.status, %(status)s::workout_status) IN (
              ('draft', 'active'), ('active', 'archived'), ('archived', 'active')))
RETURNING w.version;
