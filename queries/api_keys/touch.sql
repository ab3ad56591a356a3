-- Record that a key was used: set last_used_at (and bump version, so the key's ETag
-- follows) unless it was set within the last minute; servers call it at most once a minute
-- per key, so a busy key costs one write a minute, not one per request.
-- returns: none
UPDATE api_keys
SET last_used_at = now(), version = version + 1
WHERE id = %(key_id)s AND user_id = %(user_id)s
    AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');
