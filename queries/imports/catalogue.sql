-- Every name an imported exercise may match: the system catalogue's names, their aliases
-- (exercise_aliases) and the caller's own exercises (app/imports/matching.py normalizes them).
-- returns: many CatalogueName
SELECT e.id AS exercise_id, e.name, 'system' AS source
FROM exercises e
WHERE e.user_id IS NULL
UNION ALL
SELECT a.exercise_id, a.alias AS name, 'alias' AS source
FROM exercise_aliases a
UNION ALL
SELECT e.id AS exercise_id, e.name, 'custom' AS source
FROM exercises e
WHERE e.user_id = %(user_id)s;
