-- A delivery answered with a 2xx: delivered, and its subscription's count of failures in a
-- row starts again. status_code NULL: recorded as processed by an earlier run (keep the code).
-- returns: none
WITH delivery AS (
    UPDATE webhook_deliveries
    SET status = 'delivered', attempts = attempts + 1,
        last_status_code = coalesce(%(status_code)s::integer, last_status_code),
        last_error = NULL, delivered_at = now(), updated_at = now()
    WHERE id = %(delivery_id)s AND status = 'pending'
    RETURNING subscription_id
)
UPDATE webhook_subscriptions s
SET consecutive_failures = 0
FROM delivery
WHERE s.id = delivery.subscription_id AND s.consecutive_failures <> 0;
