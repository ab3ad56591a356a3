-- End one of the caller's sessions in progress: completed (finish) or abandoned, at
-- ended_at (default now, never before the start), if its version is one If-Match accepts.
-- No row: not theirs, stale, or not in progress.
-- returns: scalar
UPDATE sessions AS s
SET status = %(status)s::session_status,
    ended_at = coalesce(%(ended_at)s::timestamptz, greatest(now(), s.started_at)),
    version = s.version + 1,
    updated_at = now()
WHERE s.id = %(session_id)s AND s.user_id = %(user_id)s AND s.status = 'in_progress'
  AND (%(if_match)s::integer[] IS NULL OR s.version = ANY(%(if_match)s::integer[]))
RETURNING s.version;
