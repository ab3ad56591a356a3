-- migrate:up transaction:false
-- squawk-ignore-file ban-concurrent-index-creation-in-transaction, require-timeout-settings, require-statement-timeout -- dbmate runs this file outside a transaction, and CREATE INDEX CONCURRENTLY must be the only statement (any SET would make the string an implicit transaction); it takes no lock that blocks reads or writes
-- The statistics (queries/stats/*) read only the caller's rows of set_records, all through
-- this index, without visiting the table (index-only scans): the key is that of
-- set_records_user_exercise_performed_at_idx, which it replaces (the next migration drops
-- that one), and the INCLUDE columns are what the statistics compute from. Cost then follows
-- the caller's own sets (a few hundred bytes each, contiguous in the index), not the size of
-- the table, nor how the caller's sets are scattered across its pages.
--   records, history, new records of a set (per exercise):
--     WHERE user_id = %(user_id)s AND exercise_id = %(exercise_id)s
--       [AND performed_at >= ... AND performed_at < ...]
--   summary, volume (every exercise):
--     WHERE user_id = %(user_id)s [AND performed_at >= ... AND performed_at < ...]
--   plus every query of set_records_user_exercise_performed_at_idx: a user's history of one
--   exercise, newest first, keyset on (performed_at, id); the ON DELETE CASCADE from users.
-- If the build fails it leaves an INVALID index: DROP INDEX CONCURRENTLY it and migrate
-- again.
CREATE INDEX CONCURRENTLY IF NOT EXISTS set_records_user_exercise_stats_idx
    ON set_records (user_id, exercise_id, performed_at DESC, id DESC)
    INCLUDE (session_id, set_type, reps, weight_kg);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS set_records_user_exercise_stats_idx;
