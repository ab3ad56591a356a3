-- Count one request against a rate-limit policy for a subject (a client address or a user
-- id), in one atomic upsert so that every worker and replica sees the same count. The first
-- request after a window expired starts a new one of window_s seconds; requests past the
-- quota are counted too (the window does not move). The caller compares hits with the quota;
-- reset_s is the number of seconds until the window ends (at least 1).
-- returns: one RateLimitHit
INSERT INTO rate_limit_counters AS c (policy, subject, hits, expires_at)
VALUES (
    %(policy)s, %(subject)s, 1, now() + make_interval(secs => %(window_s)s::integer)
)
ON CONFLICT (policy, subject) DO UPDATE SET
    hits = CASE WHEN c.expires_at <= now() THEN 1 ELSE c.hits + 1 END,
    expires_at = CASE WHEN c.expires_at <= now() THEN excluded.expires_at ELSE c.expires_at END
RETURNING
    c.hits,
    greatest(1, ceil(extract(epoch FROM c.expires_at - now())))::integer AS reset_s;
