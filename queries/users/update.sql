-- Change the caller's profile and/or password hash (NULL keeps a value), if the account is
-- still at the version the change was based on.
-- returns: one User
UPDATE users
SET
    display_name = coalesce(%(display_name)s, display_name),
    preferred_weight_unit = coalesce(%(preferred_weight_unit)s::weight_unit, preferred_weight_unit),
    password_hash = coalesce(%(password_hash)s, password_hash),
    version = version + 1,
    updated_at = now()
WHERE id = %(user_id)s
    AND version = %(version)s
RETURNING id, email, display_name, preferred_weight_unit, version, created_at, updated_at;
