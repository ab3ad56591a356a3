-- A subscription of the caller as its webhook.disabled change event carries it: the
-- document the API shows (never its secrets).
-- Its columns are the fields of webhook_subscription_document (see db/schema.sql).
-- returns: one Webhook
SELECT (webhook_subscription_document(w)).*
FROM webhook_subscriptions w
WHERE w.id = %(subscription_id)s AND w.user_id = %(user_id)s;
