-- The caller's account, with whether its email is verified and the address of a pending
-- email change (mailed a verification token not used yet; account_tokens_pkey).
-- returns: one User
SELECT u.id, u.email, u.display_name, u.preferred_weight_unit, u.version, u.created_at,
    u.updated_at,
    u.email_verified_at IS NOT NULL AS email_verified,
    (
        SELECT t.email
        FROM account_tokens t
        WHERE t.user_id = %(user_id)s
            AND t.purpose = 'verify_email'
            AND t.expires_at > now()
            AND t.email <> u.email
    ) AS pending_email
FROM users u
WHERE u.id = %(user_id)s;
