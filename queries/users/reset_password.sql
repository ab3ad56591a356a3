-- Set the password of an account from a password-reset token: the token was mailed to the
-- account's email, so that address is verified too. A new version (ETag).
-- returns: one User
UPDATE users u
SET
    password_hash = %(password_hash)s,
    email_verified_at = coalesce(email_verified_at, now()),
    version = version + 1,
    updated_at = now()
WHERE u.id = %(user_id)s
RETURNING u.id, u.email, u.display_name, u.preferred_weight_unit, u.version, u.created_at,
    u.updated_at,
    true AS email_verified,
    (SELECT p.email FROM pending_email_change(u.id, u.email) AS p) AS pending_email;
