-- Cancel the account's pending email change (after its password changed): delete a
-- verification token mailed to another address than the account's (account_tokens_pkey).
-- returns: none
DELETE FROM account_tokens t
USING users u
WHERE t.user_id = %(user_id)s
    AND u.id = %(user_id)s
    AND t.purpose = 'verify_email'
    AND t.email <> u.email;
