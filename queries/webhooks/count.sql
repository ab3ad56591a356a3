-- How many webhook subscriptions the caller has.
-- returns: scalar
SELECT count(*) FROM webhook_subscriptions WHERE user_id = %(user_id)s;
