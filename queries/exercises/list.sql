-- One page of the exercise catalogue the caller sees (the system exercises plus their own,
-- or only their own when mine is true), filtered, by name, keyset on (name, id).
-- q is already LIKE-escaped; it matches the lower-cased, unaccented name anywhere.
-- returns: many Exercise
SELECT e.id, e.name, e.category, e.primary_muscle, e.secondary_muscles::text[] AS secondary_muscles,
       e.description, e.user_id IS NOT NULL AS custom, e.version, e.created_at, e.updated_at
FROM exercises e
WHERE (e.user_id = %(user_id)s OR (e.user_id IS NULL AND NOT %(mine)s::boolean))
  AND (%(category)s::exercise_category IS NULL OR e.category = %(category)s::exercise_category)
  AND (%(muscle_group)s::muscle_group IS NULL OR e.primary_muscle = %(muscle_group)s::muscle_group)
  AND (%(q)s::text IS NULL
       OR e.search_name LIKE '%%' || lower(immutable_unaccent(%(q)s::text)) || '%%')
  -- the first page starts before the smallest possible key (names are never empty)
  AND (e.name, e.id) > (coalesce(%(after_name)s::text, ''),
                        coalesce(%(after_id)s::uuid, '00000000-0000-0000-0000-000000000000'))
ORDER BY e.name, e.id
LIMIT %(limit)s;
