-- Issue the account's token of a purpose, mailed to email: replaces the one before (only
-- the newest mail works; account_tokens_pkey).
-- returns: none
INSERT INTO account_tokens AS t (user_id, purpose, token_hash, email, expires_at)
VALUES (
    %(user_id)s,
    %(purpose)s::account_token_purpose,
    %(token_hash)s,
    %(email)s,
    now() + make_interval(secs => %(ttl_s)s::integer)
)
ON CONFLICT (user_id, purpose) DO UPDATE SET
    token_hash = excluded.token_hash,
    email = excluded.email,
    created_at = now(),
    expires_at = excluded.expires_at;
