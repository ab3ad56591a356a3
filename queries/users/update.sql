-- Change the caller's profile and/or password hash (NULL keeps a value), if the account is
-- still at the version the change was based on. With none of them, only the version moves
-- (an email change was asked for: the document's pending_email changes).
-- returns: one User
UPDATE users u
SET
    display_name = coalesce(%(display_name)s, display_name),
    preferred_weight_unit = coalesce(%(preferred_weight_unit)s::weight_unit, preferred_weight_unit),
    password_hash = coalesce(%(password_hash)s, password_hash),
    version = version + 1,
    updated_at = now()
WHERE u.id = %(user_id)s
    AND u.version = %(version)s
RETURNING u.id, u.email, u.display_name, u.preferred_weight_unit, u.version, u.created_at,
    u.updated_at,
    u.email_verified_at IS NOT NULL AS email_verified,
    (SELECT p.email FROM pending_email_change(u.id, u.email) AS p) AS pending_email;
