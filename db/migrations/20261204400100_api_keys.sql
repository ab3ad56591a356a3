-- migrate:up
-- squawk-ignore-file prefer-bigint-over-int -- a row version, not a key
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- Personal API keys: long-lived bearer credentials a user makes for their own scripts.
-- A key is `kin_<id as 32 hex digits>_<43 characters of base64url: 32 random bytes>`; only
-- the SHA-256 of the whole key is stored (the key is shown once, in the answer to its
-- create). Revoking a key deletes its row (the audit log keeps the history).

-- What a key may do: read (GET) or write (every method; write includes read). A key never
-- manages the account, its logins, its keys or its webhooks, whatever its scopes.
CREATE TYPE api_key_scope AS ENUM ('read', 'write');

COMMENT ON TYPE api_key_scope IS 'What a personal API key may do: read (GET only) or write (every method, reading included).';

CREATE TABLE api_keys (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name text NOT NULL,
    scopes api_key_scope[] NOT NULL,
    -- SHA-256 of the key (a secret's hash: never shown, logged or audited).
    key_hash bytea NOT NULL,
    -- NULL: never expires.
    expires_at timestamptz,
    -- Set at most once a minute per key (each time bumping version, so the ETag follows).
    last_used_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT api_keys_name_check CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT api_keys_scopes_check CHECK (cardinality(scopes) BETWEEN 1 AND 2),
    CONSTRAINT api_keys_key_hash_check CHECK (octet_length(key_hash) = 32),
    CONSTRAINT api_keys_expires_at_check CHECK (expires_at > created_at),
    CONSTRAINT api_keys_version_check CHECK (version >= 1)
);

COMMENT ON TABLE api_keys IS 'Personal API keys (Authorization: Bearer kin_...). key_hash is the SHA-256 of the key; the key itself is never stored. Cascades with the user.';

-- Access paths:
--   a user's keys, newest first, keyset on (created_at, id); the ON DELETE CASCADE:
--     WHERE user_id = %(user_id)s AND (created_at, id) < (...) ORDER BY created_at DESC, id DESC
--                                  -> api_keys_user_id_created_at_id_idx
--   one key (verification, show, revoke): WHERE id = %(id)s [AND user_id = ...] -> api_keys_pkey
CREATE INDEX api_keys_user_id_created_at_id_idx ON api_keys (user_id, created_at, id);

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE api_keys;
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE api_key_scope;
