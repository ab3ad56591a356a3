-- migrate:up transaction:false
-- squawk-ignore-file ban-concurrent-index-creation-in-transaction, require-timeout-settings, require-statement-timeout -- dbmate runs this file outside a transaction, and DROP/CREATE INDEX CONCURRENTLY must be the only statement (any SET would make the string an implicit transaction); neither takes a lock that blocks reads or writes
-- set_records_user_exercise_stats_idx (previous migration) has the same key and more
-- columns: this one only cost writes and space.
DROP INDEX CONCURRENTLY IF EXISTS set_records_user_exercise_performed_at_idx;

-- migrate:down transaction:false
CREATE INDEX CONCURRENTLY IF NOT EXISTS set_records_user_exercise_performed_at_idx
    ON set_records (user_id, exercise_id, performed_at DESC, id DESC);
