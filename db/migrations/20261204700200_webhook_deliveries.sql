-- migrate:up
-- squawk-ignore-file prefer-bigint-over-int -- attempt counts and HTTP status codes, not keys
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- Webhook deliveries: one row per event to POST to one subscription, with its attempts;
-- and the events each background job handler has processed.

-- Where a delivery stands: waiting for its (next) attempt, answered with a 2xx, or given
-- up after about 24 hours of retries.
CREATE TYPE webhook_delivery_status AS ENUM ('pending', 'delivered', 'failed');

COMMENT ON TYPE webhook_delivery_status IS 'Where a webhook delivery stands: pending (its next attempt is due at next_attempt_at), delivered (a 2xx answer), failed (retried for about 24 h).';

CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY,
    subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The order deliveries of a subscription are sent in: change-log order.
    sequence bigint GENERATED ALWAYS AS IDENTITY,
    -- The webhook-id header: the same on every attempt of this event, and on a delivery
    -- sent again with POST .../retry, so receivers can drop what they already have.
    message_id text NOT NULL,
    -- The change-log position of the event (NULL for webhook.test and webhook.disabled).
    "position" bigint,
    event_type text NOT NULL,
    -- The JSON body POSTed: {"type", "timestamp", "data"} (Standard Webhooks).
    payload jsonb NOT NULL,
    status webhook_delivery_status NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0,
    last_status_code integer,
    last_error text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_deliveries_attempts_check CHECK (attempts >= 0),
    CONSTRAINT webhook_deliveries_last_status_code_check
        CHECK (last_status_code BETWEEN 100 AND 599),
    CONSTRAINT webhook_deliveries_last_error_check CHECK (char_length(last_error) <= 1000),
    CONSTRAINT webhook_deliveries_delivered_check
        CHECK ((status = 'delivered') = (delivered_at IS NOT NULL)),
    CONSTRAINT webhook_deliveries_message_id_check CHECK (char_length(message_id) <= 64)
);

COMMENT ON TABLE webhook_deliveries IS 'Each event POSTed (or to POST) to a webhook subscription, with its attempts. Cascades with the subscription and the user.';

-- Access paths:
--   the head of a subscription's queue (the worker):
--     WHERE subscription_id = %(s)s AND status = 'pending' ORDER BY sequence LIMIT 1
--                                  -> webhook_deliveries_pending_idx
--   subscriptions with a delivery due (the worker's sweep):
--     WHERE status = 'pending' AND next_attempt_at <= now()
--                                  -> webhook_deliveries_pending_idx is small (pending only)
--   a subscription's delivery log, newest first, keyset on sequence; the ON DELETE CASCADE
--   from webhook_subscriptions:
--     WHERE subscription_id = %(s)s AND sequence < %(before)s ORDER BY sequence DESC
--                                  -> webhook_deliveries_subscription_id_sequence_idx
--   one event of a subscription once (the fan-out's ON CONFLICT):
--                                  -> webhook_deliveries_subscription_id_position_key
--   the ON DELETE CASCADE from users -> webhook_deliveries_user_id_idx
CREATE INDEX webhook_deliveries_pending_idx
    ON webhook_deliveries (subscription_id, sequence) INCLUDE (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subscription_id_sequence_idx
    ON webhook_deliveries (subscription_id, sequence DESC);
CREATE UNIQUE INDEX webhook_deliveries_subscription_id_position_key
    ON webhook_deliveries (subscription_id, "position") WHERE "position" IS NOT NULL;
--   pruning what is no longer pending, oldest first:
--     WHERE status <> 'pending' AND created_at < %(before)s ORDER BY created_at
--                                  -> webhook_deliveries_done_created_at_idx
CREATE INDEX webhook_deliveries_user_id_idx ON webhook_deliveries (user_id);
CREATE INDEX webhook_deliveries_done_created_at_idx
    ON webhook_deliveries (created_at) WHERE status <> 'pending';

-- A delivery as the API shows it (Delivery). Every query that answers one selects
-- (webhook_delivery_document(d)).*.
CREATE TYPE webhook_delivery_document AS (
    id uuid,
    sequence bigint,
    message_id text,
    event_type text,
    "position" bigint,
    payload jsonb,
    status webhook_delivery_status,
    attempts integer,
    last_status_code integer,
    last_error text,
    next_attempt_at timestamptz,
    delivered_at timestamptz,
    created_at timestamptz,
    updated_at timestamptz
);

COMMENT ON TYPE webhook_delivery_document IS 'A webhook delivery as the API shows it (Delivery); built by webhook_delivery_document(webhook_deliveries).';

-- next_attempt_at only while the delivery is pending.
CREATE FUNCTION webhook_delivery_document(d webhook_deliveries)
    RETURNS webhook_delivery_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW(
        d.id, d.sequence, d.message_id, d.event_type, d."position", d.payload, d.status,
        d.attempts, d.last_status_code, d.last_error,
        CASE WHEN d.status = 'pending' THEN d.next_attempt_at END,
        d.delivered_at, d.created_at, d.updated_at
    )::webhook_delivery_document;

COMMENT ON FUNCTION webhook_delivery_document(webhook_deliveries) IS 'A webhook delivery as the API shows it.';

-- The events a job handler has processed, written in the transaction of its effect, so a
-- job run twice (a retry after a crash, a duplicate) has the effect of once.
CREATE TABLE processed_events (
    handler text NOT NULL,
    event_id text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (handler, event_id),
    CONSTRAINT processed_events_handler_check CHECK (char_length(handler) BETWEEN 1 AND 100),
    CONSTRAINT processed_events_event_id_check CHECK (char_length(event_id) BETWEEN 1 AND 200)
);

COMMENT ON TABLE processed_events IS 'Which events each background job handler has processed (its effect committed), so running a job twice has the effect of once.';

-- Access paths:
--   has this handler processed this event:  WHERE handler = %(h)s AND event_id = %(e)s -> pkey
--   pruning old rows:  WHERE processed_at < %(before)s -> processed_events_processed_at_idx
CREATE INDEX processed_events_processed_at_idx ON processed_events (processed_at);

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE processed_events;
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION webhook_delivery_document(webhook_deliveries);
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE webhook_delivery_document;
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE webhook_deliveries;
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE webhook_delivery_status;
