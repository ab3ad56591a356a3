-- The system exercise catalogue (no owner), by name: the exercises seeded plans and sets use.
-- returns: many SystemExercise
SELECT id, name, category::text AS category
FROM exercises
WHERE user_id IS NULL
ORDER BY name;
