-- An attempt that failed (no answer, or not a 2xx): counted, with its status code or error;
-- the next attempt at next_attempt_at, or, when that would be past give_up_at, the
-- delivery failed for good. The subscription counts the failure; at max_failures in a row it
-- is disabled (reason failures). Returns whether this attempt disabled it.
-- returns: scalar
WITH delivery AS (
    UPDATE webhook_deliveries
    SET attempts = attempts + 1, last_status_code = %(status_code)s,
        last_error = left(%(error)s, 1000),
        status = CASE WHEN %(next_attempt_at)s::timestamptz > %(give_up_at)s::timestamptz
                      THEN 'failed' ELSE 'pending' END::webhook_delivery_status,
        next_attempt_at = %(next_attempt_at)s, updated_at = now()
    WHERE id = %(delivery_id)s AND status = 'pending'
    RETURNING subscription_id
)
UPDATE webhook_subscriptions s
SET consecutive_failures = s.consecutive_failures + 1,
    enabled = s.enabled AND s.consecutive_failures + 1 < %(max_failures)s,
    disabled_reason = CASE WHEN s.enabled AND s.consecutive_failures + 1 >= %(max_failures)s
                           THEN 'failures' ELSE s.disabled_reason END::webhook_disabled_reason,
    version = s.version + CASE WHEN s.enabled AND s.consecutive_failures + 1 >= %(max_failures)s
                               THEN 1 ELSE 0 END,
    updated_at = now()
FROM delivery
WHERE s.id = delivery.subscription_id
RETURNING NOT s.enabled AND s.consecutive_failures = %(max_failures)s;
