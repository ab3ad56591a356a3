-- End every login of the user except keep_login_id (all of them when it is NULL): after a
-- password change.
-- returns: nothing
UPDATE refresh_tokens
SET revoked_at = now()
WHERE user_id = %(user_id)s
    AND revoked_at IS NULL
    AND family_id IS DISTINCT FROM %(keep_login_id)s::uuid;
