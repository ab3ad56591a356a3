-- migrate:up
-- squawk-ignore-file prefer-bigint-over-int -- edit counters, not keys
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- Body measurements: body weight, body-fat percentage and the common circumferences, each
-- measured at an instant, in the time zone the user was in, with the unit they entered.

CREATE TYPE body_measurement_kind AS ENUM (
    'body_weight', 'body_fat', 'neck', 'shoulders', 'chest', 'left_biceps', 'right_biceps',
    'left_forearm', 'right_forearm', 'abdomen', 'waist', 'hips', 'left_thigh', 'right_thigh',
    'left_calf', 'right_calf'
);

COMMENT ON TYPE body_measurement_kind IS 'What a body measurement measures: body weight, body-fat percentage, or a circumference.';

-- The units a measurement may be entered in: kg or lb for body weight, percent for body fat,
-- cm or in for a circumference (body_measurements_unit_check).
CREATE TYPE body_measurement_unit AS ENUM ('kg', 'lb', 'cm', 'in', 'percent');

COMMENT ON TYPE body_measurement_unit IS 'The unit a body measurement was entered in: kg or lb (body weight), cm or in (circumferences), percent (body fat).';

CREATE TABLE body_measurements (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind body_measurement_kind NOT NULL,
    -- Always kilograms, centimetres or percent (by kind), exact (no fixed scale: 180.5 lb is
    -- stored as 81.873422785 kg and converts back to exactly 180.5 lb).
    metric_value numeric NOT NULL,
    -- The unit the user entered the value in, to show it back the same way.
    unit body_measurement_unit NOT NULL,
    measured_at timestamptz NOT NULL DEFAULT now(),
    -- The IANA zone the user measured in, for local days (validated by the API).
    timezone text NOT NULL DEFAULT 'UTC',
    notes text NOT NULL DEFAULT '',
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT body_measurements_unit_check CHECK (
        CASE kind
            WHEN 'body_weight' THEN unit IN ('kg', 'lb')
            WHEN 'body_fat' THEN unit = 'percent'
            ELSE unit IN ('cm', 'in')
        END
    ),
    -- Above 0 and at most 700 kg, 100 % or 500 cm.
    CONSTRAINT body_measurements_metric_value_check CHECK (
        metric_value > 0 AND metric_value <= CASE kind
            WHEN 'body_weight' THEN 700
            WHEN 'body_fat' THEN 100
            ELSE 500
        END
    ),
    CONSTRAINT body_measurements_timezone_check CHECK (char_length(timezone) BETWEEN 1 AND 64),
    CONSTRAINT body_measurements_notes_check CHECK (char_length(notes) <= 10000),
    CONSTRAINT body_measurements_version_check CHECK (version >= 1)
);

COMMENT ON TABLE body_measurements IS 'Body weight, body fat and circumferences over time. Values in kg, cm or percent (unit is what the user entered). Cascades with the user.';

-- Access paths:
--   a user's measurements, newest first, keyset on (measured_at, id), optionally in a
--   range of days:
--     WHERE user_id = %(user_id)s AND (measured_at, id) < (%(m)s, %(i)s)
--     ORDER BY measured_at DESC, id DESC LIMIT n  -> body_measurements_user_id_measured_at_id_idx
--     (also the ON DELETE CASCADE from users)
--   one kind's series for the statistics, or the list filtered by one kind:
--     WHERE user_id = %(user_id)s AND kind = %(kind)s AND measured_at >= ... AND < ...
--                                  -> body_measurements_user_id_kind_measured_at_idx
--     (index-only: metric_value is included)
--   one measurement:  WHERE id = %(id)s AND user_id = %(user_id)s -> body_measurements_pkey
CREATE INDEX body_measurements_user_id_measured_at_id_idx
    ON body_measurements (user_id, measured_at DESC, id DESC);
CREATE INDEX body_measurements_user_id_kind_measured_at_idx
    ON body_measurements (user_id, kind, measured_at DESC, id DESC) INCLUDE (metric_value);

-- A value entered in unit, in kilograms, centimetres or percent (exact: 1 lb is
-- 0.45359237 kg, 1 in is 2.54 cm).
CREATE FUNCTION body_measurement_to_metric(value numeric, unit body_measurement_unit)
    RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE unit WHEN 'lb' THEN value * 0.45359237 WHEN 'in' THEN value * 2.54 ELSE value END;

COMMENT ON FUNCTION body_measurement_to_metric(numeric, body_measurement_unit) IS 'A body measurement entered in unit, in kg, cm or percent (exact).';

-- A stored value shown in the unit it was entered in. Pounds and inches are rounded to three
-- decimals, which gives back exactly what was entered (the API accepts at most three).
CREATE FUNCTION body_measurement_from_metric(metric_value numeric, unit body_measurement_unit)
    RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE unit
        WHEN 'lb' THEN round(metric_value / 0.45359237, 3)
        WHEN 'in' THEN round(metric_value / 2.54, 3)
        ELSE metric_value
    END;

COMMENT ON FUNCTION body_measurement_from_metric(numeric, body_measurement_unit) IS 'A body measurement in kg, cm or percent, shown in unit (pounds and inches rounded to 3 decimals, the precision the API accepts).';

-- A measurement as the API shows it (BodyMeasurement), its value in the unit entered. Every
-- query that answers one selects (body_measurement_document(m)).*.
CREATE TYPE body_measurement_document AS (
    id uuid,
    kind body_measurement_kind,
    value numeric,
    unit body_measurement_unit,
    measured_at timestamptz,
    timezone text,
    notes text,
    version integer,
    created_at timestamptz,
    updated_at timestamptz
);

COMMENT ON TYPE body_measurement_document IS 'A body measurement as the API shows it (BodyMeasurement); built by body_measurement_document(body_measurements).';

CREATE FUNCTION body_measurement_document(m body_measurements)
    RETURNS body_measurement_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW(
        m.id, m.kind, body_measurement_from_metric(m.metric_value, m.unit), m.unit,
        m.measured_at, m.timezone, m.notes, m.version, m.created_at, m.updated_at
    )::body_measurement_document;

COMMENT ON FUNCTION body_measurement_document(body_measurements) IS 'A body measurement as the API shows it: the value back in the unit it was entered in.';

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION body_measurement_document(body_measurements);
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE body_measurement_document;
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION body_measurement_from_metric(numeric, body_measurement_unit);
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION body_measurement_to_metric(numeric, body_measurement_unit);
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE body_measurements;
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE body_measurement_unit;
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE body_measurement_kind;
