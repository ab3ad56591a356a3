-- End every login of the user except keep_login_id (all of them when it is NULL), after a
-- password change: revoke their live tokens (refresh_tokens_active_user_id_idx). Tells
-- every server, when the transaction commits, which logins have ended (channel
-- kinetria_logins_ended, one notification per login).
-- returns: none
WITH ended AS (
    UPDATE refresh_tokens
    SET revoked_at = now()
    WHERE user_id = %(user_id)s
        AND retired_at IS NULL
        AND revoked_at IS NULL
        AND family_id IS DISTINCT FROM %(keep_login_id)s::uuid
    RETURNING user_id, family_id
)
SELECT
FROM ended,
    LATERAL notify_login_ended(ended.user_id, ended.family_id) AS notified;
