-- The job takes its import: status running (again, when a retried job finds it running:
-- its earlier attempt's transaction was rolled back), one more attempt, and the file with
-- the import's parameters. No row when the import has ended (its file is gone): a job run
-- twice has the effect of once.
-- returns: one ImportWork
WITH started AS (
    UPDATE imports i
    SET status = 'running', attempts = i.attempts + 1, sessions_total = NULL,
        sessions_done = 0, started_at = coalesce(i.started_at, now()), updated_at = now(),
        version = i.version + 1
    WHERE i.id = %(import_id)s AND i.user_id = %(user_id)s
      AND i.status IN ('queued', 'running')
    RETURNING i.id, i.format, i.timezone, i.weight_unit, i.distance_unit, i.dry_run,
              i.request_id
)
SELECT s.format, s.timezone, s.weight_unit, s.distance_unit, s.dry_run, s.request_id,
       f.content
FROM started s
JOIN import_files f ON f.import_id = s.id AND f.user_id = %(user_id)s;
