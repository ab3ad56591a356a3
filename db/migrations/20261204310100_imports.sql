-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- Imports that run as background jobs (files above IMPORT_SYNC_MAX_BYTES): the request
-- stores the file and queues a job; the worker reads it, imports it and records the result
-- (or the error) here. Smaller files are imported in the request and leave no row.

CREATE TYPE import_status AS ENUM ('queued', 'running', 'succeeded', 'failed');

COMMENT ON TYPE import_status IS 'Where a background import stands: queued (its job waits for a worker), running, succeeded (result holds what it created), failed (error says why; nothing was written).';

CREATE TYPE import_format AS ENUM ('strong_csv', 'hevy_csv', 'kinetria_json');

COMMENT ON TYPE import_format IS 'The file formats POST /v1/imports reads: Strong''s CSV export, Hevy''s CSV export (also Kinetria''s CSV export), Kinetria''s JSON export.';

CREATE TABLE imports (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    format import_format NOT NULL,
    -- the request's query parameters: the zone of naive timestamps, the units the file
    -- does not name, and whether it is a dry run
    timezone text NOT NULL,
    weight_unit weight_unit,
    distance_unit text NOT NULL,
    dry_run boolean NOT NULL,
    size_bytes bigint NOT NULL,
    -- hex SHA-256 of the file: a replay of the create with the same id must send the same file
    sha256 text NOT NULL,
    status import_status NOT NULL DEFAULT 'queued',
    -- progress: sessions in the file (known once it is read) and sessions written so far
    sessions_total bigint,
    sessions_done bigint NOT NULL DEFAULT 0,
    -- the import's result document (the synchronous import's 201 body), once succeeded
    result jsonb,
    -- {"error_code", "message", "details"} (the API's error shape), once failed
    error jsonb,
    -- the X-Request-ID of the POST: the change events the job records carry it
    request_id text,
    attempts bigint NOT NULL DEFAULT 0,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    CONSTRAINT imports_distance_unit_check CHECK (distance_unit IN ('km', 'mi', 'm')),
    CONSTRAINT imports_size_bytes_check CHECK (size_bytes >= 0),
    CONSTRAINT imports_sha256_check CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT imports_timezone_check CHECK (char_length(timezone) <= 64),
    CONSTRAINT imports_progress_check
        CHECK (sessions_done >= 0 AND (sessions_total IS NULL OR sessions_done <= sessions_total)),
    CONSTRAINT imports_result_check CHECK ((status = 'succeeded') = (result IS NOT NULL)),
    CONSTRAINT imports_error_check CHECK ((status = 'failed') = (error IS NOT NULL)),
    CONSTRAINT imports_finished_check
        CHECK ((status IN ('succeeded', 'failed')) = (finished_at IS NOT NULL))
);

COMMENT ON TABLE imports IS 'Background imports (files above IMPORT_SYNC_MAX_BYTES): status, progress, and the result or the error. Cascades with the user.';

-- Access paths:
--   one import of the caller (GET /v1/imports/{id}, the job): the primary key
--   the caller's imports, newest first, keyset on (created_at, id) (GET /v1/imports); the
--   ON DELETE CASCADE from users -> imports_user_id_created_at_idx
CREATE INDEX imports_user_id_created_at_idx ON imports (user_id, created_at DESC, id DESC);

-- An import as the API shows it (ImportJob): GET /v1/imports/{id}, its list, the 202 of
-- POST /v1/imports. Every query that answers one selects (import_document(i)).*.
CREATE TYPE import_document AS (
    id uuid,
    status import_status,
    format import_format,
    dry_run boolean,
    timezone text,
    weight_unit weight_unit,
    distance_unit text,
    size_bytes bigint,
    sha256 text,
    sessions_total bigint,
    sessions_done bigint,
    result jsonb,
    error jsonb,
    version bigint,
    created_at timestamptz,
    updated_at timestamptz,
    started_at timestamptz,
    finished_at timestamptz
);

COMMENT ON TYPE import_document IS 'A background import as the API shows it (ImportJob); built by import_document(imports).';

CREATE FUNCTION import_document(i imports)
    RETURNS import_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW(
        i.id, i.status, i.format, i.dry_run, i.timezone, i.weight_unit, i.distance_unit,
        i.size_bytes, i.sha256, i.sessions_total, i.sessions_done, i.result, i.error,
        i.version, i.created_at, i.updated_at, i.started_at, i.finished_at
    )::import_document;

COMMENT ON FUNCTION import_document(imports) IS 'A background import as the API shows it (never its file).';

-- The file of an import waiting for (or in) its job; deleted when the job ends, in the
-- transaction that records the outcome.
CREATE TABLE import_files (
    import_id uuid PRIMARY KEY REFERENCES imports (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content bytea NOT NULL
);

COMMENT ON TABLE import_files IS 'The file of a background import until its job ends (then deleted). Cascades with the import and the user.';

--   the ON DELETE CASCADE from users -> import_files_user_id_idx
CREATE INDEX import_files_user_id_idx ON import_files (user_id);

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE import_files;
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION import_document(imports);
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE import_document;
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE imports;
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE import_format;
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE import_status;
