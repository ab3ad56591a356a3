-- The caller's account, with whether its email is verified and the address of a pending
-- email change (pending_email_change: a verification token mailed to another address).
-- returns: one User
SELECT u.id, u.email, u.display_name, u.preferred_weight_unit, u.version, u.created_at,
    u.updated_at,
    u.email_verified_at IS NOT NULL AS email_verified,
    (SELECT p.email FROM pending_email_change(u.id, u.email) AS p) AS pending_email
FROM users u
WHERE u.id = %(user_id)s;
