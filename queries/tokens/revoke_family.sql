-- End a login: revoke the live token of one of the user's token families (its retired
-- tokens are unusable already and stay as they are, for reuse detection).
-- returns: none
UPDATE refresh_tokens
SET revoked_at = now()
WHERE family_id = %(family_id)s
    AND user_id = %(user_id)s
    AND retired_at IS NULL
    AND revoked_at IS NULL;
