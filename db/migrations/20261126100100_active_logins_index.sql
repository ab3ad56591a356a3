-- migrate:up transaction:false
-- squawk-ignore-file ban-concurrent-index-creation-in-transaction, require-timeout-settings, require-statement-timeout -- dbmate runs this file outside a transaction, and CREATE INDEX CONCURRENTLY must be the only statement (any SET would make the string an implicit transaction); it takes no lock that blocks reads or writes
-- The live token of each login, for "my logins" (GET /v1/me/logins):
--   WHERE user_id = %(user_id)s AND retired_at IS NULL AND revoked_at IS NULL
--     AND (created_at, family_id) < (%(c)s, %(f)s)
--   ORDER BY created_at DESC, family_id DESC LIMIT n
-- Rotation leaves one retired row per refresh behind (kept until it expires,
-- for reuse detection), so refresh_tokens_user_id_idx alone would read all of
-- them; this partial index holds only the live token of each login.
-- If the build fails it leaves an INVALID index: DROP INDEX CONCURRENTLY it
-- and migrate again.
CREATE INDEX CONCURRENTLY IF NOT EXISTS refresh_tokens_active_user_id_idx
    ON refresh_tokens (user_id, created_at DESC, family_id DESC)
    WHERE retired_at IS NULL AND revoked_at IS NULL;

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS refresh_tokens_active_user_id_idx;
