-- The id of the caller's session in progress, if any.
-- returns: scalar
SELECT id FROM sessions WHERE user_id = %(user_id)s AND status = 'in_progress';
