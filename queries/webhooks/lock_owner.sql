-- Lock the caller's user row until the transaction ends, so that concurrent creates of
-- their webhook subscriptions count one after the other (at most 10). FOR NO KEY UPDATE
-- leaves foreign-key checks on the row (FOR KEY SHARE) unblocked.
-- returns: scalar
SELECT id FROM users WHERE id = %(user_id)s FOR NO KEY UPDATE;
