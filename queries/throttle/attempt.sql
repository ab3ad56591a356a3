-- Count one login attempt for an account before its password is checked, in one atomic
-- upsert so that every worker and replica sees the same count and parallel guesses cannot
-- slip past the limit. A new window starts once the old one (or the lock) is over; the
-- attempt after max_failures in a window locks the account for window_s seconds; attempts
-- while locked are not counted. retry_after_s is set while locked; just_locked only for
-- the attempt that set the lock (now() is the same within one transaction).
-- returns: one ThrottleState
INSERT INTO login_throttle AS t (email_hash, attempts, window_started_at)
VALUES (%(email_hash)s, 1, now())
ON CONFLICT (email_hash) DO UPDATE SET
    attempts = CASE
        WHEN t.locked_until > now() THEN t.attempts
        WHEN t.window_started_at <= now() - make_interval(secs => %(window_s)s::integer) THEN 1
        ELSE t.attempts + 1
    END,
    window_started_at = CASE
        WHEN t.locked_until > now() THEN t.window_started_at
        WHEN t.window_started_at <= now() - make_interval(secs => %(window_s)s::integer) THEN now()
        ELSE t.window_started_at
    END,
    locked_until = CASE
        WHEN t.locked_until > now() THEN t.locked_until
        WHEN t.window_started_at > now() - make_interval(secs => %(window_s)s::integer)
            AND t.attempts + 1 > %(max_failures)s::integer
            THEN now() + make_interval(secs => %(window_s)s::integer)
    END
RETURNING
    t.attempts,
    CASE WHEN t.locked_until > now()
        THEN ceil(extract(epoch FROM t.locked_until - now()))::integer
    END AS retry_after_s,
    coalesce(t.locked_until = now() + make_interval(secs => %(window_s)s::integer), false)
        AS just_locked;
