-- Whether an API key still stands: it has not been revoked (its row exists, with this very
-- key: login_id is the first 16 bytes of the key's SHA-256, as a UUID, so a new key that
-- takes the id of a revoked one does not bring the old key back), it has not expired and
-- its account exists. Asked once per key and server process; notifications on
-- kinetria_logins_ended (with that login_id) say when to ask again.
-- returns: scalar
SELECT EXISTS (
    SELECT 1
    FROM api_keys k
    JOIN users u ON u.id = k.user_id
    WHERE k.id = %(key_id)s
        AND k.user_id = %(user_id)s
        AND substring(k.key_hash FROM 1 FOR 16) = uuid_send(%(login_id)s::uuid)
        AND (k.expires_at IS NULL OR k.expires_at > now())
) AS live;
