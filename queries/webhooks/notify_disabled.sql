-- Tell a user that one of their subscriptions was disabled after failing: a webhook.disabled
-- delivery to each of their other enabled subscriptions (whatever event types they want).
-- returns: many SubscriptionId
INSERT INTO webhook_deliveries (id, subscription_id, user_id, message_id, event_type, payload)
SELECT gen_random_uuid(), s.id, s.user_id, 'msg_' || gen_random_uuid()::text, 'webhook.disabled',
       jsonb_build_object(
           'type', 'webhook.disabled',
           'timestamp', now(),
           'data', jsonb_build_object(
               'webhook_id', f.id,
               'url', f.url,
               'reason', 'failures',
               'consecutive_failures', f.consecutive_failures
           )
       )
FROM webhook_subscriptions f
JOIN webhook_subscriptions s ON s.user_id = f.user_id AND s.id <> f.id AND s.enabled
WHERE f.id = %(subscription_id)s
RETURNING subscription_id AS id;
