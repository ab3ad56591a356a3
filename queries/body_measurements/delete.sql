-- Delete one of the caller's body measurements, if its version is one If-Match accepts
-- (NULL: any).
-- returns: scalar
DELETE FROM body_measurements
WHERE id = %(measurement_id)s AND user_id = %(user_id)s
  AND (%(if_match)s::integer[] IS NULL OR version = ANY(%(if_match)s::integer[]))
RETURNING kind;
