-- The body measurements of an imported Kinetria export, each with the id the import derived
-- from the exported one (one already imported is left as it is); values arrive in the unit
-- entered and are stored in kg, cm or percent (body_measurement_to_metric). The ids are of
-- those created now (imports/record.sql records their events).
-- returns: scalar
WITH created AS (
    INSERT INTO body_measurements (id, user_id, kind, metric_value, unit, measured_at,
                                   timezone, notes)
    SELECT x.id, %(user_id)s, x.kind, body_measurement_to_metric(x.value, x.unit), x.unit,
           x.measured_at, x.timezone, x.notes
    FROM jsonb_to_recordset(%(measurements)s::jsonb) AS x(
        id uuid, kind body_measurement_kind, value numeric, unit body_measurement_unit,
        measured_at timestamptz, timezone text, notes text)
    ON CONFLICT (id) DO NOTHING
    RETURNING id
)
SELECT coalesce(array_agg(id), '{}') FROM created;
