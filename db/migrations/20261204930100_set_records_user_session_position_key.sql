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

-- Back to the state after the previous migration: the old key and its index built again
-- under the lock (a scan of the table), and the new index, which dropping its constraint
-- dropped, built again too.
ALTER TABLE set_records
    -- squawk-ignore ban-drop-constraint -- replaced by the key added next, in the same statement
    DROP CONSTRAINT set_records_user_session_position_key,
    -- squawk-ignore constraint-missing-not-valid, disallowed-unique-constraint -- the down path restores the old key as it was
    ADD CONSTRAINT set_records_session_id_position_key UNIQUE (session_id, "position");
-- squawk-ignore require-concurrent-index-creation -- the down path, in its transaction, restores the previous migration's index
CREATE UNIQUE INDEX set_records_user_session_position_key
    ON set_records (user_id, session_id, "position");
