-- Forget an account's login attempts (after a successful login or password check).
-- returns: none
DELETE FROM login_throttle
WHERE email_hash = %(email_hash)s;
