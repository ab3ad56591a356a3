-- The user's active logins (the live token of each family), newest first, keyset on
-- (created_at, id); current marks the login of the caller's access token.
-- returns: many Login
SELECT
    family_id AS id,
    device_label,
    created_at,
    last_used_at,
    expires_at,
    coalesce(family_id = %(current_login_id)s::uuid, false) AS current
FROM refresh_tokens
WHERE user_id = %(user_id)s
    AND retired_at IS NULL
    AND revoked_at IS NULL
    AND expires_at > now()
    AND (created_at, family_id) < (
        coalesce(%(before_created_at)s::timestamptz, 'infinity'),
        coalesce(%(before_id)s::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff')
    )
ORDER BY created_at DESC, family_id DESC
LIMIT %(limit)s;
