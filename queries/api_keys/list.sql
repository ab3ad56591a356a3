-- One page of the caller's API keys, newest first, keyset on (created_at, id) (never the
-- key or its hash; expired keys are listed until revoked).
-- Its columns are the fields of api_key_document (see db/schema.sql).
-- returns: many ApiKey
SELECT (api_key_document(k)).*
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
