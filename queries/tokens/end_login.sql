-- End one of the user's active logins (DELETE /v1/me/logins/{id}): revoke its live token;
-- touches nothing when the login is not the user's or is already over. Tells every server,
-- when the transaction commits, that the login has ended (channel kinetria_logins_ended).
-- returns: none
WITH ended AS (
    UPDATE refresh_tokens
    SET revoked_at = now()
    WHERE family_id = %(login_id)s
        AND user_id = %(user_id)s
        AND retired_at IS NULL
        AND revoked_at IS NULL
        AND expires_at > now()
    RETURNING user_id, family_id
)
SELECT
FROM ended,
    LATERAL notify_login_ended(ended.user_id, ended.family_id) AS notified;
