-- The account a login names, with its password hash (users_email_key).
-- returns: one Credentials
SELECT id, email, password_hash, version
FROM users
WHERE lower(email) = lower(%(email)s);
