-- Change the fields given (NULL: keep) of one of the caller's sessions, if its version is
-- one If-Match accepts (NULL: any). An unknown time zone fails in AT TIME ZONE; the table's
-- CHECKs refuse an end before the start and an end on a session still in progress.
-- No row: not theirs, or stale.
-- returns: scalar
UPDATE sessions AS s
SET name = coalesce(%(name)s::text, s.name),
    notes = coalesce(%(notes)s::text, s.notes),
    started_at = coalesce(%(started_at)s::timestamptz, s.started_at),
    ended_at = coalesce(%(ended_at)s::timestamptz, s.ended_at),
    timezone = coalesce(%(timezone)s::text, s.timezone),
    version = s.version + 1,
    updated_at = now()
WHERE s.id = %(session_id)s AND s.user_id = %(user_id)s
  AND (%(if_match)s::integer[] IS NULL OR s.version = ANY(%(if_match)s::integer[]))
  AND (now() AT TIME ZONE coalesce(%(timezone)s::text, 'UTC')) IS NOT NULL
RETURNING s.version;
