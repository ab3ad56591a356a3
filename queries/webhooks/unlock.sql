-- Give back the delivery lock of one subscription (see try_lock).
-- returns: scalar
SELECT pg_advisory_unlock(hashtextextended('webhook:' || %(subscription_id)s::text, 0));
