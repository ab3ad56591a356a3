-- Store a new personal API key of the caller (only the SHA-256 of the key). No row when the
-- id is already taken (a replayed create, or a clash the caller is told about).
-- returns: one ApiKey
INSERT INTO api_keys AS k (id, user_id, name, scopes, key_hash, expires_at)
VALUES (
    %(key_id)s,
    %(user_id)s,
    %(name)s,
    %(scopes)s::api_key_scope[],
    %(key_hash)s,
    %(expires_at)s::timestamptz
)
ON CONFLICT (id) DO NOTHING
RETURNING
    k.id,
    k.name,
    k.scopes::text[] AS scopes,
    k.created_at,
    k.last_used_at,
    k.expires_at,
    k.version;
