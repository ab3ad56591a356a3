-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- Email verification and password reset: a verified flag on the account, and the
-- single-use tokens mailed for both flows.

-- When the account's email was last proven to be the user's (a verification link, or a
-- password reset mailed to it); NULL while it never was. Every account made before this
-- migration starts unverified.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

-- What a mailed token is for: resetting the password, or proving an address (the account's
-- own, or the new one of an email change).
CREATE TYPE account_token_purpose AS ENUM ('password_reset', 'verify_email');

COMMENT ON TYPE account_token_purpose IS 'What a mailed account token is for: a password reset, or proving an email address (the account''s own or the new one of a change).';

-- One live token per account and purpose: issuing one replaces the one before (only the
-- newest mail works), using one deletes it (single use). Only the SHA-256 of the token is
-- kept. email is the address the token was mailed to: for verify_email, the address it
-- proves (the account's own, or the new one of a pending email change, which becomes the
-- account's email only once proven); for password_reset, the account's email at the time,
-- so a token mailed before an email change no longer works after it.
CREATE TABLE account_tokens (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose account_token_purpose NOT NULL,
    token_hash bytea NOT NULL,
    email text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CONSTRAINT account_tokens_pkey PRIMARY KEY (user_id, purpose),
    CONSTRAINT account_tokens_token_hash_key UNIQUE (token_hash),
    CONSTRAINT account_tokens_token_hash_check CHECK (octet_length(token_hash) = 32),
    CONSTRAINT account_tokens_email_check CHECK (char_length(email) BETWEEN 3 AND 254),
    CONSTRAINT account_tokens_expires_at_check CHECK (expires_at > created_at)
);

COMMENT ON TABLE account_tokens IS 'Mailed single-use tokens (SHA-256 only): at most one per account and purpose, the newest; deleted when used. Cascades with the user.';

-- Access paths:
--   issue (replace) / pending email change / cascade:
--                       WHERE (user_id, purpose) = ...     -> account_tokens_pkey
--   use a token:        WHERE token_hash = %(token_hash)s  -> account_tokens_token_hash_key
--   delete expired:     WHERE expires_at <= now()          -> account_tokens_expires_at_idx
CREATE INDEX account_tokens_expires_at_idx ON account_tokens (expires_at);

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE account_tokens;
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE account_token_purpose;
-- squawk-ignore ban-drop-column -- the down path removes exactly what the up path created
ALTER TABLE users DROP COLUMN email_verified_at;
