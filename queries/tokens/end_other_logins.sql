-- End every login of the user except keep_login_id (all of them when it is NULL), after a
-- password change: revoke their live tokens (refresh_tokens_active_user_id_idx).
-- returns: none
UPDATE refresh_tokens
SET revoked_at = now()
WHERE user_id = %(user_id)s
    AND retired_at IS NULL
    AND revoked_at IS NULL
    AND family_id IS DISTINCT FROM %(keep_login_id)s::uuid;
