-- migrate:up
-- squawk-ignore-file prefer-bigint-over-int -- edit and failure counters, not keys
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- Webhook subscriptions: where a user's events are POSTed, which event types, and the
-- secret that signs them (Standard Webhooks, HMAC-SHA256).

-- Why a subscription is disabled: its owner turned it off, or it failed too often in a row
-- (50 consecutive failed deliveries).
CREATE TYPE webhook_disabled_reason AS ENUM ('by_user', 'failures');

COMMENT ON TYPE webhook_disabled_reason IS 'Why a webhook subscription is disabled: turned off by its owner, or after 50 consecutive failed deliveries.';

CREATE TABLE webhook_subscriptions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Where events are POSTed: an absolute http(s) URL (https only in production). Its host
    -- is resolved, and private addresses refused, at each delivery.
    url text NOT NULL,
    -- The change-log event types wanted; NULL: all of them.
    event_types change_event_type[],
    enabled boolean NOT NULL DEFAULT true,
    disabled_reason webhook_disabled_reason,
    description text NOT NULL DEFAULT '',
    -- The signing secret (whsec_ + base64 of 32 random bytes). A secret: the API shows it
    -- only in the answer to the create or rotate that made it, never logs or audits it.
    secret text NOT NULL,
    -- The secret before the latest rotation, still signing (next to the new one) until
    -- previous_secret_expires_at, 24 h after the rotation.
    previous_secret text,
    previous_secret_expires_at timestamptz,
    -- Delivery attempts that failed in a row (a 2xx answer resets it); 50 disables the
    -- subscription.
    consecutive_failures integer NOT NULL DEFAULT 0,
    -- The position in the owner's change log (change_events.position) up to which events
    -- have been looked at for this subscription; it starts at the position of the create,
    -- so a new subscription gets the events after it. Events while disabled are skipped.
    enqueued_through bigint NOT NULL DEFAULT 0,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_subscriptions_url_check CHECK (
        char_length(url) BETWEEN 1 AND 2048 AND url ~ '^https?://'
    ),
    CONSTRAINT webhook_subscriptions_event_types_check CHECK (
        event_types IS NULL OR cardinality(event_types) BETWEEN 1 AND 100
    ),
    CONSTRAINT webhook_subscriptions_disabled_reason_check CHECK (
        enabled = (disabled_reason IS NULL)
    ),
    CONSTRAINT webhook_subscriptions_description_check CHECK (char_length(description) <= 500),
    CONSTRAINT webhook_subscriptions_secret_check CHECK (secret ~ '^whsec_'),
    CONSTRAINT webhook_subscriptions_previous_secret_check CHECK (
        (previous_secret IS NULL) = (previous_secret_expires_at IS NULL)
    ),
    CONSTRAINT webhook_subscriptions_consecutive_failures_check CHECK (consecutive_failures >= 0),
    CONSTRAINT webhook_subscriptions_enqueued_through_check CHECK (enqueued_through >= 0),
    CONSTRAINT webhook_subscriptions_version_check CHECK (version >= 1)
);

COMMENT ON TABLE webhook_subscriptions IS 'Where a user''s events are POSTed (at most 10 per user). secret and previous_secret are secrets. Cascades with the user.';

-- Access paths:
--   a user's subscriptions, oldest first, keyset on (created_at, id); their count (at most
--   10); the ON DELETE CASCADE from users:
--     WHERE user_id = %(user_id)s AND (created_at, id) > (...) ORDER BY created_at, id
--                                  -> webhook_subscriptions_user_id_created_at_id_idx
--   one subscription:  WHERE id = %(id)s AND user_id = %(user_id)s -> webhook_subscriptions_pkey
CREATE INDEX webhook_subscriptions_user_id_created_at_id_idx
    ON webhook_subscriptions (user_id, created_at, id);

-- A subscription as the API shows it (Webhook): everything but the secrets. Every query
-- that answers one selects (webhook_subscription_document(w)).*.
CREATE TYPE webhook_subscription_document AS (
    id uuid,
    url text,
    event_types text[],  -- text: psycopg reads an array of ENUM values as one string
    enabled boolean,
    disabled_reason webhook_disabled_reason,
    description text,
    previous_secret_expires_at timestamptz,
    consecutive_failures integer,
    version integer,
    created_at timestamptz,
    updated_at timestamptz
);

COMMENT ON TYPE webhook_subscription_document IS 'A webhook subscription as the API shows it (Webhook), without its secrets; built by webhook_subscription_document(webhook_subscriptions).';

-- previous_secret_expires_at is shown only while it is in the future.
CREATE FUNCTION webhook_subscription_document(w webhook_subscriptions)
    RETURNS webhook_subscription_document
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN ROW(
        w.id, w.url, w.event_types::text[], w.enabled, w.disabled_reason, w.description,
        CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret_expires_at END,
        w.consecutive_failures, w.version, w.created_at, w.updated_at
    )::webhook_subscription_document;

COMMENT ON FUNCTION webhook_subscription_document(webhook_subscriptions) IS 'A webhook subscription as the API shows it: never its secrets.';

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION webhook_subscription_document(webhook_subscriptions);
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE webhook_subscription_document;
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE webhook_subscriptions;
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE webhook_disabled_reason;
