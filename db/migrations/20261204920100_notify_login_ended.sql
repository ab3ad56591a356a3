-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- The notification that a login has ended, defined once for every statement that ends one
-- (a logout, a revoked login or family, the other logins after a password change, a
-- revoked API key, a deleted account): on channel kinetria_logins_ended, when the
-- transaction commits, `{"user_id": ..., "login_id": ...}` (login_id null: every login of
-- the user), which every server's listener reads (app/core/ended_logins.py). Called once
-- per login ended, in FROM: `FROM ended, LATERAL notify_login_ended(ended.user_id,
-- ended.family_id) AS notified`.
CREATE FUNCTION notify_login_ended(owner uuid, login uuid)
    RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify(
        'kinetria_logins_ended', json_build_object('user_id', owner, 'login_id', login)::text
    );
END;
$$;

COMMENT ON FUNCTION notify_login_ended(uuid, uuid) IS 'Tell every server, at commit, that a login (NULL: every login) of the user has ended (channel kinetria_logins_ended).';

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION notify_login_ended(uuid, uuid);
