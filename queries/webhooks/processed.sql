-- Whether a job handler has already processed an event (its effect is committed).
-- returns: scalar
SELECT EXISTS (
    SELECT FROM processed_events WHERE handler = %(handler)s AND event_id = %(event_id)s
);
