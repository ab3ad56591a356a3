-- Delete the user's expired refresh tokens (retired ones are kept until then, to detect
-- their reuse).
-- returns: none
DELETE FROM refresh_tokens
WHERE user_id = %(user_id)s
    AND expires_at <= now();
