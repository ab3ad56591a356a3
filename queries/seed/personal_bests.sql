-- After the sets are loaded (COPY writes them without the set-logging statement): every
-- user's personal bests, computed from their sets (see personal_bests_computed).
-- returns: none
INSERT INTO personal_bests (user_id, exercise_id, kind, value, set_id, performed_at)
SELECT c.user_id, c.exercise_id, c.kind, c.value, c.set_id, c.performed_at
FROM personal_bests_computed c;
