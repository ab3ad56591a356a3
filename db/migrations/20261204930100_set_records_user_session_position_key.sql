-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- One set per position in a session, now on the index of the previous migration (a short
-- ACCESS EXCLUSIVE lock, no scan: the index exists and is unique), and the old key's index
-- goes with its constraint: the table keeps the same number of indexes.
ALTER TABLE set_records
    -- squawk-ignore ban-drop-constraint -- replaced by the key added next, in the same statement
    DROP CONSTRAINT set_records_session_id_position_key,
    ADD CONSTRAINT set_records_user_session_position_key
        UNIQUE USING INDEX set_records_user_session_position_key;

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '10min';

-- The old key's index is built again under the lock (a scan of the table), as the schema
-- had it; dropping the new constraint drops its index.
ALTER TABLE set_records
    -- squawk-ignore ban-drop-constraint -- replaced by the key added next, in the same statement
    DROP CONSTRAINT set_records_user_session_position_key,
    -- squawk-ignore constraint-missing-not-valid, disallowed-unique-constraint -- the down path restores the old key as it was
    ADD CONSTRAINT set_records_session_id_position_key UNIQUE (session_id, "position");
