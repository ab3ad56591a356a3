-- Log out: revoke the live token of the family of one of the user's refresh tokens (the
-- token given may be live or retired); the id of the login ended, or no row when there was
-- nothing of the user's left to end. Tells every server, when the transaction commits,
-- that the login has ended (channel kinetria_logins_ended).
-- returns: scalar
WITH login AS (
    SELECT family_id
    FROM refresh_tokens
    WHERE token_hash = %(token_hash)s
        AND user_id = %(user_id)s
),
ended AS (
    UPDATE refresh_tokens t
    SET revoked_at = now()
    FROM login
    WHERE t.family_id = login.family_id
        AND t.user_id = %(user_id)s
        AND t.retired_at IS NULL
        AND t.revoked_at IS NULL
    RETURNING t.user_id, t.family_id
)
SELECT ended.family_id
FROM ended,
    LATERAL notify_login_ended(ended.user_id, ended.family_id) AS notified;
