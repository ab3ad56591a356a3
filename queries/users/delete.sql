-- Delete the caller's account and, through the foreign keys and the
-- users_delete_owned_rows trigger, everything it owns; its audit_log rows stay with
-- user_id set to NULL. With If-Match, only while the account has one of those versions.
-- Tells every server, when the transaction commits, that the account's logins have ended
-- (channel kinetria_logins_ended, login_id null: all of them).
-- returns: none
WITH deleted AS (
    DELETE FROM users
    WHERE id = %(user_id)s
        AND (%(versions)s::integer[] IS NULL OR version = ANY(%(versions)s::integer[]))
    RETURNING id
)
SELECT
FROM deleted,
    LATERAL notify_login_ended(deleted.id, NULL) AS notified;
