-- The address a verification token was mailed to is proven: the account's email is now
-- that address (for an email change, the old one is replaced) and verified. A new version;
-- no row when nothing changes (the address was verified already). An address another
-- account took meanwhile breaks users_email_key (the caller answers email_taken).
-- returns: one User
UPDATE users u
SET
    email = %(email)s,
    email_verified_at = CASE
        WHEN u.email = %(email)s THEN coalesce(u.email_verified_at, now())
        ELSE now()
    END,
    version = version + 1,
    updated_at = now()
WHERE u.id = %(user_id)s
    AND NOT (u.email = %(email)s AND u.email_verified_at IS NOT NULL)
RETURNING u.id, u.email, u.display_name, u.preferred_weight_unit, u.version, u.created_at,
    u.updated_at, true AS email_verified, NULL::text AS pending_email;
