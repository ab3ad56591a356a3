-- An import's outcome: succeeded with its result (run last in the import's own
-- transaction, so the outcome commits with the data, or not at all), or failed with its
-- error (after the import's transaction rolled back: nothing of the file is written, and
-- the progress goes back to 0). Either way its file is deleted. Nothing happens to an
-- import that has ended already.
-- returns: none
WITH finished AS (
    UPDATE imports i
    SET status = %(status)s, result = %(result)s, error = %(error)s,
        sessions_done = CASE WHEN %(status)s::import_status = 'succeeded'
                             THEN coalesce(i.sessions_total, i.sessions_done) ELSE 0 END,
        finished_at = now(), updated_at = now(), version = i.version + 1
    WHERE i.id = %(import_id)s AND i.user_id = %(user_id)s
      AND i.status IN ('queued', 'running')
    RETURNING i.id
)
DELETE FROM import_files f
WHERE f.user_id = %(user_id)s AND f.import_id IN (SELECT id FROM finished);
