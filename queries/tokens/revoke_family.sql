-- End a login: revoke the live token of one of the user's token families (its retired
-- tokens are unusable already and stay as they are, for reuse detection). Tells every
-- server, when the transaction commits, that the login has ended (channel
-- kinetria_logins_ended).
-- returns: none
WITH ended AS (
    UPDATE refresh_tokens
    SET revoked_at = now()
    WHERE family_id = %(family_id)s
        AND user_id = %(user_id)s
        AND retired_at IS NULL
        AND revoked_at IS NULL
    RETURNING user_id, family_id
)
SELECT
FROM ended,
    LATERAL notify_login_ended(ended.user_id, ended.family_id) AS notified;
