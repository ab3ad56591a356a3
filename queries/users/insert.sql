-- Create an account (its email not verified yet); no row when the email (compared
-- lower-cased) is already taken.
-- returns: one User
INSERT INTO users (id, email, password_hash, display_name)
VALUES (%(id)s, %(email)s, %(password_hash)s, %(display_name)s)
ON CONFLICT ((lower(email))) DO NOTHING
RETURNING id, email, display_name, preferred_weight_unit, version, created_at, updated_at,
    false AS email_verified, NULL::text AS pending_email;
