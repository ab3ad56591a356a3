-- migrate:up transaction:false
-- squawk-ignore-file ban-concurrent-index-creation-in-transaction, require-timeout-settings, require-statement-timeout -- dbmate runs this file outside a transaction, and CREATE INDEX CONCURRENTLY must be the only statement (any SET would make the string an implicit transaction); it takes no lock that blocks reads or writes
-- A session's sets are read by their owner and session (every query names the user: a
-- session document, the session list's set counts, the export, the cascade from sessions):
--     WHERE user_id = %(user_id)s AND session_id = %(session_id)s ORDER BY position
-- With the key (session_id, position) alone, PostgreSQL could answer that only by ANDing
-- it with a scan of all the user's entries of set_records_user_exercise_stats_idx: for a
-- user with 5,500 sets, 140 index pages per session instead of 2, and a page of 20
-- sessions with their set counts took 5 ms. This key leads with user_id, as Citus needs of
-- a unique key on a table distributed by user (docs/scaling.md); the next migration makes
-- it the constraint in place of (session_id, position). The same uniqueness: a session has
-- one user (set_records_session_fkey).
-- If the build fails it leaves an INVALID index: DROP INDEX CONCURRENTLY it and migrate
-- again.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS set_records_user_session_position_key
    ON set_records (user_id, session_id, "position");

-- migrate:down transaction:false
-- squawk-ignore-file ban-concurrent-index-creation-in-transaction -- as above
DROP INDEX CONCURRENTLY IF EXISTS set_records_user_session_position_key;
