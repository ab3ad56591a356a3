-- One of the caller's API keys (never the key or its hash); expired ones too, until they
-- are revoked. scopes as text[]: psycopg reads an array of ENUM values as one string.
-- returns: one ApiKey
SELECT
    k.id,
    k.name,
    k.scopes::text[] AS scopes,
    k.created_at,
    k.last_used_at,
    k.expires_at,
    k.version
FROM api_keys k
WHERE k.id = %(key_id)s
    AND k.user_id = %(user_id)s;
