-- Record a body measurement for the caller, its value converted to kg, cm or percent from
-- the unit given, or by default: the user's preferred weight unit for body weight, cm (in
-- for users who prefer lb) for a circumference, percent for body fat. Naming the time zone
-- in AT TIME ZONE makes an unknown zone fail here; the table's CHECKs refuse a unit that
-- does not fit the kind and a value out of range. No row when the id is already taken (a
-- replayed create, or a clash the caller is told about).
-- Its columns are the fields of body_measurement_document (see db/schema.sql).
-- returns: one BodyMeasurement
WITH input AS (
    SELECT %(kind)s::body_measurement_kind AS kind,
           coalesce(
               %(unit)s::body_measurement_unit,
               CASE %(kind)s::body_measurement_kind
                   WHEN 'body_weight' THEN u.preferred_weight_unit::text
                   WHEN 'body_fat' THEN 'percent'
                   ELSE CASE u.preferred_weight_unit WHEN 'lb' THEN 'in' ELSE 'cm' END
               END::body_measurement_unit
           ) AS unit
    FROM users u
    WHERE u.id = %(user_id)s
)
INSERT INTO body_measurements AS m
    (id, user_id, kind, metric_value, unit, measured_at, timezone, notes)
SELECT %(measurement_id)s, %(user_id)s, i.kind,
       body_measurement_to_metric(%(value)s::numeric, i.unit), i.unit,
       coalesce(%(measured_at)s::timestamptz, now()), %(timezone)s::text, %(notes)s
FROM input i
WHERE (now() AT TIME ZONE %(timezone)s::text) IS NOT NULL
ON CONFLICT (id) DO NOTHING
RETURNING (body_measurement_document(m)).*;
