-- Change the fields given (NULL: keep) of one of the caller's body measurements, if its
-- version is one If-Match accepts (NULL: any). The value is kept in the unit it is shown
-- in: changing only the unit re-reads the shown number in the new unit (a fix of a wrongly
-- chosen unit). An unknown time zone fails in AT TIME ZONE; the table's CHECKs refuse a unit
-- that does not fit the kind and a value out of range. No row: not theirs, or stale.
-- Its columns are the fields of body_measurement_document (see db/schema.sql).
-- returns: one BodyMeasurement
UPDATE body_measurements AS m
SET kind = coalesce(%(kind)s::body_measurement_kind, m.kind),
    metric_value = body_measurement_to_metric(
        coalesce(%(value)s::numeric, body_measurement_from_metric(m.metric_value, m.unit)),
        coalesce(%(unit)s::body_measurement_unit, m.unit)),
    unit = coalesce(%(unit)s::body_measurement_unit, m.unit),
    measured_at = coalesce(%(measured_at)s::timestamptz, m.measured_at),
    timezone = coalesce(%(timezone)s::text, m.timezone),
    notes = coalesce(%(notes)s::text, m.notes),
    version = m.version + 1,
    updated_at = now()
WHERE m.id = %(measurement_id)s AND m.user_id = %(user_id)s
  AND (%(if_match)s::integer[] IS NULL OR m.version = ANY(%(if_match)s::integer[]))
  AND (now() AT TIME ZONE coalesce(%(timezone)s::text, 'UTC')) IS NOT NULL
RETURNING (body_measurement_document(m)).*;
