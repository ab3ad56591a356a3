-- Send one delivery of the caller's subscription again: a new pending delivery of the same
-- event, with the same webhook-id (receivers can tell it is the same message), queued after
-- what is already queued for the subscription. No row: not theirs.
-- Its columns are the fields of webhook_delivery_document (see db/schema.sql).
-- returns: one Delivery
INSERT INTO webhook_deliveries AS d
    (id, subscription_id, user_id, message_id, event_type, payload)
SELECT %(new_id)s, o.subscription_id, o.user_id, o.message_id, o.event_type, o.payload
FROM webhook_deliveries o
WHERE o.id = %(delivery_id)s AND o.subscription_id = %(webhook_id)s AND o.user_id = %(user_id)s
RETURNING (webhook_delivery_document(d)).*;
