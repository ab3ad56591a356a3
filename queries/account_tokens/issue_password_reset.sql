-- Issue the password-reset token of the account an email names, if it has one: replaces
-- the account's previous reset token (only the newest mail works). One statement whether or
-- not the account exists, so both answers take about the same time. The account's id,
-- email (as stored) and display name, or no row for an unknown email (users_email_key,
-- account_tokens_pkey).
-- returns: one ResetRecipient
WITH account AS (
    SELECT id, email, display_name
    FROM users
    WHERE lower(email) = lower(%(email)s)
),
issued AS (
    INSERT INTO account_tokens AS t (user_id, purpose, token_hash, email, expires_at)
    SELECT id, 'password_reset', %(token_hash)s, email,
        now() + make_interval(secs => %(ttl_s)s::integer)
    FROM account
    ON CONFLICT (user_id, purpose) DO UPDATE SET
        token_hash = excluded.token_hash,
        email = excluded.email,
        created_at = now(),
        expires_at = excluded.expires_at
    RETURNING t.user_id
)
SELECT a.id AS user_id, a.email, a.display_name
FROM issued
JOIN account a ON a.id = issued.user_id;
