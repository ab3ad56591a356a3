-- Whether an account has this email, compared lower-cased (users_email_key).
-- returns: scalar
SELECT EXISTS (
    SELECT 1
    FROM users
    WHERE lower(email) = lower(%(email)s)
) AS taken;
