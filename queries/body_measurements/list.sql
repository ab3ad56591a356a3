-- One page of the caller's body measurements, latest first, keyset on (measured_at, id),
-- optionally of some kinds only. from_date/to_date (inclusive) are calendar days in each
-- measurement's own time zone (on_local_days, whose UTC bounds a day wider on each side let
-- the index narrow the scan before the exact local-day test).
-- Its columns are the fields of body_measurement_document (see db/schema.sql).
-- returns: many BodyMeasurement
SELECT (body_measurement_document(m)).*
FROM body_measurements m
WHERE m.user_id = %(user_id)s
  AND (%(kinds)s::body_measurement_kind[] IS NULL
       OR m.kind = ANY(%(kinds)s::body_measurement_kind[]))
  AND on_local_days(m.measured_at, m.timezone, %(from_date)s::date, %(to_date)s::date)
  -- the first page starts after the largest possible key, so this is always an index
  -- condition, also in a generic plan of the prepared statement
  AND (m.measured_at, m.id) < (coalesce(%(after_measured_at)s::timestamptz, 'infinity'),
                               coalesce(%(after_id)s::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
ORDER BY m.measured_at DESC, m.id DESC
LIMIT %(limit)s;
