-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- A personal API key as the API shows it (ApiKey), defined once for the queries that
-- return one (api_keys/get, api_keys/list, api_keys/insert): never the key or its hash.
-- scopes as text[]: psycopg reads an array of ENUM values as one string. A STABLE (the
-- cast of the ENUM array to text is) LANGUAGE sql function of one expression, so the
-- planner inlines it where a query selects `(api_key_document(k)).*`
-- (tests/test_queries.py checks every plan).
CREATE TYPE api_key_document AS (
    id uuid,
    name text,
    scopes text[],
    created_at timestamptz,
    last_used_at timestamptz,
    expires_at timestamptz,
    version integer
);

COMMENT ON TYPE api_key_document IS 'A personal API key as the API shows it (ApiKey), never the key or its hash; built by api_key_document(api_keys).';

CREATE FUNCTION api_key_document(k api_keys)
    RETURNS api_key_document
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN ROW(
        k.id, k.name, k.scopes::text[], k.created_at, k.last_used_at, k.expires_at, k.version
    )::api_key_document;

COMMENT ON FUNCTION api_key_document(api_keys) IS 'A personal API key as the API shows it: its scopes as text, never the key or its hash.';

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION api_key_document(api_keys);
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE api_key_document;
