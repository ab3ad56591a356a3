-- End a login: revoke every token of one of the user's token families.
-- returns: nothing
UPDATE refresh_tokens
SET revoked_at = now()
WHERE family_id = %(family_id)s
    AND user_id = %(user_id)s
    AND revoked_at IS NULL;
