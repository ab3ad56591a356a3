-- One page of the delivery log of one of the caller's subscriptions, newest first, keyset
-- on sequence.
-- Its columns are the fields of webhook_delivery_document (see db/schema.sql).
-- returns: many Delivery
SELECT (webhook_delivery_document(d)).*
FROM webhook_deliveries d
WHERE d.subscription_id = %(webhook_id)s AND d.user_id = %(user_id)s
  AND d.sequence < coalesce(%(before_sequence)s::bigint, 9223372036854775807)
ORDER BY d.sequence DESC
LIMIT %(limit)s;
