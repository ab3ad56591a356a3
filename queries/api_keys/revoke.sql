-- Revoke one of the caller's API keys: delete its row (with If-Match, only while it has one
-- of those versions); the name of the key revoked, or no row when nothing was deleted. Tells
-- every server, when the transaction commits, that the key has ended (channel
-- kinetria_logins_ended; login_id: the first 16 bytes of the key's SHA-256 as a UUID, what
-- the servers know the key by), so it stops working at once everywhere.
-- returns: scalar
WITH revoked AS (
    DELETE FROM api_keys
    WHERE id = %(key_id)s
        AND user_id = %(user_id)s
        AND (%(if_match)s::integer[] IS NULL OR version = ANY(%(if_match)s::integer[]))
    RETURNING user_id, key_hash, name
)
SELECT revoked.name
FROM revoked,
    LATERAL notify_login_ended(
        revoked.user_id, encode(substring(revoked.key_hash FROM 1 FOR 16), 'hex')::uuid
    ) AS notified;
