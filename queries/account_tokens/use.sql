-- Use a live token of a purpose: delete it, exactly once (of concurrent uses, the first
-- takes the row lock; the others then find it deleted and match nothing). The account and
-- the address the token was mailed to, or no row (account_tokens_token_hash_key).
-- returns: one UsedToken
DELETE FROM account_tokens
WHERE token_hash = %(token_hash)s
    AND purpose = %(purpose)s::account_token_purpose
    AND expires_at > now()
RETURNING user_id, email;
