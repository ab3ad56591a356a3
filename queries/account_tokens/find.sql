-- A live token of a purpose by its hash, with its account: no row for an unknown, expired
-- or used token, nor for a reset token mailed to an address the account no longer has
-- (account_tokens_token_hash_key).
-- returns: one FoundToken
SELECT t.user_id, t.email, u.display_name
FROM account_tokens t
JOIN users u ON u.id = t.user_id
WHERE t.token_hash = %(token_hash)s
    AND t.purpose = %(purpose)s::account_token_purpose
    AND t.expires_at > now()
    AND (t.purpose <> 'password_reset' OR u.email = t.email);
