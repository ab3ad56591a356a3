-- Take the delivery lock of one subscription for this session, if no other session holds
-- it: one sender per subscription at a time, which keeps its deliveries in order. A worker
-- that dies loses its connection and with it the lock. True when taken.
-- returns: scalar
SELECT pg_try_advisory_lock(hashtextextended('webhook:' || %(subscription_id)s::text, 0));
