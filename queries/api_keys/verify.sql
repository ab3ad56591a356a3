-- What the server needs to verify a presented key, by the key id it carries: the owner, the
-- stored hash (compared in constant time by the caller), the scopes and the expiry.
-- Asked once per key and server process; the answer is remembered until the key expires.
-- returns: one StoredApiKey
SELECT
    k.user_id,
    k.key_hash,
    k.scopes::text[] AS scopes,
    k.expires_at
FROM api_keys k
WHERE k.id = %(key_id)s;
