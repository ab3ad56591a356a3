-- The caller's account.
-- returns: one User
SELECT id, email, display_name, preferred_weight_unit, version, created_at, updated_at
FROM users
WHERE id = %(user_id)s;
