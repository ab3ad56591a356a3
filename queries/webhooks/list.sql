-- One page of the caller's webhook subscriptions, oldest first, keyset on (created_at, id).
-- Its columns are the fields of webhook_subscription_document (see db/schema.sql).
-- returns: many Webhook
SELECT (webhook_subscription_document(w)).*
FROM webhook_subscriptions w
WHERE w.user_id = %(user_id)s
  -- the first page starts before the smallest possible key, so this is always an index
  -- condition, also in a generic plan of the prepared statement
  AND (w.created_at, w.id) > (coalesce(%(after_created_at)s::timestamptz, '-infinity'),
                              coalesce(%(after_id)s::uuid, '00000000-0000-0000-0000-000000000000'))
ORDER BY w.created_at, w.id
LIMIT %(limit)s;
