-- Append the caller's events (a JSON array of {event_type, entity_id, version, document},
-- in order) to the change log, inside the transaction of the change they record.
--
-- The upsert of the user's sync_counters row reserves the next positions and keeps that
-- row locked until the transaction ends: a second transaction of the same user waits here
-- until the first has committed (or rolled back, which hands its positions out again).
-- So one user's positions are gap-free and in commit order: a reader that has seen
-- position p never later finds a committed event below p.
-- returns: none
WITH counter AS (
    INSERT INTO sync_counters AS c (user_id, last_position)
    VALUES (%(user_id)s, jsonb_array_length(%(events)s::jsonb))
    ON CONFLICT (user_id) DO UPDATE
        SET last_position = c.last_position + jsonb_array_length(%(events)s::jsonb)
    RETURNING c.last_position - jsonb_array_length(%(events)s::jsonb) AS before
)
INSERT INTO change_events
    (user_id, "position", event_type, entity_type, entity_id, version, document, request_id)
SELECT %(user_id)s, counter.before + item.ord, x.event_type,
       split_part(x.event_type::text, '.', 1)::change_entity_type,
       x.entity_id, x.version, x.document, %(request_id)s
FROM counter
CROSS JOIN jsonb_array_elements(%(events)s::jsonb) WITH ORDINALITY AS item (doc, ord)
CROSS JOIN LATERAL jsonb_to_record(item.doc)
    AS x (event_type change_event_type, entity_id uuid, version integer, document jsonb);
