-- migrate:up
-- squawk-ignore-file prefer-bigint-over-int -- attempts is a small bounded counter, not a key
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- Failed-login throttling per account, shared by every worker and replica.
--
-- One row per login name that has attempts in the current window. A login
-- attempt counts itself *before* the password is checked (one atomic upsert),
-- so parallel guesses cannot slip past the limit; a successful login deletes
-- the row. After login_max_failures attempts without a success inside
-- login_window_s, the next attempt sets locked_until and every attempt until
-- then is refused (429) without checking the password.
--
-- The key is the SHA-256 of the normalised (lower-cased) email, never the
-- email itself: people type passwords into the email field, and unknown
-- emails are throttled too. To look up one account:
--   WHERE email_hash = sha256(convert_to(lower('someone@example.com'), 'UTF8'))
CREATE TABLE login_throttle (
    email_hash bytea PRIMARY KEY,
    attempts integer NOT NULL,
    window_started_at timestamptz NOT NULL,
    locked_until timestamptz,
    CONSTRAINT login_throttle_email_hash_check CHECK (octet_length(email_hash) = 32),
    CONSTRAINT login_throttle_attempts_check CHECK (attempts >= 1)
);

COMMENT ON TABLE login_throttle IS 'Login attempts per account (keyed by sha256 of the lower-cased email) in the current window; locked_until set once the limit is passed.';

-- Access paths:
--   count an attempt / reset:  WHERE email_hash = %(email_hash)s  -> login_throttle_pkey
--   prune stale rows:          WHERE window_started_at < %(cutoff)s
--                                                   -> login_throttle_window_started_at_idx
CREATE INDEX login_throttle_window_started_at_idx ON login_throttle (window_started_at);

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE login_throttle;
