-- Delete delivered and failed webhook deliveries older than %(before)s (at most %(limit)s
-- a run, oldest first); pending ones stay whatever their age.
-- returns: none
DELETE FROM webhook_deliveries
WHERE id IN (
    SELECT id FROM webhook_deliveries
    WHERE status <> 'pending' AND created_at < %(before)s
    ORDER BY created_at
    LIMIT %(limit)s
);
