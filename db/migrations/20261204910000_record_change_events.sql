-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- The append to the change log that the import statements (queries/imports/insert_*.sql)
-- make for what they create, defined once. It does what queries/sync/record.sql does for
-- the API's own writes: the upsert of the user's sync_counters row reserves the next
-- positions and keeps that row locked until the transaction ends, so one user's positions
-- are gap-free and in commit order. An empty list (or NULL) writes nothing and locks nothing.
--
-- The events are a composite array, built with array_agg(... ORDER BY ...) from the rows the
-- statement inserts, so no document is encoded and parsed again on the way. The function
-- writes: it stays a call, once per statement (tests/test_queries.py NOT_INLINED).

CREATE TYPE change_event_input AS (
    event_type change_event_type,
    entity_id uuid,
    version integer,
    document jsonb
);

COMMENT ON TYPE change_event_input IS 'One event for record_change_events: its type (the entity type is its prefix), the entity, its new version and its document (NULL for a delete).';

CREATE FUNCTION record_change_events(owner uuid, events change_event_input[], request text)
    RETURNS integer
    LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH counter AS (
        INSERT INTO sync_counters AS c (user_id, last_position)
        SELECT owner, cardinality(events)
        WHERE cardinality(events) > 0
        ON CONFLICT (user_id) DO UPDATE
            SET last_position = c.last_position + excluded.last_position
        RETURNING c.last_position - cardinality(events) AS before
    ),
    recorded AS (
        INSERT INTO change_events
            (user_id, "position", event_type, entity_type, entity_id, version, document,
             request_id)
        SELECT owner, counter.before + item.ord, item.event_type,
               split_part(item.event_type::text, '.', 1)::change_entity_type,
               item.entity_id, item.version, item.document, request
        FROM counter
        CROSS JOIN unnest(events) WITH ORDINALITY
            AS item (event_type, entity_id, version, document, ord)
        RETURNING 1
    )
    SELECT count(*)::integer FROM recorded;
END;

COMMENT ON FUNCTION record_change_events(uuid, change_event_input[], text) IS 'Append the events, in order, to the change log of the user owner, at the positions after the last one (locking the user''s sync_counters row until the transaction ends); the number recorded.';

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION record_change_events(uuid, change_event_input[], text);
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE change_event_input;
