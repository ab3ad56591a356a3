-- migrate:up
-- squawk-ignore-file prefer-bigint-over-int -- hits is a small counter reset every window, not a key
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- Rate limits (abuse limits) shared by every worker and replica: one fixed-window counter
-- per policy and subject. The subject is a client address (an IPv4 address or an IPv6 /64)
-- for the public account routes, or a user id for writes and statistics. Each limited
-- request counts itself with one upsert (queries/ratelimit/hit.sql): a new window of
-- window_s seconds starts at the first request after the old one expired, and a request
-- whose count passes the policy's quota is refused (429) until expires_at.
--
-- UNLOGGED, on purpose: every limited request (every write of every user) updates a row
-- here, and an unlogged table writes no WAL for it, which makes the upsert the cheapest
-- write PostgreSQL can do. What that gives up is acceptable for an abuse brake and nothing
-- else is kept here: after a crash the table comes back empty (every window starts afresh),
-- and standbys do not have its rows (after a failover the counters start afresh too). No
-- one reads it from a standby. Never put anything here that must survive a crash.
--
-- fillfactor 70 leaves room on each page so that counting within a window (only hits
-- changes, no indexed column) is a HOT update that touches no index.
CREATE UNLOGGED TABLE rate_limit_counters (
    policy text NOT NULL,
    subject text NOT NULL,
    hits integer NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT rate_limit_counters_pkey PRIMARY KEY (policy, subject),
    CONSTRAINT rate_limit_counters_policy_check CHECK (char_length(policy) BETWEEN 1 AND 32),
    CONSTRAINT rate_limit_counters_subject_check CHECK (char_length(subject) BETWEEN 1 AND 64),
    CONSTRAINT rate_limit_counters_hits_check CHECK (hits >= 1)
) WITH (fillfactor = 70);

COMMENT ON TABLE rate_limit_counters IS 'Rate-limit windows: requests (hits) per policy and subject (client address or user id) until expires_at. Unlogged: emptied by a crash, absent on standbys.';

-- Access paths:
--   count a request:        WHERE (policy, subject) = ...    -> rate_limit_counters_pkey
--   delete expired windows: WHERE expires_at <= now()        -> rate_limit_counters_expires_at_idx
CREATE INDEX rate_limit_counters_expires_at_idx ON rate_limit_counters (expires_at);

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE rate_limit_counters;
