-- Retire a usable refresh token, exactly once. Of concurrent refreshes with one token, the
-- first takes the row lock; the others wait for it, re-check the WHERE clause on the row it
-- committed (retired_at is now set) and match nothing.
-- returns: one RotatedToken
UPDATE refresh_tokens
SET retired_at = now(), last_used_at = now()
WHERE token_hash = %(token_hash)s
    AND retired_at IS NULL
    AND revoked_at IS NULL
    AND expires_at > now()
RETURNING user_id, family_id, device_label, created_at;
