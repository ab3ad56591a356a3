-- Store a new refresh token of a login (only the SHA-256 of the token). A login is a token
-- family: every rotation adds a token to it and keeps created_at, the moment the login
-- began; the token expires after idle_days without use.
-- returns: none
INSERT INTO refresh_tokens (
    id, user_id, family_id, token_hash, device_label, created_at, last_used_at, expires_at
)
VALUES (
    %(id)s,
    %(user_id)s,
    %(family_id)s,
    %(token_hash)s,
    %(device_label)s,
    coalesce(%(login_created_at)s::timestamptz, now()),
    now(),
    now() + make_interval(days => %(idle_days)s::integer)
);
