-- migrate:up
SET LOCAL lock_timeout = '5s';
-- the backfill at the end reads every set once (about 1 minute for 10 million sets)
SET LOCAL statement_timeout = '15min';

-- Each user's personal bests per exercise and kind, kept as sets change, so that logging
-- a set compares it with four rows instead of the user's whole history of the exercise.
-- The kinds and values are those of queries/stats/records.sql; the set that holds a best is
-- the earliest (performed_at, then id) to reach it.
CREATE TYPE record_kind AS ENUM ('heaviest_weight', 'most_reps', 'best_one_rep_max', 'best_volume');

COMMENT ON TYPE record_kind IS 'The personal records kept per exercise (app.stats.models.RecordKind).';

-- The record values one set has, a row per kind it can hold: none for a warmup; the
-- heaviest weight needs a weight above 0 and reps not 0 (a missed lift holds nothing); the
-- most reps needs reps above 0; the estimated one-rep max (Epley, weight_kg x (1 + reps /
-- 30) rounded to 0.01 kg, the weight itself for a single) and the volume (weight_kg x reps)
-- need reps >= 1 and a weight above 0. Inlined where it is used (a one-SELECT SQL function).
CREATE FUNCTION set_record_bests(set_type set_type, reps integer, weight_kg numeric)
    RETURNS TABLE (kind record_kind, value numeric)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT k.kind, k.value
    FROM (VALUES
        ('heaviest_weight'::record_kind,
         CASE WHEN weight_kg > 0 AND reps IS DISTINCT FROM 0 THEN weight_kg END),
        ('most_reps'::record_kind, CASE WHEN reps > 0 THEN reps::numeric END),
        ('best_one_rep_max'::record_kind,
         CASE WHEN weight_kg > 0 AND reps >= 1
              THEN round(weight_kg * CASE WHEN reps = 1 THEN 30 ELSE 30 + reps END / 30, 2)
         END),
        ('best_volume'::record_kind,
         CASE WHEN weight_kg > 0 AND reps >= 1 THEN weight_kg * reps END)
    ) AS k(kind, value)
    WHERE set_type <> 'warmup' AND k.value IS NOT NULL
$$;

COMMENT ON FUNCTION set_record_bests(set_type, integer, numeric) IS 'The personal-record values of one set, a row per record kind it can hold (none for a warmup).';

CREATE TABLE personal_bests (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    exercise_id uuid NOT NULL REFERENCES exercises (id) ON DELETE CASCADE,
    kind record_kind NOT NULL,
    value numeric NOT NULL CHECK (value > 0),
    -- the set that holds it (kept by the statements and triggers below, no foreign key:
    -- deleting that set recomputes the row)
    set_id uuid NOT NULL,
    performed_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, exercise_id, kind)
);

COMMENT ON TABLE personal_bests IS 'Each user''s best value per exercise and record kind, and the set that holds it (the earliest to reach it). Logging sets adds to it in the same statement; deleting or editing a set that holds a best recomputes that exercise (triggers on set_records). Always equal to personal_bests_computed.';

-- What personal_bests holds, computed from the sets: the reference the table is rebuilt
-- from, and checked against. A filter on user_id and exercise_id is pushed into the scan
-- (they are DISTINCT ON columns), which is then one range of
-- set_records_user_exercise_stats_idx.
CREATE VIEW personal_bests_computed AS
SELECT DISTINCT ON (sr.user_id, sr.exercise_id, b.kind)
       sr.user_id, sr.exercise_id, b.kind, b.value, sr.id AS set_id, sr.performed_at
FROM set_records sr
CROSS JOIN LATERAL set_record_bests(sr.set_type, sr.reps, sr.weight_kg) AS b
ORDER BY sr.user_id, sr.exercise_id, b.kind, b.value DESC, sr.performed_at, sr.id;

COMMENT ON VIEW personal_bests_computed IS 'personal_bests recomputed from set_records (for rebuilding and checking the table).';

-- Add sets just inserted (or changed) to the user's bests: a set replaces a best it beats,
-- or ties and was performed earlier. For code that inserts sets without going through
-- queries/sets/log.sql (imports): call it in the transaction that inserted them.
CREATE FUNCTION personal_bests_add(p_user_id uuid, p_set_ids uuid[]) RETURNS void
    LANGUAGE sql
AS $$
    INSERT INTO personal_bests AS pb (user_id, exercise_id, kind, value, set_id, performed_at)
    SELECT DISTINCT ON (sr.exercise_id, b.kind)
           sr.user_id, sr.exercise_id, b.kind, b.value, sr.id, sr.performed_at
    FROM set_records sr
    CROSS JOIN LATERAL set_record_bests(sr.set_type, sr.reps, sr.weight_kg) AS b
    WHERE sr.id = ANY (p_set_ids) AND sr.user_id = p_user_id
    ORDER BY sr.exercise_id, b.kind, b.value DESC, sr.performed_at, sr.id
    ON CONFLICT (user_id, exercise_id, kind) DO UPDATE
    SET value = excluded.value, set_id = excluded.set_id, performed_at = excluded.performed_at
    WHERE excluded.value > pb.value
       OR (excluded.value = pb.value
           AND (excluded.performed_at, excluded.set_id) < (pb.performed_at, pb.set_id))
$$;

COMMENT ON FUNCTION personal_bests_add(uuid, uuid[]) IS 'Adds the given sets of a user (already inserted or changed) to personal_bests.';

-- Recompute a user's bests of some exercises from their sets (after a set that held one
-- was deleted or changed): one range of set_records_user_exercise_stats_idx per exercise.
CREATE FUNCTION personal_bests_recompute(p_user_id uuid, p_exercise_ids uuid[]) RETURNS void
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

COMMENT ON FUNCTION personal_bests_recompute(uuid, uuid[]) IS 'Recomputes a user''s personal_bests of the given exercises from set_records.';

-- Deleted sets (one set, a session''s, an account''s, whatever the statement): recompute
-- the exercises where a deleted set held a best. Other deletes cost a primary-key probe
-- per deleted set.
CREATE FUNCTION personal_bests_after_delete() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    held record;
BEGIN
    FOR held IN
        SELECT d.user_id, array_agg(DISTINCT d.exercise_id) AS exercise_ids
        FROM deleted_sets d
        WHERE EXISTS (
            SELECT 1 FROM personal_bests pb
            WHERE pb.user_id = d.user_id AND pb.exercise_id = d.exercise_id
              AND pb.set_id = d.id)
        GROUP BY d.user_id
    LOOP
        PERFORM personal_bests_recompute(held.user_id, held.exercise_ids);
    END LOOP;
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION personal_bests_after_delete() IS 'AFTER DELETE on set_records: recomputes the personal_bests that deleted sets held.';

CREATE TRIGGER set_records_personal_bests_delete
    AFTER DELETE ON set_records
    REFERENCING OLD TABLE AS deleted_sets
    FOR EACH STATEMENT EXECUTE FUNCTION personal_bests_after_delete();

-- Changed sets: where a set whose values changed (exercise, type, reps, weight, when) held a
-- best, recompute that exercise; then add the changed sets with their new values (which may
-- set a best). A change of anything else (position, notes, ...) costs nothing more.
CREATE FUNCTION personal_bests_after_update() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    held record;
BEGIN
    FOR held IN
        SELECT o.user_id, array_agg(DISTINCT o.exercise_id) AS exercise_ids
        FROM old_sets o
        JOIN new_sets n ON n.id = o.id
        WHERE (n.exercise_id, n.set_type, n.reps, n.weight_kg, n.performed_at)
              IS DISTINCT FROM (o.exercise_id, o.set_type, o.reps, o.weight_kg, o.performed_at)
          AND EXISTS (
              SELECT 1 FROM personal_bests pb
              WHERE pb.user_id = o.user_id AND pb.exercise_id = o.exercise_id
                AND pb.set_id = o.id)
        GROUP BY o.user_id
    LOOP
        PERFORM personal_bests_recompute(held.user_id, held.exercise_ids);
    END LOOP;
    FOR held IN
        SELECT n.user_id, array_agg(n.id) AS set_ids
        FROM new_sets n
        JOIN old_sets o ON o.id = n.id
        WHERE (n.exercise_id, n.set_type, n.reps, n.weight_kg, n.performed_at)
              IS DISTINCT FROM (o.exercise_id, o.set_type, o.reps, o.weight_kg, o.performed_at)
        GROUP BY n.user_id
    LOOP
        PERFORM personal_bests_add(held.user_id, held.set_ids);
    END LOOP;
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION personal_bests_after_update() IS 'AFTER UPDATE on set_records: recomputes the personal_bests that changed sets held, then adds the changed sets.';

CREATE TRIGGER set_records_personal_bests_update
    AFTER UPDATE ON set_records
    REFERENCING OLD TABLE AS old_sets NEW TABLE AS new_sets
    FOR EACH STATEMENT EXECUTE FUNCTION personal_bests_after_update();

-- The bests of the sets already stored.
INSERT INTO personal_bests (user_id, exercise_id, kind, value, set_id, performed_at)
SELECT c.user_id, c.exercise_id, c.kind, c.value, c.set_id, c.performed_at
FROM personal_bests_computed c;

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-trigger -- the down path removes exactly what the up path created
DROP TRIGGER set_records_personal_bests_update ON set_records;
-- squawk-ignore ban-drop-trigger -- the down path removes exactly what the up path created
DROP TRIGGER set_records_personal_bests_delete ON set_records;
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION personal_bests_after_update();
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION personal_bests_after_delete();
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION personal_bests_recompute(uuid, uuid[]);
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION personal_bests_add(uuid, uuid[]);
-- squawk-ignore ban-drop-view -- the down path removes exactly what the up path created
DROP VIEW personal_bests_computed;
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE personal_bests;
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION set_record_bests(set_type, integer, numeric);
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE record_kind;
