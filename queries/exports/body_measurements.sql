-- One page of the caller's body measurements for the export, oldest first, keyset on
-- (measured_at, id) (body_measurements_user_id_measured_at_id_idx, read backwards).
-- Its columns are the fields of body_measurement_document (see db/schema.sql).
-- returns: many BodyMeasurement
SELECT (body_measurement_document(m)).*
FROM body_measurements m
WHERE m.user_id = %(user_id)s
  AND (%(after_measured_at)s::timestamptz IS NULL
       OR (m.measured_at, m.id) > (%(after_measured_at)s::timestamptz, %(after_id)s::uuid))
ORDER BY m.measured_at, m.id
LIMIT %(limit)s;
