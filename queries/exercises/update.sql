-- Change the fields given (NULL: keep) of one of the caller's custom exercises, if its
-- version is one If-Match accepts (NULL: any). No row: not theirs, or stale.
-- returns: one Exercise
UPDATE exercises AS e
SET name = coalesce(%(name)s::text, e.name),
    category = coalesce(%(category)s::exercise_category, e.category),
    primary_muscle = coalesce(%(primary_muscle)s::muscle_group, e.primary_muscle),
    secondary_muscles = coalesce(%(secondary_muscles)s::muscle_group[], e.secondary_muscles),
    description = coalesce(%(description)s::text, e.description),
    version = e.version + 1,
    updated_at = now()
WHERE e.id = %(exercise_id)s AND e.user_id = %(user_id)s
  AND (%(if_match)s::integer[] IS NULL OR e.version = ANY(%(if_match)s::integer[]))
RETURNING e.id, e.name, e.category, e.primary_muscle, e.secondary_muscles::text[] AS secondary_muscles,
          e.description, e.user_id IS NOT NULL AS custom, e.version, e.created_at, e.updated_at;
