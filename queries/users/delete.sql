-- Delete the caller's account and, through the foreign keys and the
-- users_delete_owned_rows trigger, everything it owns; its audit_log rows stay with
-- user_id set to NULL. With If-Match, only while the account has one of those versions.
-- returns: none
DELETE FROM users
WHERE id = %(user_id)s
    AND (%(versions)s::integer[] IS NULL OR version = ANY(%(versions)s::integer[]));
