-- One page of the caller's API keys, newest first, keyset on (created_at, id) (never the
-- key or its hash; expired keys are listed until revoked).
-- returns: many ApiKey
SELECT
    k.id,
    k.name,
    k.scopes::text[] AS scopes,
    k.created_at,
    k.last_used_at,
    k.expires_at,
    k.version
FROM api_keys k
WHERE k.user_id = %(user_id)s
    -- the first page starts after the largest possible key, so this is always an index
    -- condition, also in a generic plan of the prepared statement
    AND (k.created_at, k.id) < (
        coalesce(%(before_created_at)s::timestamptz, 'infinity'),
        coalesce(%(before_id)s::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff')
    )
ORDER BY k.created_at DESC, k.id DESC
LIMIT %(limit)s;
