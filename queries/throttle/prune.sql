-- Delete the rows of every account whose window and lock are over: their next attempt
-- would start afresh anyway (login_throttle_window_started_at_idx finds them).
-- returns: none
DELETE FROM login_throttle
WHERE window_started_at <= now() - make_interval(secs => %(window_s)s::integer)
    AND (locked_until IS NULL OR locked_until <= now());
