-- Queue a webhook.test delivery to one of the caller's subscriptions (after what is already
-- queued for it). No row: not theirs.
-- Its columns are the fields of webhook_delivery_document (see db/schema.sql).
-- returns: one Delivery
INSERT INTO webhook_deliveries AS d
    (id, subscription_id, user_id, message_id, event_type, payload)
SELECT %(delivery_id)s::uuid, s.id, s.user_id, 'msg_' || %(delivery_id)s::uuid::text, 'webhook.test',
       jsonb_build_object(
           'type', 'webhook.test',
           'timestamp', now(),
           'data', jsonb_build_object('webhook_id', s.id, 'message', 'A test event from Kinetria')
       )
FROM webhook_subscriptions s
WHERE s.id = %(webhook_id)s AND s.user_id = %(user_id)s
RETURNING (webhook_delivery_document(d)).*;
