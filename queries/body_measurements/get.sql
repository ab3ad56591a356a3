-- One body measurement of the caller, its value in the unit it was entered in.
-- Its columns are the fields of body_measurement_document (see db/schema.sql).
-- returns: one BodyMeasurement
SELECT (body_measurement_document(m)).*
FROM body_measurements m
WHERE m.id = %(measurement_id)s AND m.user_id = %(user_id)s;
