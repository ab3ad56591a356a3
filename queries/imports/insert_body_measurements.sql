-- The body measurements of an imported Kinetria export, each with the id the import derived
-- from the exported one (one already imported is left as it is); values arrive in the unit
-- entered and are stored in kg, cm or percent (body_measurement_to_metric). Each one
-- created writes its body_measurement.created event (body_measurement_document), in
-- measured order, at the positions after the user's last one (see
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
events AS MATERIALIZED (
    SELECT row_number() OVER (ORDER BY n.measured_at, n.id) AS ord,
           'body_measurement.created'::change_event_type AS event_type,
           'body_measurement'::change_entity_type AS entity_type, n.id AS entity_id,
           n.version, to_jsonb(n.document) AS document
    FROM created n
),
counter AS (
    INSERT INTO sync_counters AS c (user_id, last_position)
    SELECT %(user_id)s, count(*) FROM events HAVING count(*) > 0
    ON CONFLICT (user_id) DO UPDATE SET last_position = c.last_position + excluded.last_position
    RETURNING c.last_position
),
recorded AS (
    INSERT INTO change_events
        (user_id, "position", event_type, entity_type, entity_id, version, document, request_id)
    SELECT %(user_id)s, c.last_position - (SELECT count(*) FROM events) + ev.ord,
           ev.event_type, ev.entity_type, ev.entity_id, ev.version, ev.document, %(request_id)s
    FROM events ev
    CROSS JOIN counter c
)
SELECT coalesce(array_agg(id), '{}') FROM created;
