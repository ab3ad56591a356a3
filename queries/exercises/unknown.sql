-- Which of the given exercise ids the caller cannot use (neither a system exercise nor
-- one of their own), in the order given.
-- returns: scalar
SELECT coalesce(array_agg(x.id ORDER BY x.n), '{}') AS unknown
FROM unnest(%(exercise_ids)s::uuid[]) WITH ORDINALITY AS x(id, n)
WHERE NOT EXISTS (
    SELECT 1 FROM exercises e
    WHERE e.id = x.id AND (e.user_id IS NULL OR e.user_id = %(user_id)s)
);
