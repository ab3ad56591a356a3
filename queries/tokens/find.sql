-- A refresh token by its hash, whatever its state: tells a retired token presented again
-- (reuse: the family gets revoked) from an unknown, expired or revoked one.
-- returns: one StoredRefreshToken
SELECT user_id, family_id, retired_at, revoked_at, expires_at
FROM refresh_tokens
WHERE token_hash = %(token_hash)s;
