-- Store a new personal API key of the caller (only the SHA-256 of the key). No row when the
-- id is already taken (a replayed create, or a clash the caller is told about).
-- Its columns are the fields of api_key_document (see db/schema.sql).
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
RETURNING (api_key_document(k)).*;
