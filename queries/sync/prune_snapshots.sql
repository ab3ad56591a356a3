-- Delete up to %(batch)s sync snapshots that expired before now (their items go with them:
-- ON DELETE CASCADE), by sync_snapshots_expires_at_idx. Returns how many were deleted.
-- returns: scalar
WITH expired AS (
    SELECT s.id
    FROM sync_snapshots s
    WHERE s.expires_at <= now()
    ORDER BY s.expires_at
    LIMIT %(batch)s
),
deleted AS (
    DELETE FROM sync_snapshots s
    USING expired x
    WHERE s.id = x.id
    RETURNING 1
)
SELECT count(*) FROM deleted;
