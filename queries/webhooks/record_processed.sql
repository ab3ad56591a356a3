-- Record that a job handler processed an event, in the transaction of its effect. No row
-- when it was already recorded.
-- returns: scalar
INSERT INTO processed_events (handler, event_id)
VALUES (%(handler)s, %(event_id)s)
ON CONFLICT DO NOTHING
RETURNING event_id;
