-- One page of the caller's sessions, newest start first, keyset on (started_at, id), with
-- how many sets each holds. from_date/to_date (inclusive) are calendar days in each
-- session's own time zone (on_local_days, whose UTC bounds a day wider on each side let the
-- index (user_id, started_at DESC, id DESC) narrow the scan before the exact local-day test).
-- returns: many SessionSummary
SELECT s.id, s.workout_id, s.name, s.status, s.started_at, s.ended_at, s.timezone, s.notes,
       (SELECT count(*) FROM set_records r
        WHERE r.user_id = s.user_id AND r.session_id = s.id)::integer AS set_count,
       s.version, s.created_at, s.updated_at
FROM sessions s
WHERE s.user_id = %(user_id)s
  AND (%(status)s::session_status IS NULL OR s.status = %(status)s::session_status)
  AND on_local_days(s.started_at, s.timezone, %(from_date)s::date, %(to_date)s::date)
  -- the first page starts after the largest possible key, so this is always an index
  -- condition, also in a generic plan of the prepared statement
  AND (s.started_at, s.id) < (coalesce(%(after_started_at)s::timestamptz, 'infinity'),
                              coalesce(%(after_id)s::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
ORDER BY s.started_at DESC, s.id DESC
LIMIT %(limit)s;
