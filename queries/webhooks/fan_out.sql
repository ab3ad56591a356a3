-- Turn new change-log events into deliveries: for up to %(batch)s subscriptions whose
-- owner's change log has grown past enqueued_through (and that no other worker is fanning
-- out right now), one pending delivery per new event of a type the subscription wants, in
-- change-log order; then enqueued_through moves to the position read. A disabled
-- subscription skips its events. A webhook.disabled event (another subscription of the
-- user turned off after failures) goes whatever event types the subscription wants. The counter row and the events are read in one snapshot,
-- and positions follow commit order (see sync_counters), so no event below the position
-- read can commit later. Returns the subscriptions that got deliveries.
-- returns: many SubscriptionId
WITH due AS (
    SELECT s.id, s.user_id, s.enabled, s.event_types, s.enqueued_through, c.last_position
    FROM webhook_subscriptions s
    JOIN sync_counters c ON c.user_id = s.user_id
    WHERE c.last_position > s.enqueued_through
    ORDER BY s.id
    LIMIT %(batch)s
    FOR UPDATE OF s SKIP LOCKED
), advanced AS (
    UPDATE webhook_subscriptions s
    SET enqueued_through = d.last_position
    FROM due d
    WHERE s.id = d.id
), inserted AS (
    INSERT INTO webhook_deliveries
        (id, subscription_id, user_id, message_id, "position", event_type, payload)
    SELECT gen_random_uuid(), d.id, d.user_id,
           'msg_' || md5(d.id::text || ':' || e."position")::uuid::text,
           e."position", e.event_type::text,
           jsonb_build_object(
               'type', e.event_type,
               'timestamp', e.created_at,
               'data', jsonb_build_object(
                   'position', e."position",
                   'entity_type', e.entity_type,
                   'entity_id', e.entity_id,
                   'version', e.version,
                   'document', e.document
               )
           )
    FROM due d
    JOIN change_events e
      ON e.user_id = d.user_id
     AND e."position" > d.enqueued_through AND e."position" <= d.last_position
    WHERE d.enabled AND e.history IS NULL
      AND (d.event_types IS NULL OR e.event_type = ANY(d.event_types)
           OR e.event_type = 'webhook.disabled')
    ORDER BY d.id, e."position"
    ON CONFLICT (subscription_id, "position") WHERE "position" IS NOT NULL DO NOTHING
    RETURNING subscription_id
)
SELECT DISTINCT subscription_id AS id FROM inserted;
