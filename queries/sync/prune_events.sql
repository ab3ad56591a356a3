-- Prune the change log, one batch: among the %(batch)s oldest events created before
-- %(before)s (change_events_created_at_idx), take each user's last position, delete that
-- user's events up to it and move their sync_counters.pruned_through there, in this one
-- statement.
-- A prefix of each user's log goes, never a position in the middle: a cursor at or above
-- pruned_through still finds every event after it; an older one is answered 410. The
-- counter rows are locked in user order (FOR UPDATE), so two prunes running at once wait
-- for each other instead of deadlocking; a writer holding one of them delays its user only.
-- Returns the number of events deleted (0: nothing left to prune).
-- returns: scalar
WITH oldest AS (
    SELECT e.user_id, e."position"
    FROM change_events e
    WHERE e.created_at < %(before)s
    ORDER BY e.created_at
    LIMIT %(batch)s
),
expired AS (
    SELECT o.user_id, max(o."position") AS through
    FROM oldest o
    GROUP BY o.user_id
),
locked AS (
    SELECT c.user_id, x.through
    FROM sync_counters c
    JOIN expired x ON x.user_id = c.user_id
    ORDER BY c.user_id
    FOR UPDATE OF c
),
advanced AS (
    UPDATE sync_counters c
    SET pruned_through = greatest(c.pruned_through, l.through)
    FROM locked l
    WHERE c.user_id = l.user_id
),
deleted AS (
    DELETE FROM change_events e
    USING locked l
    WHERE e.user_id = l.user_id AND e."position" <= l.through
    RETURNING 1
)
SELECT count(*) FROM deleted;
