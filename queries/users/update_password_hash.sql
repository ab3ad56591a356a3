-- Replace a password hash made with outdated parameters by a new hash of the same
-- password (after a successful login); not a change clients see, so version stays.
-- returns: none
UPDATE users
SET password_hash = %(new_hash)s
WHERE id = %(user_id)s
    AND password_hash = %(old_hash)s;
