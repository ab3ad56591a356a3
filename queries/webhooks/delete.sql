-- Delete one of the caller's webhook subscriptions (its deliveries go with it), if its
-- version is one If-Match accepts (NULL: any).
-- returns: scalar
DELETE FROM webhook_subscriptions
WHERE id = %(webhook_id)s AND user_id = %(user_id)s
  AND (%(if_match)s::integer[] IS NULL OR version = ANY(%(if_match)s::integer[]))
RETURNING id;
