-- migrate:up
-- squawk-ignore-file prefer-bigint-over-int -- version is a per-row edit counter, not a key
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- Accounts and what hangs off an account for authentication: refresh tokens
-- and the audit log.
--
-- Conventions for every table of the schema:
--   * uuid primary keys with no default: clients may create rows offline with
--     their own id (UUIDv7 recommended); otherwise the server generates one.
--   * created_at / updated_at are timestamptz; the queries that change a row
--     set updated_at = now() themselves (no triggers).
--   * version starts at 1 and is incremented by every update of a row that
--     clients edit; it is the ETag and the optimistic-concurrency check.

CREATE TABLE users (
    id uuid PRIMARY KEY,
    -- Stored lower-cased by the application; the unique index below compares
    -- lower(email) anyway, so a mixed-case duplicate can never get in.
    email text NOT NULL,
    -- argon2id PHC string; never the password.
    password_hash text NOT NULL,
    display_name text NOT NULL,
    preferred_weight_unit weight_unit NOT NULL DEFAULT 'kg',
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_check CHECK (char_length(email) BETWEEN 3 AND 254 AND email LIKE '_%@_%'),
    CONSTRAINT users_password_hash_check CHECK (password_hash <> ''),
    CONSTRAINT users_display_name_check CHECK (char_length(display_name) BETWEEN 1 AND 100),
    CONSTRAINT users_version_check CHECK (version >= 1)
);

COMMENT ON TABLE users IS 'Accounts. Deleting one deletes everything the user owns; their audit_log rows stay with user_id NULL.';

-- Access paths:
--   login, registration conflict check, password reset:
--     WHERE lower(email) = lower(%(email)s)            -> users_email_key
--   everything else:  WHERE id = %(user_id)s          -> users_pkey
CREATE UNIQUE INDEX users_email_key ON users (lower(email));


CREATE TABLE refresh_tokens (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- All tokens rotated from one login share a family; reuse of a retired
    -- token revokes the whole family.
    family_id uuid NOT NULL,
    -- SHA-256 of the opaque token; the token itself is never stored.
    token_hash bytea NOT NULL,
    device_label text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    -- Set when the token was rotated away (a newer one replaced it).
    retired_at timestamptz,
    -- Set when the family was ended (reuse detected, logout, revoke).
    revoked_at timestamptz,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash),
    CONSTRAINT refresh_tokens_device_label_check CHECK (char_length(device_label) <= 200)
);

COMMENT ON TABLE refresh_tokens IS 'Hashed opaque refresh tokens, in rotation families. Usable while retired_at, revoked_at are NULL and expires_at is in the future.';

-- Access paths:
--   refresh:          WHERE token_hash = %(token_hash)s       -> refresh_tokens_token_hash_key
--   logout everywhere / list devices / user delete cascade:
--                     WHERE user_id = %(user_id)s             -> refresh_tokens_user_id_idx
--   revoke a family:  WHERE family_id = %(family_id)s         -> refresh_tokens_family_id_idx
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);


CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- NULL for events without a known account (a failed login for an unknown
    -- email) and for every row of an account that was deleted.
    user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    action audit_action NOT NULL,
    -- The table the entity lives in ('workouts', 'sessions', ...); '' for
    -- account events.
    entity_type text NOT NULL DEFAULT '',
    entity_id uuid,
    -- Context (ip, user agent, changed fields, ...); never a secret.
    metadata jsonb NOT NULL DEFAULT '{}',
    request_id text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT audit_log_metadata_check CHECK (jsonb_typeof(metadata) = 'object')
);

COMMENT ON TABLE audit_log IS 'Who did what to which entity, when. Append-only; outlives the accounts it mentions.';

-- Access paths:
--   a user's history, newest first, keyset on id:
--     WHERE user_id = %(user_id)s AND id < %(cursor)s ORDER BY id DESC LIMIT n
--                                                  -> audit_log_user_id_id_idx
--     (also serves the ON DELETE SET NULL when a user is deleted)
--   investigations by context (DBA, support):
--     WHERE metadata @> '{"ip": "203.0.113.7"}'     -> audit_log_metadata_idx
--     (the default jsonb_ops class also serves ?, ?| and ?& key tests)
CREATE INDEX audit_log_user_id_id_idx ON audit_log (user_id, id DESC);
CREATE INDEX audit_log_metadata_idx ON audit_log USING gin (metadata);

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE audit_log, refresh_tokens, users;
