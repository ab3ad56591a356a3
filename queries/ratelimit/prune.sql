-- Delete the windows that have expired: the next request of their subject starts a new one
-- anyway (rate_limit_counters_expires_at_idx finds them). Run now and then, not per request.
-- returns: none
DELETE FROM rate_limit_counters
WHERE expires_at <= now();
