-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- A recompute (a set that held a best edited or deleted) first locks the user's row FOR
-- UPDATE, which waits for any transaction of that user still inserting sets (their foreign
-- key check holds FOR KEY SHARE on it until commit), and makes any later one wait for it.
-- Its next statement then computes from a snapshot that has every committed set: without
-- the lock, a batch logged while the recompute ran could be missing from the snapshot and
-- its better best overwritten. (A VOLATILE SQL function takes a new snapshot per statement.)
CREATE OR REPLACE FUNCTION personal_bests_recompute(p_user_id uuid, p_exercise_ids uuid[])
    RETURNS void
    LANGUAGE sql
AS $$
    SELECT 1 FROM users WHERE id = p_user_id FOR UPDATE;
    WITH computed AS MATERIALIZED (
        SELECT c.user_id, c.exercise_id, c.kind, c.value, c.set_id, c.performed_at
        FROM personal_bests_computed c
        WHERE c.user_id = p_user_id AND c.exercise_id = ANY (p_exercise_ids)
    ),
    gone AS (
        DELETE FROM personal_bests pb
        WHERE pb.user_id = p_user_id AND pb.exercise_id = ANY (p_exercise_ids)
          AND NOT EXISTS (
              SELECT 1 FROM computed c
              WHERE c.exercise_id = pb.exercise_id AND c.kind = pb.kind)
    )
    INSERT INTO personal_bests AS pb (user_id, exercise_id, kind, value, set_id, performed_at)
    SELECT c.user_id, c.exercise_id, c.kind, c.value, c.set_id, c.performed_at
    FROM computed c
    ON CONFLICT (user_id, exercise_id, kind) DO UPDATE
    SET value = excluded.value, set_id = excluded.set_id, performed_at = excluded.performed_at
    WHERE (pb.value, pb.set_id, pb.performed_at)
          IS DISTINCT FROM (excluded.value, excluded.set_id, excluded.performed_at);
$$;

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
CREATE OR REPLACE FUNCTION personal_bests_recompute(p_user_id uuid, p_exercise_ids uuid[])
    RETURNS void
    LANGUAGE sql
AS $$
    WITH computed AS MATERIALIZED (
        SELECT c.user_id, c.exercise_id, c.kind, c.value, c.set_id, c.performed_at
        FROM personal_bests_computed c
        WHERE c.user_id = p_user_id AND c.exercise_id = ANY (p_exercise_ids)
    ),
    gone AS (
        DELETE FROM personal_bests pb
        WHERE pb.user_id = p_user_id AND pb.exercise_id = ANY (p_exercise_ids)
          AND NOT EXISTS (
              SELECT 1 FROM computed c
              WHERE c.exercise_id = pb.exercise_id AND c.kind = pb.kind)
    )
    INSERT INTO personal_bests AS pb (user_id, exercise_id, kind, value, set_id, performed_at)
    SELECT c.user_id, c.exercise_id, c.kind, c.value, c.set_id, c.performed_at
    FROM computed c
    ON CONFLICT (user_id, exercise_id, kind) DO UPDATE
    SET value = excluded.value, set_id = excluded.set_id, performed_at = excluded.performed_at
    WHERE (pb.value, pb.set_id, pb.performed_at)
          IS DISTINCT FROM (excluded.value, excluded.set_id, excluded.performed_at)
$$;
