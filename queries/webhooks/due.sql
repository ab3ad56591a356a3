-- Subscriptions with a pending delivery due now (at most %(limit)s): what the worker's sweep
-- hands to delivery jobs, so a retry comes when it is due and a job lost with a killed
-- worker is made again.
-- returns: many SubscriptionId
SELECT DISTINCT d.subscription_id AS id
FROM webhook_deliveries d
WHERE d.status = 'pending' AND d.next_attempt_at <= now()
LIMIT %(limit)s;
