-- Whether an access token's login still stands: its account exists and, when the token
-- names a login (token family), that login has not been ended (its last refresh token is neither
-- retired nor revoked; an idle one past expires_at still backs the access tokens it issued). Asked once per
-- login and server process; notifications on kinetria_logins_ended say when to ask again.
-- returns: scalar
SELECT EXISTS (
    SELECT 1
    FROM users u
    WHERE u.id = %(user_id)s
        AND (
            %(login_id)s::uuid IS NULL
            OR EXISTS (
                SELECT 1
                FROM refresh_tokens t
                WHERE t.family_id = %(login_id)s::uuid
                    AND t.user_id = u.id
                    AND t.retired_at IS NULL
                    AND t.revoked_at IS NULL
            )
        )
) AS live;
