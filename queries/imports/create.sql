-- Queue a background import of the caller: its row (status queued) and its file, in one
-- statement, inside the transaction that also defers its job. No row when the id is
-- already taken (a replayed create, or a clash the caller is told about).
-- Its columns are the fields of import_document (see db/schema.sql).
-- returns: one ImportJob
WITH created AS (
    INSERT INTO imports AS i (id, user_id, format, timezone, weight_unit, distance_unit,
                              dry_run, size_bytes, sha256, request_id)
    VALUES (%(import_id)s, %(user_id)s, %(format)s, %(timezone)s, %(weight_unit)s,
            %(distance_unit)s, %(dry_run)s, %(size_bytes)s, %(sha256)s, %(request_id)s)
    ON CONFLICT (id) DO NOTHING
    RETURNING i.id, i.user_id, import_document(i) AS document
),
stored AS (
    INSERT INTO import_files (import_id, user_id, content)
    SELECT c.id, c.user_id, %(content)s::bytea
    FROM created c
)
SELECT (c.document).*
FROM created c;
