-- The caller's account with its password hash, to check the current password.
-- returns: one Credentials
SELECT id, email, password_hash, version
FROM users
WHERE id = %(user_id)s;
