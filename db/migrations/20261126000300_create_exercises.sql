-- migrate:up
-- squawk-ignore-file prefer-bigint-over-int -- version is a per-row edit counter, not a key
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- Accent-insensitive exercise search ('developpe' finds 'Développé').
-- unaccent is a trusted extension (PostgreSQL 13+): the database owner can
-- create it without superuser rights. It ships in the contrib of every
-- standard PostgreSQL build (the official image, the embedded server).
CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is only STABLE (its dictionary could be edited), so it cannot be
-- used in a generated column or an index. This wrapper names the dictionary
-- explicitly and is declared IMMUTABLE, which is true as long as nobody edits
-- unaccent.rules; if that ever happens, rewrite the column
-- (UPDATE exercises SET name = name) and reindex. The SQL-standard body is
-- bound when the function is created, so it does not depend on search_path.
CREATE FUNCTION immutable_unaccent(value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN unaccent('unaccent'::regdictionary, value);

COMMENT ON FUNCTION immutable_unaccent(text) IS 'unaccent() with a fixed dictionary, IMMUTABLE so generated columns and indexes can use it.';

CREATE TABLE exercises (
    id uuid PRIMARY KEY,
    -- NULL: a system exercise of the shared catalogue, visible to everyone and
    -- read-only for users. Otherwise the user's own custom exercise.
    user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    name text NOT NULL,
    category exercise_category NOT NULL,
    primary_muscle muscle_group NOT NULL,
    secondary_muscles muscle_group[] NOT NULL DEFAULT '{}',
    description text NOT NULL DEFAULT '',
    -- lower-cased, accents removed: what search compares against
    -- (WHERE search_name LIKE '%' || lower(immutable_unaccent(%(q)s)) || '%').
    search_name text GENERATED ALWAYS AS (lower(immutable_unaccent(name))) STORED,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT exercises_name_check CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT exercises_description_check CHECK (char_length(description) <= 10000),
    -- No NULL element, and the primary muscle is not repeated as a secondary one.
    CONSTRAINT exercises_secondary_muscles_check CHECK (
        array_position(secondary_muscles, NULL) IS NULL
        AND NOT (primary_muscle = ANY (secondary_muscles))
    ),
    CONSTRAINT exercises_version_check CHECK (version >= 1)
);

COMMENT ON TABLE exercises IS 'The exercise catalogue: system exercises (user_id NULL, shipped by migrations) plus each user''s custom ones. Cannot be deleted while a set or a plan refers to it.';

-- Names are unique per owner, case-insensitively: one "Bench press" per user,
-- one in the system catalogue (a user may still name a custom exercise like a
-- system one). The API maps a violation of either index to 409.
CREATE UNIQUE INDEX exercises_user_id_name_key ON exercises (user_id, lower(name))
    WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX exercises_system_name_key ON exercises (lower(name))
    WHERE user_id IS NULL;

-- Access paths:
--   the catalogue a user sees, by name, keyset on (name, id):
--     WHERE (user_id IS NULL OR user_id = %(user_id)s)
--       AND (name, id) > (%(after_name)s, %(after_id)s)
--     ORDER BY name, id LIMIT n
--   -> exercises_user_id_name_id_idx, one range for the system rows
--      (user_id IS NULL) and one for the user's (a BitmapOr, or a MergeAppend
--      when written as a UNION ALL of the two). The catalogue a user sees is a
--      few hundred rows, so search (search_name LIKE ...) filters those rows.
--   one exercise:       WHERE id = %(id)s AND (user_id IS NULL OR user_id = ...)
--                                                    -> exercises_pkey
--   user delete cascade: WHERE user_id = $1           -> exercises_user_id_name_id_idx
CREATE INDEX exercises_user_id_name_id_idx ON exercises (user_id, name, id);

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE exercises;
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION immutable_unaccent(text);
-- squawk-ignore ban-drop-extension -- the down path removes exactly what the up path created
DROP EXTENSION IF EXISTS unaccent;
