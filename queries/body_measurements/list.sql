-- One page of the caller's body measurements, latest first, keyset on (measured_at, id),
-- optionally of some kinds only. from_date/to_date (inclusive) are calendar days in each
-- measurement's own time zone; the UTC bounds a day wider on each side let the index
-- narrow the scan before the exact local-day test.
-- Its columns are the fields of body_measurement_document (see db/schema.sql).
-- returns: many BodyMeasurement
SELECT (body_measurement_document(m)).*
FROM body_measurements m
WHERE m.user_id = %(user_id)s
  AND (%(kinds)s::body_measurement_kind[] IS NULL
       OR m.kind = ANY(%(kinds)s::body_measurement_kind[]))
  AND (%(from_date)s::date IS NULL
       OR (m.measured_at >= (%(from_date)s::date - 1)::timestamp AT TIME ZONE 'UTC'
           AND (m.measured_at AT TIME ZONE m.timezone)::date >= %(from_date)s::date))
  AND (%(to_date)s::date IS NULL
       OR (m.measured_at < (%(to_date)s::date + 2)::timestamp AT TIME ZONE 'UTC'
           AND (m.measured_at AT TIME ZONE m.timezone)::date <= %(to_date)s::date))
  -- the first page starts after the largest possible key, so this is always an index
  -- condition, also in a generic plan of the prepared statement
  AND (m.measured_at, m.id) < (coalesce(%(after_measured_at)s::timestamptz, 'infinity'),
                               coalesce(%(after_id)s::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
ORDER BY m.measured_at DESC, m.id DESC
LIMIT %(limit)s;
