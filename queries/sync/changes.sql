-- One page of the caller's change feed: the events after position %(after)s, oldest first,
-- at most %(limit)s (the caller asks for one more than it serves, to know whether more
-- follow), each as the JSON object the feed serves, together with the user's counter as
-- the same statement saw it (what has been pruned, the last position handed out), so the
-- page and the expiry check agree. Reads the primary key (user_id, position).
-- Rows moved from the audit log (history) are never served: they lie at or below
-- pruned_through.
-- returns: one FeedRead
SELECT coalesce(c.pruned_through, 0) AS pruned_through,
       coalesce(c.last_position, 0) AS last_position,
       coalesce((
           SELECT json_agg(json_build_object(
                      'position', e."position",
                      'event_type', e.event_type,
                      'entity_type', e.entity_type,
                      'entity_id', e.entity_id,
                      'version', e.version,
                      'document', e.document,
                      'created_at', e.created_at
                  ) ORDER BY e."position")
           FROM (
               SELECT ce."position", ce.event_type, ce.entity_type, ce.entity_id, ce.version,
                      ce.document, ce.created_at
               FROM change_events ce
               WHERE ce.user_id = %(user_id)s AND ce."position" > %(after)s
                 AND ce.history IS NULL
               ORDER BY ce."position"
               LIMIT %(limit)s
           ) AS e
       ), '[]')::text AS events
FROM (SELECT %(user_id)s::uuid AS user_id) AS caller
LEFT JOIN sync_counters c ON c.user_id = caller.user_id;
