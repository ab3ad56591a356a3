-- The head of one subscription's queue: its oldest pending delivery, whether or not it is
-- due (a later one waits for it), with where to send it and the secrets that sign it now
-- (the previous one only until it expires), and for a change-log event the time of the
-- change (its payload's timestamp; null for tests and resends). No row: nothing pending,
-- or the subscription is gone or disabled.
-- returns: one DueDelivery
SELECT d.id, d.subscription_id, d.user_id, d.message_id, d.event_type, d.payload, d.attempts,
       d.next_attempt_at, d.created_at,
       CASE WHEN d."position" IS NOT NULL THEN (d.payload ->> 'timestamp')::timestamptz
       END AS event_at,
       s.url,
       array_remove(ARRAY[s.secret, CASE WHEN s.previous_secret_expires_at > now()
                                         THEN s.previous_secret END], NULL) AS secrets
FROM webhook_deliveries d
JOIN webhook_subscriptions s ON s.id = d.subscription_id
WHERE d.subscription_id = %(subscription_id)s AND d.status = 'pending' AND s.enabled
ORDER BY d.sequence
LIMIT 1;
