-- Forget the processed events of every job handler recorded before %(before)s (at most
-- %(limit)s a run): long after any retry of their job could come.
-- returns: none
DELETE FROM processed_events
WHERE (handler, event_id) IN (
    SELECT handler, event_id FROM processed_events
    WHERE processed_at < %(before)s
    ORDER BY processed_at
    LIMIT %(limit)s
);
