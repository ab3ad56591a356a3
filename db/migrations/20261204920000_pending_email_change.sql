-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- The address of an account's pending email change, defined once for the queries that
-- return the account (users/get, users/update, users/reset_password: User.pending_email):
-- the address a verification token was mailed to, while the token is live and the address
-- is not the account's own (account_tokens_pkey). No row when there is none.
--
-- A set-returning function of one SELECT in LANGUAGE sql, neither STRICT nor SECURITY
-- DEFINER nor VOLATILE, so the planner inlines it where a query calls it in FROM
-- (`(SELECT p.email FROM pending_email_change(u.id, u.email) AS p)`), as if the subquery
-- were written out in it (tests/test_queries.py checks every plan).
CREATE FUNCTION pending_email_change(owner uuid, current_email text)
    RETURNS TABLE (email text)
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT t.email
    FROM account_tokens t
    WHERE t.user_id = owner
        AND t.purpose = 'verify_email'
        AND t.expires_at > now()
        AND t.email <> current_email;
END;

COMMENT ON FUNCTION pending_email_change(uuid, text) IS 'The address of the account''s pending email change (its live verification token mailed to another address); no row when none.';

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION pending_email_change(uuid, text);
