-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- Logging sets: positions handed out by the session row, and the weight
-- conversions every query of sets uses.

-- The position the next logged set of a session gets. Logging a batch of
-- sets is one statement that updates the session row (locking it, bumping
-- its version) and reserves positions next_set_position .. + n - 1 from it;
-- PostgreSQL re-reads the locked row, so two batches sent to one session at
-- the same time queue up and get distinct positions, with no retry and no
-- max(position) scan. Deleted sets leave gaps; positions only order sets.
-- squawk-ignore prefer-bigint-over-int -- a position within one session, bounded far below 2^31
ALTER TABLE sessions ADD COLUMN next_set_position integer NOT NULL DEFAULT 0
    CONSTRAINT sessions_next_set_position_check CHECK (next_set_position >= 0);

COMMENT ON COLUMN sessions.next_set_position IS 'Position of the next set logged on this session (greater than every position used so far).';

-- Sessions that already hold sets continue after their last one.
UPDATE sessions s
SET next_set_position = r.next_position
FROM (
    SELECT session_id, max(position) + 1 AS next_position
    FROM set_records
    GROUP BY session_id
) r
WHERE r.session_id = s.id;

-- Weights are stored in kilograms; 1 lb is exactly 0.45359237 kg, and numeric
-- keeps the product exact (225 lb -> 102.05828325 kg).
CREATE FUNCTION weight_to_kg(weight numeric, unit weight_unit) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE unit WHEN 'lb' THEN weight * 0.45359237 ELSE weight END;

COMMENT ON FUNCTION weight_to_kg(numeric, weight_unit) IS 'A weight entered in unit, in kilograms (exact).';

-- A stored weight shown in the unit it was entered in. Pounds are rounded to
-- three decimals, which gives back exactly what was entered (the API accepts
-- at most three decimals).
CREATE FUNCTION weight_from_kg(weight_kg numeric, unit weight_unit) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE unit WHEN 'lb' THEN round(weight_kg / 0.45359237, 3) ELSE weight_kg END;

COMMENT ON FUNCTION weight_from_kg(numeric, weight_unit) IS 'A weight in kilograms, shown in unit (pounds rounded to 3 decimals, the precision the API accepts).';

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION weight_from_kg(numeric, weight_unit);
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION weight_to_kg(numeric, weight_unit);
-- squawk-ignore ban-drop-column -- the down path removes exactly what the up path created
ALTER TABLE sessions DROP COLUMN next_set_position;
