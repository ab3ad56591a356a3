-- The body measurements of an imported Kinetria export, each with the id the import derived
-- from the exported one (one already imported is left as it is); values arrive in the unit
-- entered and are stored in kg, cm or percent (body_measurement_to_metric). Each one
-- created writes its body_measurement.created event (body_measurement_document), in
-- measured order, at the positions after the user's last one (record_change_events, see
-- queries/sync/record.sql). The ids are of those created now.
-- returns: scalar
WITH created AS (
    INSERT INTO body_measurements AS m (id, user_id, kind, metric_value, unit, measured_at,
                                        timezone, notes)
    SELECT x.id, %(user_id)s, x.kind, body_measurement_to_metric(x.value, x.unit), x.unit,
           x.measured_at, x.timezone, x.notes
    FROM jsonb_to_recordset(%(measurements)s::jsonb) AS x(
        id uuid, kind body_measurement_kind, value numeric, unit body_measurement_unit,
        measured_at timestamptz, timezone text, notes text)
    ON CONFLICT (id) DO NOTHING
    RETURNING m.id, m.measured_at, m.version, body_measurement_document(m) AS document
),
recorded AS (
    SELECT record_change_events(%(user_id)s, array_agg(ROW(
               'body_measurement.created', n.id, n.version, to_jsonb(n.document)
           )::change_event_input ORDER BY n.measured_at, n.id), %(request_id)s) AS events
    FROM created n
)
SELECT (SELECT coalesce(array_agg(id), '{}') FROM created) FROM recorded;
