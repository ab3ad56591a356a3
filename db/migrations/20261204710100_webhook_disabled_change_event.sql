-- migrate:up transaction:false
-- A subscription disabled after 50 failed delivery attempts in a row is recorded in its
-- owner's change log as a `webhook.disabled` event about the entity `webhook` (the
-- subscription, as the API shows it, without its secrets). The sync feed carries it, and
-- the fan-out sends it to the user's other enabled subscriptions.
-- Outside a transaction: a value added by ADD VALUE cannot be used before it commits.
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TYPE change_entity_type ADD VALUE IF NOT EXISTS 'webhook' AFTER 'body_measurement';
ALTER TYPE change_event_type ADD VALUE IF NOT EXISTS 'webhook.disabled'
    AFTER 'body_measurement.deleted';
RESET statement_timeout;
RESET lock_timeout;

-- migrate:down
-- PostgreSQL cannot drop an ENUM value: both types are rebuilt without it, after the rows
-- that use it are gone. A subscription whose only wanted type was webhook.disabled is
-- turned off (by_user) rather than left wanting every event.
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
DELETE FROM change_events WHERE event_type = 'webhook.disabled';
DELETE FROM sync_snapshot_items WHERE entity_type = 'webhook';
UPDATE webhook_subscriptions
SET event_types = NULL, enabled = false, disabled_reason = 'by_user', version = version + 1,
    updated_at = now()
WHERE event_types = ARRAY['webhook.disabled']::change_event_type[];
UPDATE webhook_subscriptions
SET event_types = array_remove(event_types, 'webhook.disabled'), version = version + 1,
    updated_at = now()
WHERE 'webhook.disabled' = ANY(event_types);

-- squawk-ignore renaming-object -- the old type is dropped below, once nothing uses it
ALTER TYPE change_event_type RENAME TO change_event_type_with_webhook;
CREATE TYPE change_event_type AS ENUM (
    'exercise.created',
    'exercise.updated',
    'exercise.deleted',
    'workout.created',
    'workout.updated',
    'workout.deleted',
    'session.created',
    'session.updated',
    'session.completed',
    'session.abandoned',
    'session.deleted',
    'set.created',
    'set.updated',
    'set.deleted',
    'profile.updated',
    'body_measurement.created',
    'body_measurement.updated',
    'body_measurement.deleted'
);
-- squawk-ignore renaming-object -- the old type is dropped below, once nothing uses it
ALTER TYPE change_entity_type RENAME TO change_entity_type_with_webhook;
CREATE TYPE change_entity_type AS ENUM (
    'exercise',
    'workout',
    'session',
    'set',
    'profile',
    'body_measurement'
);
-- squawk-ignore changing-column-type -- rolling back: the same values, in the type without the added one
ALTER TABLE change_events ALTER COLUMN event_type TYPE change_event_type USING event_type::text::change_event_type;
-- squawk-ignore changing-column-type -- rolling back: the same values, in the type without the added one
ALTER TABLE change_events ALTER COLUMN entity_type TYPE change_entity_type USING entity_type::text::change_entity_type;
-- squawk-ignore changing-column-type -- rolling back: the same values, in the type without the added one
ALTER TABLE sync_snapshot_items ALTER COLUMN entity_type TYPE change_entity_type USING entity_type::text::change_entity_type;
-- webhook_subscription_document reads event_types: it is made again once the column changed
-- squawk-ignore ban-drop-function -- re-created unchanged just below
DROP FUNCTION webhook_subscription_document(webhook_subscriptions);
-- squawk-ignore changing-column-type -- rolling back: the same values, in the type without the added one
ALTER TABLE webhook_subscriptions ALTER COLUMN event_types TYPE change_event_type[] USING event_types::text[]::change_event_type[];
CREATE FUNCTION webhook_subscription_document(w webhook_subscriptions)
    RETURNS webhook_subscription_document
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN ROW(
        w.id, w.url, w.event_types::text[], w.enabled, w.disabled_reason, w.description,
        CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret_expires_at END,
        w.consecutive_failures, w.version, w.created_at, w.updated_at
    )::webhook_subscription_document;
COMMENT ON FUNCTION webhook_subscription_document(webhook_subscriptions) IS 'A webhook subscription as the API shows it: never its secrets.';
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path added
DROP TYPE change_event_type_with_webhook;
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path added
DROP TYPE change_entity_type_with_webhook;
