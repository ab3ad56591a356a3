-- One of the caller's API keys (never the key or its hash); expired ones too, until they
-- are revoked. Its columns are the fields of api_key_document (see db/schema.sql).
-- returns: one ApiKey
SELECT (api_key_document(k)).*
FROM api_keys k
WHERE k.id = %(key_id)s
    AND k.user_id = %(user_id)s;
