-- The progress of a running import, written by its job on a connection of its own (the
-- import's own transaction is not visible until it commits): sessions in the file and
-- sessions written so far.
-- returns: none
UPDATE imports i
SET sessions_total = %(sessions_total)s, sessions_done = %(sessions_done)s,
    updated_at = now(), version = i.version + 1
WHERE i.id = %(import_id)s AND i.user_id = %(user_id)s AND i.status = 'running';
