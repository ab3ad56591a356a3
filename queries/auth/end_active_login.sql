-- End one of the user's active logins (DELETE /v1/me/logins/{id}); touches nothing when
-- the login is not the user's or is already over.
-- returns: nothing
UPDATE refresh_tokens
SET revoked_at = now()
WHERE family_id = %(login_id)s
    AND user_id = %(user_id)s
    AND revoked_at IS NULL
    AND EXISTS (
        SELECT 1
        FROM refresh_tokens live
        WHERE live.family_id = %(login_id)s
            AND live.user_id = %(user_id)s
            AND live.retired_at IS NULL
            AND live.revoked_at IS NULL
            AND live.expires_at > now()
    );
